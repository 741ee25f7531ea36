"""Writing server-sent events: framing, keep-alives, batching, and the stream faults.

A fast stream (no token delay, no pacing fault) is written in batches of about 64 KiB, so
that 50,000 events cost a few dozen network writes rather than 50,000. A paced stream
(``Fault.chunk_size`` / ``Fault.slow_body``) is written exactly as the fault says: pieces of
``chunk_size`` bytes, each its own network write.
"""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Callable, Iterable

from aiohttp import web

from smarter.testing._faults import Fault
from smarter.testing._http import CONTEXT, FAULT, Context

__all__ = ["SSEWriter", "run_stream"]

_BATCH = 64 * 1024
_PLAIN = Fault()


class SSEWriter:
    """Frames events and writes them to a prepared streaming response."""

    def __init__(
        self,
        request: web.Request,
        response: web.StreamResponse,
        *,
        fault: Fault,
        keepalive_data: str | None,
    ) -> None:
        self._request = request
        self._response = response
        self._context: Context = request.app[CONTEXT]
        self._fault = fault
        self._line = fault.line_ending
        profile = self._context.profile
        # Ids only where the profile serves them, unless the fault says otherwise.
        self._ids = profile.event_ids if fault.ids is None else fault.ids
        self._keepalive_data = keepalive_data if profile.null_keepalives else None
        self._buffer = bytearray()
        self._wrote = False
        self._last_keepalive = time.monotonic()

    def _frame(self, data: str, event_id: int | None, name: str | None = None) -> bytes:
        line = self._line
        head = f"event: {name}{line}" if name is not None else ""
        if event_id is not None and self._ids:
            head = f"id: {event_id}{line}{head}"
        return f"{head}data: {data}{line}{line}".encode()

    async def event(self, data: str, event_id: int | None, name: str | None = None) -> None:
        """Send one event, ``event: <name>`` first when named.

        ``event_id`` is left out when the fault says ``ids=False``.
        """
        interval = self._context.keepalive_interval
        if interval > 0 and time.monotonic() - self._last_keepalive >= interval:
            await self.keepalive()
        await self._emit(self._frame(data, event_id, name))

    async def keepalive(self) -> None:
        """Send a ``: ping - <time>`` comment, as sse-starlette does.

        On completion streams in the ``extended`` profile, also an ``output: null`` chunk.
        """
        self._last_keepalive = time.monotonic()
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        payload = f": ping - {now}{self._line}{self._line}".encode()
        if self._keepalive_data is not None:
            payload += self._frame(self._keepalive_data, None)
        await self._emit(payload)
        await self.flush()

    async def pause(self, seconds: float) -> None:
        """Flush, then wait ``seconds``, sending keep-alives when they fall due."""
        await self.flush()
        interval = self._context.keepalive_interval
        deadline = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            if now >= deadline:
                return
            if interval <= 0:
                await self._context.sleep(deadline - now)
                return
            due = self._last_keepalive + interval
            if now >= due:
                await self.keepalive()
                continue
            await self._context.sleep(min(deadline, due) - now)

    async def _emit(self, data: bytes) -> None:
        if self._fault.paced:
            await self._write_paced(data)
            return
        self._buffer += data
        if len(self._buffer) >= _BATCH:
            await self.flush()

    async def _write_paced(self, data: bytes) -> None:
        size = self._fault.chunk_size or len(data)
        for start in range(0, len(data), size):
            if self._wrote and self._fault.chunk_size is not None and self._fault.slow_body > 0:
                await self._context.sleep(self._fault.slow_body)
            await self._response.write(data[start : start + size])
            self._wrote = True
            await drain(self._request)

    async def flush(self) -> None:
        """Write what the batch holds."""
        if self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            await self._response.write(data)
            self._wrote = True

    async def finish(self) -> None:
        """Flush and end the response cleanly (the terminating chunk)."""
        await self.flush()
        await self._response.write_eof()

    async def abort(self) -> None:
        """Flush, let the bytes reach the socket, then close the connection mid-body."""
        await self.flush()
        await drain(self._request, everything=True)
        transport = self._request.transport
        if transport is not None:
            transport.abort()


async def drain(request: web.BaseRequest, *, everything: bool = False) -> None:
    """Give the written bytes to the socket before going on.

    Yields to the loop once, so that a piece goes out in its own network write; with
    ``everything``, waits (up to a second) until the transport's buffer is empty, because
    closing a transport throws away what it still buffers.
    """
    await asyncio.sleep(0)
    transport = request.transport
    if transport is None:
        return
    # Polled: asyncio offers no "buffer empty" event, only the high-water pause.
    for _ in range(1000 if everything else 200):
        if transport.is_closing() or transport.get_write_buffer_size() == 0:
            return
        await asyncio.sleep(0.001)


async def run_stream(
    request: web.Request,
    events: Iterable[tuple[int, str] | tuple[int, str, str]],
    *,
    error_data: Callable[[Fault], str],
    keepalive_data: str | None = None,
    error_name: str | None = None,
) -> web.StreamResponse:
    """Answer a request with a stream of events, honouring the request's fault.

    Args:
        request: The request.
        events: ``(event id, data)`` pairs, or ``(event id, data, event name)``, already
            starting after any ``Last-Event-ID``.
        error_data: Builds the data of an in-stream error event from the fault.
        keepalive_data: The data of the null chunk sent with each ``: ping``, if any.
        error_name: The ``event:`` name of the in-stream error event, if it has one.

    Returns:
        The (finished or aborted) response.
    """
    context = request.app[CONTEXT]
    fault = request.get(FAULT, _PLAIN)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    writer = SSEWriter(request, response, fault=fault, keepalive_data=keepalive_data)
    gap = context.token_delay + (fault.slow_body if fault.chunk_size is None else 0.0)
    for sent, (event_id, data, *name) in enumerate(events):
        if fault.cut_after is not None and sent >= fault.cut_after:
            if fault.abort:
                await writer.abort()
                return response
            break
        if fault.error_after is not None and sent >= fault.error_after:
            await writer.event(error_data(fault), event_id, error_name)
            break
        if sent and gap > 0:
            await writer.pause(gap)
        await writer.event(data, event_id, name[0] if name else None)
    await writer.finish()
    return response
