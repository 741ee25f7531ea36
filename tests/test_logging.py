"""SMARTER_LOG: one line per attempt, and never the API key."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from smarter.testing import Fault, ReferenceServer

_SCRIPT = """
import logging, os, smarter, smarter._retry as r
if os.environ.get("BASIC_CONFIG") == "before":
    logging.basicConfig(format="root: %(message)s")
r.set_testing(True)
client = smarter.Client(base_url=os.environ["URL"], api_key=os.environ["KEY"])
client.whoami()
if os.environ.get("BASIC_CONFIG") == "after":
    logging.basicConfig(format="root: %(message)s")
try:
    client.files.get("nope")
except smarter.NotFoundError:
    pass
list(client.completions.stream(model="example-model", prompt="x", max_new_tokens=2))
client.close()
"""


def _run(server: ReferenceServer, level: str, basic_config: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={
            **os.environ,
            **server.client_env(),
            "URL": server.url,
            "KEY": server.api_key,
            "SMARTER_LOG": level,
            "BASIC_CONFIG": basic_config,
        },
    )
    return done.stderr


class TestLogging:
    def test_one_line_per_attempt(self, extended_server: ReferenceServer) -> None:
        """At info level, each attempt is one line: method, path, status, attempt, delay, ids.

        The request id is the call's own, the same on every attempt; the server's follows
        when it sent one (the ``extended`` profile does, on every answer).
        """
        server = extended_server
        server.inject("*", "cli/whoami/", Fault.error(503, retry_after_ms="10"))

        lines = _run(server, "info").splitlines()

        pattern = re.compile(
            r"\[.* INFO smarter\] (POST|GET) (\S+) -> (\S+) attempt=(\d) delay=(\d+\.\d\d)s "
            r"request_id=(\S+)( server_request_id=\S+)?$"
        )
        parsed = [pattern.match(line) for line in lines]
        assert all(parsed), lines
        summary = [(m[2], m[3], m[4], m[5]) for m in parsed if m]
        ids = [m[6] for m in parsed if m]
        assert ids[0] == ids[1] != ids[2]  # one id for both attempts of the first call
        assert summary == [
            ("cli/whoami/", "503", "1", "0.01"),
            ("cli/whoami/", "200", "2", "0.00"),
            ("v1/files/nope", "404", "1", "0.00"),
            ("v1/llm/completions-stream", "200", "1", "0.00"),
        ]
        assert all(m[7].startswith(" server_request_id=req_") for m in parsed if m)

    def test_debug_never_shows_the_key(self, server: ReferenceServer) -> None:
        """At debug level the headers are logged with the Authorization redacted."""
        log = _run(server, "debug")

        assert "<redacted>" in log
        assert "X-Smarter-RequestId" in log
        assert server.api_key not in log

    def test_off_by_default(self, server: ReferenceServer) -> None:
        """Without SMARTER_LOG the client logs nothing."""
        assert _run(server, "") == ""

    @pytest.mark.parametrize("level", ["warning", "nonsense"])
    def test_a_value_it_does_not_know_is_said_once(
        self, server: ReferenceServer, level: str
    ) -> None:
        """SMARTER_LOG=<not info or debug>: one warning naming it, and no log line."""
        lines = _run(server, level).splitlines()

        assert len(lines) == 2, lines  # the warning and the line warnings.warn quotes
        assert f"RuntimeWarning: SMARTER_LOG='{level}' is not 'info' or 'debug'" in lines[0]

    @pytest.mark.parametrize("when", ["before", "after"])
    def test_with_basic_config_each_line_once(self, server: ReferenceServer, when: str) -> None:
        """A program that called logging.basicConfig() sees each line once, in its format."""
        lines = _run(server, "info", basic_config=when).splitlines()

        assert len(lines) == 3, lines  # whoami, files.get, the stream
        if when == "before":
            assert all(line.startswith("root: ") for line in lines), lines
