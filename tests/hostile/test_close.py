"""Closing a client wakes every reader at once, with an error that says the client was closed.

aiohttp's own ``session.close()`` leaves a task reading a response body waiting until its
timeout (600 s by default); a FastAPI or aiohttp service shutting down with streams in
flight would hang (issue 17, item 1).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

import smarter

from .rawserver import RawServer, Request, head

pytestmark = pytest.mark.timeout(30)

CHUNK = b'data: {"output": {"text": "x", "finished": false}}\r\n\r\n'


async def _stalls(request: Request, writer: asyncio.StreamWriter) -> None:
    """Start an answer, then say nothing more."""
    if "stream" in request.path:
        writer.write(head(200, content_type="text/event-stream", transfer_encoding="chunked"))
        writer.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
    else:
        writer.write(head(200, content_type="application/json", content_length="100"))
        writer.write(b'{"request_id": ')
    await writer.drain()
    await asyncio.sleep(60)


def _client(server: RawServer) -> smarter.AsyncClient:
    return smarter.AsyncClient(
        llm_engine_url=server.url, api_key="k", max_retries=2, timeout=smarter.Timeout(60)
    )


class TestAsyncClose:
    async def test_a_stream_reader_wakes_within_100_ms(self, raw: Callable[..., RawServer]) -> None:
        """aclose() while another task waits in a stream: it raises at once, saying so."""
        client = _client(raw(_stalls))
        stream = client.completions.stream(model="m", prompt="x")
        first = await stream.__anext__()
        reading = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.2)

        start = time.monotonic()
        await client.aclose()
        with pytest.raises(smarter.SmarterError) as caught:
            await reading
        waited = time.monotonic() - start

        assert first.output.text == "x"
        assert waited < 0.1
        assert "client was closed" in str(caught.value)
        assert stream.state is smarter.StreamState.FAILED

    async def test_a_json_reader_wakes_within_100_ms(self, raw: Callable[..., RawServer]) -> None:
        """aclose() while another task reads a JSON body: it raises at once, not retried."""
        server = raw(_stalls)
        client = _client(server)
        calling = asyncio.ensure_future(client.completions.create(model="m", prompt="x"))
        await asyncio.sleep(0.2)

        start = time.monotonic()
        await client.aclose()
        with pytest.raises(smarter.APIConnectionError) as caught:
            await calling
        waited = time.monotonic() - start

        assert waited < 0.1
        assert "client was closed" in str(caught.value)
        assert len(server.requests) == 1

    async def test_a_stream_opened_before_and_read_after(
        self, raw: Callable[..., RawServer]
    ) -> None:
        """A stream opened before aclose() and iterated after raises a SmarterError."""
        client = _client(raw(_stalls))
        stream = client.completions.stream(model="m", prompt="x")
        await stream.__aenter__()
        await client.aclose()

        with pytest.raises(smarter.SmarterError) as caught:
            [chunk async for chunk in stream]

        assert "closed" in str(caught.value)


class TestBlockingClose:
    def test_close_from_another_thread_wakes_the_reader(
        self, raw: Callable[..., RawServer]
    ) -> None:
        """Client.close() from another thread: the blocked stream reader raises promptly."""
        import threading

        client = smarter.Client(llm_engine_url=raw(_stalls).url, api_key="k")
        stream = client.completions.stream(model="m", prompt="x")
        first = next(iter(stream))
        closer = threading.Timer(0.2, client.close)
        closer.start()
        start = time.monotonic()

        with pytest.raises(smarter.SmarterError):
            next(iter(stream))
        waited = time.monotonic() - start
        closer.join()

        assert (first.output.text, waited < 5.0) == ("x", True)


_DROPPED = """
import asyncio, gc, smarter
from smarter.testing import ReferenceServer

with ReferenceServer.in_thread(models=["m"]) as server:
    async def main():
        client = smarter.AsyncClient(**server.client_kwargs())
        await client.completions.create(model="m", prompt="hi")
    asyncio.run(main())
    gc.collect()
print("ok")
"""


@pytest.mark.slow
def test_a_client_dropped_after_asyncio_run_leaves_nothing_open() -> None:
    """An AsyncClient used in one asyncio.run() and never closed: no ResourceWarning (-X dev)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "always::ResourceWarning", "-c", _DROPPED],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert done.stdout.strip() == "ok"
    assert "ResourceWarning" not in done.stderr, done.stderr
