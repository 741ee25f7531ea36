"""The client under uvloop: the AsyncClient on ``uvloop.run``, the Client on a uvloop policy.

uvloop's transports differ from asyncio's in the details a client leans on (how a reset
surfaces, when buffered bytes are handed over, how sockets close), so the calls that the
fault matrix runs on asyncio run here on uvloop too: a JSON call, a stream resumed after a
cut, an upload retried after a drop, a paginated list, a timeout. Resume, replayed uploads and
pages are the extensions of the reference server's ``extended`` profile.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import time

import pytest

import smarter
from smarter import _retry
from smarter.testing import Fault, ReferenceServer

uvloop = pytest.importorskip("uvloop")


async def _tour(client: smarter.AsyncClient, server: ReferenceServer) -> dict[str, object]:
    import asyncio

    seen: dict[str, object] = {"loop": type(asyncio.get_running_loop()).__module__}
    seen["whoami"] = (await client.whoami()).environment
    reference = [
        c.output.text
        async for c in client.completions.stream(
            model="example-model", prompt="uv", max_new_tokens=12
        )
    ]
    server.inject("POST", "v1/llm/completions-stream", Fault(cut_after=5, slow_body=0.02))
    resumed = [
        c.output.text
        async for c in client.completions.stream(
            model="example-model", prompt="uv", max_new_tokens=12
        )
    ]
    seen["resumed"] = resumed == reference
    server.inject("POST", "v1/files", Fault.drop_before())
    uploaded = await client.files.create(file=io.BytesIO(b"z" * 200_000))
    seen["upload"] = server.state.files[uploaded.id].size
    seen["list"] = len([f async for f in client.files.list(limit=1)])
    server.inject("*", "cli/whoami/", Fault.slow(3.0))
    start = time.monotonic()
    try:
        await client.with_options(max_retries=0).whoami(timeout=0.3)
    except smarter.APITimeoutError:
        seen["timeout"] = round(time.monotonic() - start) == 0
    return seen


def test_async_client_on_uvloop_run(extended_server: ReferenceServer) -> None:
    """Every kind of call works on uvloop.run, faults included, and closes cleanly."""
    server = extended_server

    async def main() -> dict[str, object]:
        _retry.set_testing(True)  # the fixture set it; this loop is a new one, same switch
        options = server.client_kwargs()
        async with smarter.AsyncClient(**options, max_retries=1, retry_creates=True) as client:
            return await _tour(client, server)

    seen = uvloop.run(main())

    assert seen == {
        "loop": "uvloop",
        "whoami": "reference",
        "resumed": True,
        "upload": 200_000,
        "list": 1,
        "timeout": True,
    }


_POLICY_SCRIPT = """
import asyncio, os, uvloop, smarter
asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
with smarter.Client(base_url=os.environ["URL"], api_key=os.environ["KEY"]) as client:
    print(client.whoami().environment)
    print(type(client._portal.loop).__module__)
    print(len(list(client.completions.stream(model="example-model", prompt="x",
                                             max_new_tokens=4))))
    print(client.files.create(file=b"abc").id.startswith("file-"))
"""


def test_sync_client_on_a_uvloop_policy(server: ReferenceServer) -> None:
    """With uvloop's policy set, the Client's private loop is a uvloop loop, and works."""
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(_POLICY_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **server.client_env(), "URL": server.url, "KEY": server.api_key},
    )

    assert (done.stdout.split(), done.stderr) == (["reference", "uvloop", "4", "True"], "")
