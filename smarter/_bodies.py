"""Reading response bodies: bounded, wakeable, and always giving the connection back.

The transport hands over aiohttp's response objects (this module only calls their methods:
it imports no aiohttp) and the way it maps aiohttp's errors (``Errors``). A whole body is
read up to the call's ``Limits.max_response_bytes``, decompressed size included; a stream's
body is read chunk by chunk. Every body being read is registered with the pool's
:class:`~smarter._lifetime.InFlight`, so that closing the client wakes its reader.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from smarter._exceptions import APIConnectionError, APIResponseValidationError
from smarter._lifetime import InFlight
from smarter._response import HTTPResponse

if TYPE_CHECKING:
    from smarter._request import Request

__all__ = ["Errors", "StreamResponse", "finished", "read_all"]


class Errors(NamedTuple):
    """How the transport's failures are caught and told (aiohttp's, without importing it)."""

    caught: tuple[type[BaseException], ...]
    """What a read may raise that is the network's doing."""
    raise_: Callable[[BaseException, Request], NoReturn]
    """Raise the ``smarter`` error of one of them, chaining it."""


def finished(request: Request, response: Any, content: bytes, url: Any = None) -> HTTPResponse:
    """The :class:`HTTPResponse` of an aiohttp response whose body is *content*.

    *url* is the URL the response answers when it is the request's own (never one with
    credentials or a fragment, which aiohttp's ``url`` drops): that property costs as much
    again as the rest (benchmarks/async_json.py).
    """
    headers = response.headers
    return HTTPResponse(
        request.method,
        response.url if url is None else url,
        response.status,
        headers,
        content,
        headers.get("x-request-id") or request.request_id,
        request,
    )


async def read_all(request: Request, response: Any, reading: InFlight) -> bytes:
    """The whole body, up to the call's ``max_response_bytes`` (decompressed).

    Raises:
        APIResponseValidationError: the body is larger (or would be, by its length).
    """
    limit = request.limits.max_response_bytes
    length = response.content_length
    if length is not None and length > limit:
        raise _too_large(request, response, limit)
    chunks: list[bytes] = []
    size = 0
    reading.add(response)
    watchdog = _Watchdog(response, request.timeout.read) if request.timeout.read else None
    try:
        while chunk := await response.content.readany():
            if watchdog is not None:
                watchdog.progress()
            size += len(chunk)
            if size > limit:
                # A body that never ends, or a small gzip that inflates without end: what
                # was read is dropped, the connection closed (aiohttp inflates in bounded
                # steps since 3.13.3, so memory stays near the limit).
                raise _too_large(request, response, limit)
            chunks.append(chunk)
    finally:
        reading.discard(response)
        if watchdog is not None:
            watchdog.stop()
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class _Watchdog:
    """Fail a body read that has had no bytes for ``read`` seconds.

    aiohttp's own read timer normally does this, but it drops that timer when its parser
    fails on a malformed chunk after the head, and the read then waits for the total timeout
    (aiohttp 3.14.5). Only with ``Timeout(read=...)``: one timer per ``read`` seconds.
    """

    __slots__ = ("_handle", "_last", "_loop", "_read", "_response")

    def __init__(self, response: Any, read: float) -> None:
        self._response = response
        self._read = read
        self._loop = asyncio.get_running_loop()
        self._last = self._loop.time()
        self._handle = self._loop.call_at(self._last + read, self._check)

    def progress(self) -> None:
        self._last = self._loop.time()

    def _check(self) -> None:
        if self._loop.time() - self._last >= self._read:
            self._response.content.set_exception(asyncio.TimeoutError())
        else:
            self._handle = self._loop.call_at(self._last + self._read, self._check)

    def stop(self) -> None:
        self._handle.cancel()


def _too_large(request: Request, response: Any, limit: int) -> APIResponseValidationError:
    response.close()
    return APIResponseValidationError(
        f"The response to {request.method} {response.url} is larger than {limit} bytes "
        "(smarter.Limits.max_response_bytes): raise the limit if you expect such answers.",
        response=finished(request, response, b""),
    )


class StreamResponse:
    """A response whose body is read chunk by chunk (an event stream)."""

    def __init__(self, request: Request, response: Any, reading: InFlight, errors: Errors) -> None:
        self._request = request
        self._response = response
        self._reading = reading
        self._errors = errors
        reading.add(response)
        self.status = response.status
        self.headers = response.headers
        self.head = finished(request, response, b"")
        """The status and headers, without the body (kept on errors raised mid-stream)."""

    async def read_chunk(self) -> bytes:
        """The next bytes of the body as they arrive; ``b""`` at its end."""
        try:
            chunk: bytes = await self._response.content.readany()
        except self._errors.caught as exc:
            self.close()
            self._errors.raise_(exc, self._request)
        except RuntimeError as exc:  # aiohttp's "Connection closed." after a close
            self.close()
            raise APIConnectionError(
                f"Connection error: {exc}", request=self._request, retryable=False
            ) from exc
        return chunk

    def expire(self) -> None:
        """Make the read in progress (or the next) fail as a read timeout.

        aiohttp drops a response's read timer when its parser fails on a malformed chunk
        after the head, and the read then waits for ever (aiohttp 3.14.5); the stream's own
        watchdog ends it through here.
        """
        self._response.content.set_exception(asyncio.TimeoutError())

    async def finish(self) -> HTTPResponse:
        """Read the rest of the body (an error answer) and release the connection."""
        try:
            content = await read_all(self._request, self._response, self._reading)
        except self._errors.caught as exc:
            self._errors.raise_(exc, self._request)
        finally:
            self.close()
        return finished(self._request, self._response, content)

    def close(self) -> None:
        """Give the connection back: reused if the body was read to its end, else closed."""
        response = self._response
        self._reading.discard(response)
        if response.content.at_eof():
            response.release()
        else:
            response.close()
