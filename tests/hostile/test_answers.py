"""Answers a hostile server gives: redirects, hints, echoed keys, endless pages, a corpus.

Through the corpus of broken answers only a ``SmarterError`` may escape (issue 17, items 7
and 11).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from itertools import count

import pytest
from helpers import collect, run

import smarter

from .conftest import AnyClient
from .rawserver import RawServer, Request, head

pytestmark = pytest.mark.timeout(30)

KEY = "sk-hostile-0123456789"
FILE = b'{"id": "file-1", "filename": "f", "size": 1}'
Handler = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


def _answers(status: int, body: bytes = b"{}", **headers: str) -> Handler:
    async def handler(request: Request, writer: asyncio.StreamWriter) -> None:
        more = {"content_type": "application/json", **headers}
        writer.write(head(status, "X", content_length=str(len(body)), **more))
        writer.write(body)
        await writer.drain()

    return handler


def _redirect_to(path: str, status: int) -> Handler:
    """Redirect *path*-less requests to *path*; answer there with a file."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> None:
        if request.path.startswith(path):
            await _answers(200, FILE)(request, writer)
        else:
            await _answers(status, b"", location=path)(request, writer)

    return handler


class TestRedirects:
    async def test_a_post_turned_into_a_get_is_refused(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A 301 to a POST: a permanent APIStatusError saying where and why, sent once."""
        server = raw(_redirect_to("/moved/", 301))
        client = raw_client(server.url, max_retries=2)

        with pytest.raises(smarter.APIStatusError) as caught:
            await run(client.completions.create(model="m", prompt="x"))

        message = str(caught.value)
        assert "redirected POST" in message
        assert "/moved/" in message
        assert "turns a POST into a GET" in message
        assert len(server.requests) == 1

    async def test_a_get_on_the_same_host_is_followed(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A 302 of a GET to another path of the same server: followed, key kept."""
        server = raw(_redirect_to("/moved/", 302))
        client = raw_client(server.url)

        got = await run(client.files.get("file-1"))

        assert got.id == "file-1"
        assert server.requests[1].path.startswith("/moved/")
        assert "authorization" in server.requests[1].headers

    async def test_a_redirect_to_another_host_drops_the_key(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A 307 to another origin is followed without the Authorization header."""
        elsewhere = raw(_answers(200, FILE))
        server = raw(_answers(307, b"", location=elsewhere.url + "v1/files/file-1"))
        client = raw_client(server.url)

        got = await run(client.files.get("file-1"))

        assert got.id == "file-1"
        assert "authorization" in server.requests[0].headers
        assert "authorization" not in elsewhere.requests[0].headers

    async def test_a_loop_is_refused_after_five(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A redirect loop: an error naming the redirect count, not "Connection error: 0"."""
        server = raw(_answers(302, b"", location="/again"))
        client = raw_client(server.url, max_retries=2)

        with pytest.raises(smarter.APIStatusError, match="redirect number 6"):
            await run(client.files.get("file-1"))

        assert len(server.requests) == 6


class TestHints:
    async def test_an_overflowing_retry_after_is_not_waited_for(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """Retry-After: 1e400 (infinite): a RateLimitError at once, not a retry without a wait."""
        server = raw(_answers(429, b'{"detail": "slow down"}', retry_after="1e400"))
        client = raw_client(server.url, max_retries=2)

        with pytest.raises(smarter.RateLimitError):
            await run(client.files.get("file-1"))

        assert len(server.requests) == 1

    async def test_an_echoed_key_is_redacted_everywhere(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A server echoing the key in its error: not in the message, body or response text."""
        body = json.dumps({"detail": f"Invalid key {KEY}"}).encode()
        client = raw_client(raw(_answers(401, body)).url)

        with pytest.raises(smarter.AuthenticationError) as caught:
            await run(client.files.get("file-1"))

        error = caught.value
        assert KEY not in str(error)
        assert KEY not in repr(error.body)
        assert KEY not in error.response.text
        assert "<redacted>" in error.response.text


async def _bad_chunk_later(request: Request, writer: asyncio.StreamWriter) -> None:
    """A JSON head, then (in another packet) a chunk size that is not hex."""
    writer.write(head(200, content_type="application/json", transfer_encoding="chunked"))
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.write(b"zz\r\n{}\r\n0\r\n\r\n")
    await writer.drain()
    await asyncio.sleep(30)


class TestStuckBody:
    async def test_read_ends_a_read_aiohttp_stopped_timing(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A malformed chunk after the head: read= ends the call, not the 60 s total."""
        client = raw_client(raw(_bad_chunk_later).url, timeout=smarter.Timeout(60, read=0.5))
        start = time.monotonic()

        with pytest.raises(smarter.APITimeoutError):
            await run(client.files.get("file-1"))

        assert time.monotonic() - start < 5


def _fresh_cursors(size: int) -> Handler:
    numbers = count()

    async def handler(request: Request, writer: asyncio.StreamWriter) -> None:
        cursor = f"{next(numbers):08d}" + "c" * size
        await _answers(200, json.dumps({"files": [], "next_cursor": cursor}).encode())(
            request, writer
        )

    return handler


class TestPages:
    async def test_empty_pages_with_fresh_cursors_stop(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """Empty pages, each with a new 100 KB cursor: the walk stops at max_empty_pages."""
        server = raw(_fresh_cursors(100_000))
        client = raw_client(server.url, limits=smarter.Limits(max_empty_pages=4))

        with pytest.raises(smarter.APIError, match="4 pages in a row without an item"):
            await collect(client.files.list())

        assert len(server.requests) == 4


async def _cut(request: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(head(200, content_type="application/json", content_length="50") + b'{"id"')
    await writer.drain()
    writer.close()


async def _garbage(request: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(b"\x00\xffNOT HTTP AT ALL\r\n\r\n")
    await writer.drain()
    writer.close()


async def _lying_chunks(request: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(head(200, content_type="application/json", transfer_encoding="chunked"))
    writer.write(b"zz\r\n{}\r\n0\r\n\r\n")
    await writer.drain()


async def _bad_sse(request: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(head(200, content_type="text/event-stream", transfer_encoding="chunked"))
    for part in (b"data: {not json}\n\n", b"data: [1, 2]\n\n", b"\xff\xfe\n\n"):
        writer.write(b"%x\r\n%s\r\n" % (len(part), part))
    writer.write(b"0\r\n\r\n")
    await writer.drain()


CORPUS: dict[str, Handler] = {
    "cut-body": _cut,
    "not-http": _garbage,
    "lying-chunks": _lying_chunks,
    "bad-sse": _bad_sse,
    "html-error": _answers(502, b"<html>" * 1000, content_type="text/html"),
    "wrong-type": _answers(200, b'{"id": 5, "filename": [], "size": "big"}'),
    "not-json": _answers(200, b"\xff{"),
    "deep": _answers(200, b"[" * 100_000),
    "bad-encoding": _answers(200, b"{}", content_encoding="br-nonsense"),
    "bad-length": _answers(200, b"{}", content_length="-5"),
    "huge-header": _answers(200, b"{}", x_big="h" * 100_000),
    "retry-after-junk": _answers(503, b"{}", retry_after="\x7fsoon"),
    "redirect-no-location": _answers(301, b""),
    "redirect-junk": _answers(307, b"", location="http://[::1"),
}


class TestCorpus:
    @pytest.mark.parametrize("name", sorted(CORPUS))
    async def test_only_smarter_errors_escape(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient], name: str
    ) -> None:
        """Each broken answer, to a JSON call, a list and a stream: a SmarterError or a result.

        (aiohttp 3.14 leaves a body reader waiting after a malformed chunk size that comes
        after the head, its read timer dropped: the client's own watchdogs end that wait at
        the read timeout, short here.)
        """
        timeout = smarter.Timeout(10, read=1)
        client = raw_client(raw(CORPUS[name]).url, max_retries=1, timeout=timeout)
        calls = [
            lambda: run(client.files.get("file-1")),
            lambda: collect(client.files.list()),
            lambda: collect(client.completions.stream(model="m", prompt="x")),
        ]
        escaped = []
        for call in calls:
            try:
                await call()
            except smarter.SmarterError:
                pass
            except BaseException as exc:
                escaped.append(repr(exc))

        assert escaped == []
