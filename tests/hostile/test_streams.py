"""Streams a hostile server sends: unsendable ids, replays on resume, keep-alives, trickles.

Issue 17, items 8 and 11.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from helpers import collect

import smarter

from .conftest import AnyClient
from .rawserver import RawServer, Request, head

pytestmark = pytest.mark.timeout(30)


def _event(number: int, text: str, finished: bool = False) -> bytes:
    flag = "true" if finished else "false"
    data = f'{{"output": {{"text": "{text}", "finished": {flag}}}}}'
    return f"id: {number}\r\ndata: {data}\r\n\r\n".encode()


def _chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts)


async def _replays(request: Request, writer: asyncio.StreamWriter) -> None:
    """Cut the first body after two events; answer the resume from the start again."""
    writer.write(head(200, content_type="text/event-stream", transfer_encoding="chunked"))
    if "last-event-id" not in request.headers:
        writer.write(_chunked(_event(1, "a"), _event(2, "b")))
        await writer.drain()
        writer.close()  # no final chunk: the body is cut
        return
    writer.write(_chunked(_event(1, "a"), _event(2, "b"), _event(3, "c", finished=True), b""))
    await writer.drain()


async def _bad_id(request: Request, writer: asyncio.StreamWriter) -> None:
    """An event whose id holds a control character, then a cut body."""
    writer.write(head(200, content_type="text/event-stream", transfer_encoding="chunked"))
    data = b'data: {"output": {"text": "a", "finished": false}}\r\n\r\n'
    writer.write(_chunked(b"id: 1\x01x\r\n" + data))
    await writer.drain()
    writer.close()


async def _pings(request: Request, writer: asyncio.StreamWriter) -> None:
    """Keep-alives only, forever: comments, then LLM Engine's ``output: null`` chunks."""
    writer.write(head(200, content_type="text/event-stream", transfer_encoding="chunked"))
    try:
        for number in range(1000):
            ping = b": ping\r\n\r\n" if number % 2 else b'data: {"output": null}\r\n\r\n'
            writer.write(_chunked(ping))
            await writer.drain()
            await asyncio.sleep(0.05)
    except ConnectionError:
        return


async def _trickle(request: Request, writer: asyncio.StreamWriter) -> None:
    """One event, a byte at a time, far slower than it would ever end."""
    writer.write(head(200, content_type="text/event-stream", transfer_encoding="chunked"))
    try:
        for _ in range(1000):
            writer.write(_chunked(b"d"))
            await writer.drain()
            await asyncio.sleep(0.05)
    except ConnectionError:
        return


async def _bad_chunk_later(request: Request, writer: asyncio.StreamWriter) -> None:
    """The head, then (in another packet) a chunk size that is not hex."""
    writer.write(head(200, content_type="text/event-stream", transfer_encoding="chunked"))
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.write(b"zz\r\n{}\r\n0\r\n\r\n")
    await writer.drain()
    await asyncio.sleep(30)


class TestResume:
    async def test_a_replay_is_delivered_once(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A server that replays from the start on resume: every chunk arrives exactly once."""
        server = raw(_replays)
        client = raw_client(server.url, max_retries=2)

        chunks = await collect(client.completions.stream(model="m", prompt="x"))

        assert [chunk.output.text for chunk in chunks] == ["a", "b", "c"]
        assert server.requests[1].headers["last-event-id"] == "2"

    async def test_an_unsendable_id_ends_in_incomplete_stream(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """An id with a control character, then a cut: IncompleteStreamError, no resume sent."""
        server = raw(_bad_id)
        client = raw_client(server.url, max_retries=2)
        seen: list[str] = []

        async def read() -> None:
            async for chunk in _aiter(client.completions.stream(model="m", prompt="x")):
                seen.append(chunk.output.text)

        with pytest.raises(smarter.IncompleteStreamError):
            await read()

        assert seen == ["a"]
        assert len(server.requests) == 1


class TestSilence:
    @pytest.mark.parametrize("handler", [_pings, _trickle], ids=["keep-alives", "trickle"])
    async def test_read_bounds_a_stream_that_delivers_nothing(
        self,
        raw: Callable[..., RawServer],
        raw_client: Callable[..., AnyClient],
        handler: Callable[..., object],
    ) -> None:
        """Bytes arrive but no chunk: read= (silence between delivered chunks) ends it."""
        client = raw_client(raw(handler).url, timeout=smarter.Timeout(None, read=0.5))
        start = time.monotonic()

        with pytest.raises(smarter.APITimeoutError, match="read timeout"):
            await collect(client.completions.stream(model="m", prompt="x"))

        assert time.monotonic() - start < 5

    async def test_a_parser_failure_after_the_head_does_not_hang(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A malformed chunk after the head (aiohttp then drops its read timer): read= ends it."""
        client = raw_client(raw(_bad_chunk_later).url, timeout=smarter.Timeout(None, read=0.5))
        start = time.monotonic()

        with pytest.raises(smarter.APITimeoutError):
            await collect(client.completions.stream(model="m", prompt="x"))

        assert time.monotonic() - start < 5


async def _aiter(stream: object):  # type: ignore[no-untyped-def]
    """Iterate a stream of either client from async code."""
    if hasattr(stream, "__aiter__"):
        async for item in stream:
            yield item
    else:
        for item in stream:  # type: ignore[attr-defined]
            yield item
