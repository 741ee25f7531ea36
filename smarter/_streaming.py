"""``AsyncStream``: typed chunks of an event stream, retried, resumed, and always released.

The stream opens its connection on first use (``async for`` or ``async with``), retries the
call like any other until its first chunk has been handed to the caller, and after that
resumes a broken stream with ``Last-Event-ID`` when its events carry ids (PROTOCOL.md,
"Stream resume"). Keep-alives are never yielded. A stream that ends before its final event
and cannot be resumed raises :class:`~smarter.IncompleteStreamError`: never a silently short
answer. The connection is released at once on exhaustion, error, ``close()``, or when a
stream left by ``break`` is garbage collected.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Generic, TypeVar

import yarl

from smarter._config import Timeout
from smarter._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    IncompleteStreamError,
    make_status_error,
    status_error_class,
)
from smarter._logging import log_attempt
from smarter._response import HTTPResponse
from smarter._retry import run_with_retries
from smarter._sse import ServerSentEvent, SSEDecoder
from smarter._transport import Body, StreamResponse, Transport, running_on

__all__ = ["AsyncStream", "InStreamError", "StreamKind"]

T = TypeVar("T")

# After the final event the server ends the body at once; the connection goes back to the
# pool only once that end has been read. How long, and how many trailing bytes, to wait for
# it before closing the connection instead.
_DRAIN_TIMEOUT = 0.5
_DRAIN_LIMIT = 64 * 1024
_NOTHING = object()


# (Not in the typeshed stubs, but part of JSONDecoder since Python 2.6.)
_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


class InStreamError(Exception):
    """Raised by a :class:`StreamKind` for an error event; the stream gives it its class."""

    def __init__(self, message: str, status: int | None, body: object) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body


class StreamKind(abc.ABC, Generic[T]):
    """What the events of one kind of stream mean: chunks, keep-alives, the end, errors."""

    @abc.abstractmethod
    def decode(self, event: ServerSentEvent, request_id: str) -> tuple[T | None, bool]:
        """The chunk an event carries (None for a keep-alive) and whether it is the last.

        Raises:
            InStreamError: the event reports an error.
            APIResponseValidationError: the event does not fit.
        """

    @staticmethod
    def json(event: ServerSentEvent) -> Any:
        """The event's data as JSON, or an error naming what arrived instead."""
        text = event.data
        try:
            # The C scanner behind json.loads, called directly: json.loads adds two Python
            # calls and two regex matches per event. Anything it does not read whole (space
            # around the value, trailing bytes, invalid JSON) goes to json.loads to decide.
            value, end = _scan_once(text, 0)
        except (StopIteration, ValueError):
            end = -1
        if end == len(text):
            return value
        try:
            return json.loads(text)
        except ValueError as exc:
            raise APIResponseValidationError(
                f"A stream event is not valid JSON: {event.data[:200]!r}", body=event.data
            ) from exc


