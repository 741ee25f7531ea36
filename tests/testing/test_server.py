"""The server's lifecycle: in_thread, stop, connections, quietness, CLI and pytest plugin."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any

import aiohttp
import pytest

from smarter.testing import Fault, RecordedRequest, ReferenceServer

from .conftest import CLI, COMPLETION, STREAM, SYNC, ServerFactory, auth


def blocking_post(server: ReferenceServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST JSON with urllib (blocking) to a path under the root; returns the JSON answer."""
    scheme = "Token" if path.startswith(CLI) else "Bearer"
    request = urllib.request.Request(
        server.llm_engine_url + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"{scheme} {server.api_key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return dict(json.loads(response.read()))


def server_threads() -> list[threading.Thread]:
    """The reference server threads alive right now."""
    return [t for t in threading.enumerate() if t.name == "smarter-reference-server"]


class TestInThread:
    def test_from_sync_code(self) -> None:
        """in_thread serves blocking code; faults injected from the test thread apply."""
        with ReferenceServer.in_thread() as server:
            threads = server_threads()
            server.inject("POST", "v1/llm/*", Fault.error(500))
            with pytest.raises(urllib.error.HTTPError) as failure:
                blocking_post(server, SYNC, COMPLETION)
            failure.value.close()
            answer = blocking_post(server, SYNC, COMPLETION)
            statuses = [entry.status for entry in server.requests]

        assert failure.value.code == 500
        assert answer["output"]["num_completion_tokens"] == 5
        assert statuses == [500, 200]
        assert [t.daemon for t in threads] == [True]
        assert not any(t.is_alive() for t in threads)

    async def test_from_a_thread_running_a_loop(self) -> None:
        """in_thread works while the calling thread runs its own event loop."""
        with ReferenceServer.in_thread(token_delay=0.001) as server:
            async with (
                aiohttp.ClientSession(headers=auth(server)) as http,
                http.post(server.llm_engine_url + STREAM, json=COMPLETION) as r,
            ):
                body = await r.read()

        assert body.count(b"data:") == 5
        assert server_threads() == []


class TestLifecycle:
    async def test_url(self) -> None:
        """The urls are known once started (/api/v1/, root, /openai/v1/); before, an error."""
        server = ReferenceServer()
        early = []
        for name in ("url", "llm_engine_url", "openai_base_url"):
            with pytest.raises(RuntimeError) as raised:
                getattr(server, name)
            early.append(str(raised.value))
        async with server:
            urls = (server.url, server.llm_engine_url, server.openai_base_url)

        root = urls[1]
        assert early == ["the reference server has not started"] * 3
        assert root.startswith("http://127.0.0.1:")
        assert root.endswith("/")
        assert urls == (root + "api/v1/", root, root + "openai/v1/")

    @pytest.mark.parametrize(
        ("profile", "expected"),
        [
            ("smarter", ("v0.14", False, False, False, None, False)),
            ("smarter-legacy", ("v0.13", False, False, False, None, False)),
            ("smarter-v0.10", ("v0.10", False, False, False, None, False)),
            ("extended", ("v0.14", True, True, True, True, True)),
        ],
    )
    def test_profiles(self, profile: str, expected: tuple[object, ...]) -> None:
        """Each profile names its platform generation; only extended adds the extensions."""
        chosen = ReferenceServer(profile=profile).profile

        assert chosen.name == profile
        assert (
            chosen.platform,
            chosen.event_ids,
            chosen.idempotency,
            chosen.paginate,
            chosen.request_ids,
            chosen.null_keepalives,
        ) == expected

    def test_default_profile_and_overrides(self) -> None:
        """The default is smarter; paginate= and request_ids= override, legacy_chatbots picks."""
        default = ReferenceServer().profile
        overridden = ReferenceServer(paginate=True, request_ids=False).profile
        legacy = ReferenceServer(legacy_chatbots=True).profile

        assert default.name == "smarter"
        assert (overridden.name, overridden.paginate, overridden.request_ids) == (
            "smarter",
            True,
            False,
        )
        assert legacy.name == "smarter-legacy"

    def test_unknown_profile(self) -> None:
        """An unknown profile name is refused, naming the known ones."""
        with pytest.raises(ValueError) as raised:
            ReferenceServer(profile="nope")

        assert "extended" in str(raised.value)

    async def test_stop_closes_streams_promptly(self, caplog: pytest.LogCaptureFixture) -> None:
        """stop() ends a slow stream in flight in well under a second, quietly."""
        server = ReferenceServer(token_delay=0.5)
        await server.start()
        async with aiohttp.ClientSession(headers=auth(server)) as http:
            response = await http.post(
                server.llm_engine_url + STREAM, json={**COMPLETION, "max_new_tokens": 50}
            )
            await response.content.readuntil(b"\r\n\r\n")
            started = time.monotonic()
            await server.stop()
            elapsed = time.monotonic() - started
            with pytest.raises(aiohttp.ClientError):
                await response.read()
            response.release()

        assert elapsed < 1.0
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []

    async def test_stop_during_slow_fault(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """stop() does not wait for a scripted delay to run out."""
        server.inject("GET", "v1/files", Fault.slow(30))
        request = asyncio.create_task(http.get("v1/files"))
        while not server.requests:
            await asyncio.sleep(0.005)
        started = time.monotonic()
        await server.stop()

        assert time.monotonic() - started < 1.0
        with pytest.raises(aiohttp.ClientError):
            await request

    async def test_open_connections(self, server: ReferenceServer) -> None:
        """open_connections counts keep-alive connections and drops to 0 once they close."""
        async with aiohttp.ClientSession(headers=auth(server)) as http:
            async with http.get(server.llm_engine_url + "v1/files") as r:
                await r.read()
            during = server.open_connections
        deadline = time.monotonic() + 2
        while server.open_connections and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

        assert during == 1
        assert server.open_connections == 0

    async def test_quiet_under_faults(
        self, server: ReferenceServer, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Drops, cuts and a client leaving mid-stream log nothing at warning level or above."""
        caplog.set_level(logging.DEBUG)
        # POST: aiohttp retries a GET on its own when a connection drops.
        server.inject("POST", "cli/whoami/", Fault.drop_before(), Fault.drop_after())
        server.inject("POST", "v1/llm/completions-stream", Fault.cut(1))
        for _ in range(2):
            with pytest.raises(aiohttp.ClientError):
                async with http.post(CLI + "whoami/") as r:
                    await r.read()
        with pytest.raises(aiohttp.ClientError):
            async with http.post(STREAM, json=COMPLETION) as r:
                await r.read()
        slow = await ReferenceServer(token_delay=0.02).__aenter__()
        try:
            async with aiohttp.ClientSession(headers=auth(slow)) as other:
                r = await other.post(
                    slow.llm_engine_url + STREAM, json={**COMPLETION, "max_new_tokens": 30}
                )
                await r.content.readuntil(b"\r\n\r\n")
                r.close()
                await asyncio.sleep(0.1)
        finally:
            await slow.stop()

        loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert loud == []

    async def test_state_is_plain_data(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """The state exposes the stored objects as plain dataclasses, readable from the test."""
        async with http.post(
            CLI + "prompt/example/", params={"uid": "u"}, json={"prompt": "Hi"}
        ) as r:
            key = (await r.json())["data"]["request"]["session_key"]

        session = server.state.sessions[("example", "u", key)]
        assert session.messages[-1]["content"].startswith("[example] turn 1: ")
        assert server.state.chatbots["example"].version == "1.0.0"
        assert isinstance(server.requests[0], RecordedRequest)

    async def test_negative_settings_refused(self) -> None:
        """Negative delays are refused at construction."""
        with pytest.raises(ValueError) as raised:
            ReferenceServer(token_delay=-1)

        assert str(raised.value) == "token_delay must not be negative, got -1"

    async def test_two_servers(self, make_server: ServerFactory) -> None:
        """Two servers run side by side with their own keys and state."""
        one = await make_server()
        two = await make_server()

        assert one.url != two.url
        assert one.api_key != two.api_key
        assert one.state is not two.state


@pytest.mark.slow  # a child process
class TestCommandLine:
    def test_module_runs_and_stops_on_sigint(self) -> None:
        """Running python -m smarter.testing prints its line, serves, and exits 0 on SIGINT."""
        process = subprocess.Popen(
            [sys.executable, "-m", "smarter.testing", "--port", "0", "--api-key", "cli-key"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "error"},
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            url = line.split(" on ", 1)[1].split(" ", 1)[0]
            request = urllib.request.Request(
                url + "cli/whoami/", method="POST", headers={"Authorization": "Token cli-key"}
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                status = response.status
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()

        assert line == f"Smarter reference server on {url} (api key: cli-key)"
        assert status == 200
        assert process.returncode == 0
        assert stderr == ""


class TestImports:
    @pytest.mark.slow  # a fresh interpreter
    def test_cheap_imports(self) -> None:
        """Importing smarter or the plugin imports neither the server nor aiohttp.web."""
        code = (
            "import sys, smarter; assert 'smarter.testing' not in sys.modules;"
            "import smarter.testing.pytest_plugin; assert 'aiohttp.web' not in sys.modules;"
            "assert 'smarter.testing._server' not in sys.modules;"
            "from smarter.testing import ReferenceServer; assert 'aiohttp.web' in sys.modules"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )

        assert (result.returncode, result.stderr) == (0, "")

    def test_plugin_fixture(self, smarter_server: ReferenceServer) -> None:
        """The pytest plugin's smarter_server fixture serves a running server."""
        answer = blocking_post(smarter_server, CLI + "whoami/", {})

        assert answer["data"]["environment"] == "reference"

    def test_plugin_client(self, smarter_server: ReferenceServer, smarter_client: Any) -> None:
        """The smarter_client fixture is pointed at all three of the server's services."""
        urls = (smarter_client.base_url, smarter_client.llm_engine_url)

        assert [str(url) for url in urls] == [smarter_server.url, smarter_server.llm_engine_url]
        assert str(smarter_client.openai_base_url) == smarter_server.openai_base_url
        assert smarter_client.api_key == smarter_server.api_key
