"""Resource discipline: a call that is abandoned gives its connection back.

Cancelling a task, leaving a stream with ``break``, or pressing Ctrl-C in the blocking client
must neither leak a pooled connection nor leave one open at the server: the next call works,
and the pool and the server's open connections do not grow however often it happens. (The
session-wide check appended to tests/conftest.py asserts that nothing at all, threads,
sockets, loops, tasks or sessions, outlives the suite.)
"""

from __future__ import annotations

import asyncio
import gc
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any

import pytest
from helpers import run, settle

import smarter
from smarter.testing import Fault, ReferenceServer

AnyClient = smarter.AsyncClient | smarter.Client

ROUNDS = 5


def _connector(client: AnyClient) -> Any:
    session = getattr(client, "_async", client)._transport._session
    return session.connector if session is not None else None


def _busy(client: AnyClient) -> int:
    """Connections the pool has handed out and not got back (aiohttp keeps no public count)."""
    connector = _connector(client)
    return len(connector._acquired) if connector is not None else 0


def _pool(client: AnyClient) -> int:
    """Connections in the client's pool, busy or idle.

    Read from aiohttp's connector, not ``Transport.connection_count``, which misses busy
    connections on aiohttp >= 3.11 (pinned in test_streaming.py).
    """
    connector = _connector(client)
    if connector is None:
        return 0
    return _busy(client) + sum(len(idle) for idle in connector._conns.values())


async def _wait_for_requests(server: ReferenceServer, count: int) -> None:
    deadline = time.monotonic() + 5.0
    while len(server.requests) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    assert len(server.requests) >= count


def _stream(client: AnyClient, tokens: int = 50) -> Any:
    return client.completions.stream(model="example-model", prompt="hi", max_new_tokens=tokens)