class AsyncStream(Generic[T]):
    """An asynchronous iterator of typed stream chunks; also an async context manager.

    Returned at once by the streaming methods, without awaiting; the request is sent when
    iteration (or ``async with``) starts.

    .. versionadded:: 0.2.0
    """

    def __init__(
        self,
        *,
        transport: Transport,
        url: yarl.URL,
        headers: dict[str, str],
        body: Body,
        timeout: Timeout,
        max_retries: int,
        label: str,
        kind: StreamKind[T],
        redact: Callable[[APIError], APIError],
    ) -> None:
        self._transport = transport
        self._url = url
        self._headers = headers
        self._body = body
        self._timeout = timeout
        self._max_retries = max_retries
        self._label = label
        self._kind = kind
        self._redact = redact
        self._request_id = headers["X-Smarter-RequestId"]
        self._response: StreamResponse | None = None
        self._head: HTTPResponse | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._decoder = SSEDecoder()
        # Events read but not yet decoded: a chunk is built only when the caller asks for it,
        # so it dies young. Chunks decoded a whole read ahead would outlive the garbage
        # collector's youngest generation and cost more to collect than to build.
        self._events: deque[ServerSentEvent] = deque()
        self._decode = kind.decode
        self._pending: APIError | None = None
        self._last_id: str | None = None
        self._retries = 0
        self._delivered = False
        self._done = False
        self._closed = False
        self._aborted = False

    # -- public surface -------------------------------------------------------------------

    @property
    def request_id(self) -> str | None:
        """The request id, once the response has started (None before)."""
        return self._head.request_id if self._head is not None else None

    @property
    def response(self) -> HTTPResponse | None:
        """Status and headers of the (latest) response, once it has started."""
        return self._head

    def __aiter__(self) -> AsyncStream[T]:
        return self

    async def __anext__(self) -> T:
        while True:
            if self._pending is not None:
                error, self._pending = self._pending, None
                self._abort()
                raise error
            if self._aborted:
                # Iterating on after a failure or a cancel must not look like a clean end.
                raise IncompleteStreamError(
                    "The stream was interrupted before its final event.",
                    request_id=self.request_id,
                )
            try:
                item = self._next_ready()
            except APIError as error:
                if self._delivered or isinstance(error, APIResponseValidationError):
                    self._abort()
                    raise
                # An error before any chunk was delivered is an error of the call: it is
                # retried (from the start) when its status says so.
                await self._releasing(self._recover(error, fresh=True))
                continue
            if item is not _NOTHING:
                self._delivered = True
                return item  # type: ignore[return-value]
            if self._done:
                await self._releasing(self._drain())
                raise StopAsyncIteration
            await self._releasing(self._fill())

    async def _releasing(self, step: Coroutine[Any, Any, None]) -> None:
        """Await a step of the iteration; whatever it raises (a cancel too) aborts."""
        try:
            await step
        except BaseException:
            self._abort()
            raise

    def _next_ready(self) -> T | object:
        """The next chunk of the events already read, or ``_NOTHING``; never any I/O."""
        events = self._events
        decode = self._decode
        while events:
            event = events.popleft()
            try:
                item, last = decode(event, self.request_id or self._request_id)
            except InStreamError as err:
                events.clear()
                self._done = True
                raise self._redact(self._in_stream_error(err)) from None
            except APIResponseValidationError as exc:
                exc.response = self._head
                exc.request_id = self.request_id or self._request_id
                self._redact(exc)
                # The server goes on as if nothing were wrong: close rather than drain.
                self._abort()
                raise
            if last:
                events.clear()
                self._done = True
            if item is not None:
                return item
        return _NOTHING

    async def _next_batch(self) -> list[T]:
        """Every chunk ready now (at least one), or [] at the end: one hop for sync callers."""
        try:
            batch = [await self.__anext__()]
        except StopAsyncIteration:
            return []
        while self._events:
            try:
                item = self._next_ready()
            except APIError as error:
                self._pending = error  # raised by the next call, after this batch
                break
            if item is _NOTHING:
                break
            batch.append(item)  # type: ignore[arg-type]
        return batch

    def __await__(self) -> Generator[Any, None, AsyncStream[T]]:
        # `stream = await client.chat.completions.create(..., stream=True)`, as in
        # openai-python: opens the stream (so its errors surface here) and returns it.
        return self.__aenter__().__await__()

    async def __aenter__(self) -> AsyncStream[T]:
        if self._response is None and not self._done and not self._closed:
            try:
                await self._connect(None)
            except BaseException:
                self._abort()
                raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Release the connection now; the stream yields nothing more. Idempotent."""
        self._release()

    def __repr__(self) -> str:
        return f"<AsyncStream {self._label} request_id={self.request_id!r}>"

    def __del__(self) -> None:
        response = self._response
        if response is None:
            return
        self._response = None
        loop = self._loop
        # A stream left behind by `break` still holds a connection: give it back now. The
        # last reference may go in another thread (the sync facade's caller).
        if loop is None or loop.is_closed():
            return
        if running_on(loop):
            response.close()
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(response.close)

    # -- mechanics ------------------------------------------------------------------------

    def _abort(self) -> None:
        """Release after a failure: iterating on raises instead of ending quietly."""
        self._aborted = True
        self._release()

    def _release(self) -> None:
        self._closed = True
        self._done = True
        self._events.clear()
        response, self._response = self._response, None
        if response is not None:
            response.close()

    async def _open(self, retry_count: int, last_event_id: str | None) -> StreamResponse:
        headers = self._headers
        if retry_count or last_event_id is not None:
            headers = {**headers, "X-Smarter-Retry-Count": str(retry_count)}
            if last_event_id is not None:
                headers["Last-Event-ID"] = last_event_id
        response = await self._transport.open_stream(
            "POST",
            self._url,
            headers=headers,
            body=self._body,
            timeout=self._timeout,
            request_id=self._request_id,
        )
        self._head = response.head()
        if response.status >= 400:
            raise self._redact(make_status_error(await response.finish()))
        content_type = response.headers.get("Content-Type", "")
        if not content_type.startswith("text/event-stream"):
            finished = await response.finish()
            raise APIResponseValidationError(
                f"Expected an event stream, got {content_type or 'no content type'}.",
                body=finished.text[:500],
                response=finished,
                request_id=finished.request_id,
            )
        return response

    def _count_retry(self, retries: int) -> None:
        self._retries = retries

    async def _connect(self, error: APIError | None, *, resume: bool = False) -> None:
        """Open the stream (again): retried on the call's one budget of retries."""
        self._loop = asyncio.get_running_loop()
        last_id = self._last_id if resume else None
        response = await run_with_retries(
            lambda n: self._open(n, last_id),
            max_retries=self._max_retries,
            label=self._label,
            retries_taken=self._retries,
            first_error=error,
            on_retry=self._count_retry,
        )
        if self._closed:
            # close() was called (by another task) while this was connecting.
            response.close()
            return
        self._response = response
        self._decoder = SSEDecoder()
        log_attempt(self._label, response.status, self._retries + 1, self.request_id)

    async def _recover(self, error: APIError, *, fresh: bool = False) -> None:
        """Carry on after a broken stream: resume it, start it over, or fail loudly."""
        response, self._response = self._response, None
        if response is not None:
            response.close()
        if fresh:
            self._last_id = None
            self._events.clear()
            self._done = False
        resumable = self._last_id is not None
        if self._delivered and not resumable:
            raise self._lost(error) from error
        try:
            await self._connect(error, resume=resumable)
        except APIError as final:
            if self._delivered or not fresh:
                # The response had started and broke: the stream ended early, whatever
                # the attempts to resume it answered.
                raise self._lost(error) from final
            raise

    def _lost(self, error: APIError) -> APIConnectionError:
        if isinstance(error, APITimeoutError):
            return APITimeoutError(
                "The stream was silent for longer than the read timeout.",
                request_id=self.request_id,
            )
        if isinstance(error, IncompleteStreamError):
            return error
        return IncompleteStreamError(
            "The stream ended before its final event and could not be resumed.",
            request_id=self.request_id,
        )

    def _in_stream_error(self, err: InStreamError) -> APIError:
        head = self._head
        if err.status is None or err.status < 400 or head is None:
            return APIError(err.message, body=err.body, request_id=self.request_id)
        cls = status_error_class(err.status)
        return cls(err.message, response=head, body=err.body, status_code=err.status)

    async def _fill(self) -> None:
        """Read until an event is queued or the stream is over.

        A close() by another task while this waits ends the stream as it asked: what broke
        is its doing, not the network's, and is neither resumed nor reported.
        """
        while not self._events and not self._done:
            if self._response is None:
                await self._connect(None)
            response = self._response
            if response is None:  # closed while connecting
                return
            try:
                data = await response.read_chunk()
            except APIConnectionError as exc:
                if self._closed:
                    return
                await self._recover(exc)
                continue
            if self._closed:
                return
            if not data:
                self._decoder.close()
                await self._recover(
                    APIConnectionError(
                        "The stream ended before its final event.", request_id=self.request_id
                    )
                )
                continue
            events = self._decoder.feed(data)
            if events:
                # The id in effect after the last event read: a resume continues after it
                # (the events still queued are delivered all the same).
                last_id = events[-1].id
                if last_id is not None:
                    self._last_id = last_id
                self._events.extend(events)

    async def _drain(self) -> None:
        """Read what follows the final event (normally just the body's end), then release.

        A connection whose body was read to its end goes back to the pool; one that still
        has bytes coming after ``_DRAIN_TIMEOUT`` or ``_DRAIN_LIMIT`` is closed.
        """
        response, self._response = self._response, None
        if response is None:
            return

        async def read_to_end() -> None:
            left = _DRAIN_LIMIT
            while left > 0 and (data := await response.read_chunk()):
                left -= len(data)

        try:
            await asyncio.wait_for(read_to_end(), _DRAIN_TIMEOUT)
        except (APIConnectionError, asyncio.TimeoutError):
            pass  # closed below: the connection is not reused
        finally:
            response.close()