class TestAsyncCancellation:
    async def test_cancelled_call_returns_its_connection(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """Cancelling a call in flight, again and again, never grows the pool or the server."""
        client = make_client("async")
        await run(client.whoami())
        pools = []
        for round_ in range(ROUNDS):
            server.inject("*", "cli/whoami/", Fault.slow(0.5))
            task = asyncio.ensure_future(run(client.whoami()))
            await _wait_for_requests(server, 2 * round_ + 2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert (await run(client.whoami())).environment == "reference"
            pools.append(_pool(client))

        assert pools == [1] * ROUNDS
        assert await settle(lambda: server.open_connections, 1) == 1
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

    async def test_cancelled_stream_returns_its_connection(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """A task cancelled while it reads a stream closes the stream's connection."""
        client = make_client("async")
        for _ in range(ROUNDS):
            server.inject("POST", "v1/llm/completions-stream", Fault(slow_body=0.2))
            got: list[Any] = []

            async def read(into: list[Any] = got) -> None:
                async for chunk in _stream(client):
                    into.append(chunk)

            task = asyncio.ensure_future(read())
            while not got:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

            assert await settle(lambda: _pool(client), 0) == 0
        done = await run(client.completions.create(model="example-model", prompt="x"))
        assert done.output.text
        assert await settle(lambda: server.open_connections, 1) <= 1

    async def test_cancelled_upload_returns_its_connection(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """An upload cancelled while the server is slow stores nothing twice and leaks nothing."""
        client = make_client("async")
        server.inject("POST", "v1/files", Fault.slow(0.5))
        task = asyncio.ensure_future(run(client.files.create(file=io.BytesIO(b"x" * 100_000))))
        await _wait_for_requests(server, 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        uploaded = await run(client.files.create(file=io.BytesIO(b"y" * 1000)))
        assert _pool(client) == 1
        assert await settle(lambda: server.open_connections, 1) == 1
        assert server.state.files[uploaded.id].size == 1000


async def _break_after_one(stream: Any, *, with_block: bool) -> None:
    if isinstance(stream, smarter.Stream):
        if with_block:
            with stream:
                for _chunk in stream:
                    break
        else:
            for _chunk in stream:
                break
    elif with_block:
        async with stream:
            async for _chunk in stream:
                break
    else:
        async for _chunk in stream:
            break


class TestBreak:
    @pytest.mark.parametrize("with_block", [True, False], ids=["with-block", "bare"])
    async def test_break_mid_stream_closes_the_connection(
        self, client: AnyClient, server: ReferenceServer, with_block: bool
    ) -> None:
        """`break` while the server still sends: the connection is closed, not pooled."""
        for _ in range(ROUNDS):
            server.inject("POST", "v1/llm/completions-stream", Fault(slow_body=0.05))
            stream = _stream(client)
            await _break_after_one(stream, with_block=with_block)
            del stream  # a bare break: released when the stream is dropped
            gc.collect()

            assert await settle(lambda: _pool(client), 0) == 0
        assert (await run(client.whoami())).environment == "reference"
        assert await settle(lambda: server.open_connections, 1) == 1

    @pytest.mark.parametrize("with_block", [True, False], ids=["with-block", "bare"])
    async def test_break_after_the_body_arrived_pools_the_connection(
        self, client: AnyClient, server: ReferenceServer, with_block: bool
    ) -> None:
        """`break` once the whole body is in: the connection goes back to the pool for reuse."""
        for _ in range(ROUNDS):
            stream = _stream(client, tokens=5)
            await _break_after_one(stream, with_block=with_block)
            del stream
            gc.collect()

            assert await settle(lambda: _busy(client), 0) == 0
            assert _pool(client) <= 1
        assert (await run(client.whoami())).environment == "reference"
        assert await settle(lambda: server.open_connections, 1) == 1

    async def test_finished_stream_keeps_its_connection_for_reuse(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A stream read to its end leaves its connection in the pool for the next call."""
        for _ in range(ROUNDS):
            stream = _stream(client, tokens=3)
            chunks = (
                list(stream) if isinstance(stream, smarter.Stream) else [c async for c in stream]
            )

            assert chunks[-1].output.finished
        await run(client.whoami())
        assert (_busy(client), _pool(client)) == (0, 1)
        assert await settle(lambda: server.open_connections, 1) == 1


_CTRL_C_SCRIPT = """
import os, sys, smarter
client = smarter.Client(base_url=os.environ["URL"], api_key=os.environ["KEY"])
transport = client._async._transport
for round_ in range({rounds}):
    print("calling", round_, flush=True)
    try:
        client.models.get("example-model")
        print("not interrupted", flush=True)
    except KeyboardInterrupt:
        pass
    stream = client.completions.stream(model="example-model", prompt="x", max_new_tokens=3)
    print("ok", client.whoami().environment, len(list(stream)), transport.connection_count,
          flush=True)
print("waiting", flush=True)
sys.stdin.readline()
client.close()
print("closed", flush=True)
"""


@pytest.mark.slow  # a child process
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_ctrl_c_returns_the_connection(server: ReferenceServer) -> None:
    """Ctrl-C in a blocking call, three times: each next call works on one connection."""
    rounds = 3
    server.inject("GET", "v1/llm/model-endpoints/*", *[Fault.slow(0.5)] * rounds)
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_CTRL_C_SCRIPT.format(rounds=rounds))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **server.client_env(), "URL": server.url, "KEY": server.api_key},
    )
    assert process.stdout is not None
    assert process.stdin is not None
    lines = []
    try:
        for round_ in range(rounds):
            assert process.stdout.readline().split() == ["calling", str(round_)]
            deadline = time.monotonic() + 10
            while len(server.requests_to("GET", "v1/llm/model-endpoints/*")) < round_ + 1:
                assert time.monotonic() < deadline
                time.sleep(0.005)
            process.send_signal(signal.SIGINT)
            lines.append(process.stdout.readline().split())
        assert process.stdout.readline().strip() == "waiting"
        open_while_alive = asyncio.run(settle(lambda: server.open_connections, 1))
        process.stdin.write("\n")
        process.stdin.flush()
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert lines == [["ok", "reference", "3", "1"]] * rounds
    assert open_while_alive == 1
    assert (out.split(), err, process.returncode) == (["closed"], "", 0)
