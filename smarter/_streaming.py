"""``AsyncStream``: typed chunks of an event stream, retried, resumed, and always released.

A stream is handed an ``open`` callable by the pipeline, which sends (or resends) its request
under the retry policy; it never sees the transport. It opens on first use (``async for`` or
``async with``); until its first chunk has been handed to the caller a failure is retried
like that of any call, and after that a broken stream is resumed with ``Last-Event-ID`` when
its events carry ids (PROTOCOL.md, "Stream resume"). Keep-alives are never yielded. A body
that ends cleanly after an event ends the stream, final event or not; one that breaks off
(a reset connection, an incomplete chunked body, a read timeout) and cannot be resumed raises
:class:`~smarter.IncompleteStreamError`: never a silently short answer.

Its lifetime is one :class:`StreamState`; the connection is released at once on the final
event, an error, ``close()``, or when a stream left by ``break`` is garbage collected.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import weakref
from collections import deque
from collections.abc import AsyncIterator, Coroutine, Generator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from smarter._accumulate import fold, fold_text
from smarter._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    IncompleteStreamError,
    SmarterError,
)
from smarter._lifetime import running_on
from smarter._resume import lost, past_resume_point, resume_point, sendable_id
from smarter._sse import EventTooLargeError, ServerSentEvent, SSEDecoder
from smarter._status import status_error_class
from smarter._stream_kind import InStreamError, Opener, StreamBody, StreamKind, drain

if TYPE_CHECKING:
    from smarter._request import Request
    from smarter._response import HTTPResponse
    from smarter._stream_kind import Accumulates, Accumulator

__all__ = ["AsyncStream", "StreamState"]

# Covariant: a stream only hands out its chunks (and so `final()` can read what they fold
# into from the chunk type, see _stream_kind.Accumulates).
T = TypeVar("T", covariant=True)  # noqa: PLC0105 (the house's name for a stream's chunk)
R = TypeVar("R")

_NOTHING: Any = object()
_ONE_READER = (
    "This stream is being read by another task (or thread) right now: a stream has one "
    "reader. Read it in one place, or make one call per reader."
)


class StreamState(enum.Enum):
    """Where a stream is in its life; each state says what iterating it does.

    .. versionadded:: 0.3.0
    """

    NEW = "new"
    """Nothing sent yet: iterating (or ``async with``) sends the request."""
    OPEN = "open"
    """The response started; chunks are read as the caller asks for them."""
    FINISHED = "finished"
    """The final event was read: what is queued is delivered, then the body is drained."""
    CLOSED = "closed"
    """Released after its end, or by ``close()``: iterating yields nothing more."""
    FAILED = "failed"
    """Released after an error: iterating again raises ``IncompleteStreamError``."""


def _tick(stream: weakref.ref[AsyncStream[Any]]) -> None:
    """The watchdog's tick (see AsyncStream._watch), if the stream still exists."""
    alive = stream()
    if alive is not None:
        alive._watch()


class AsyncStream(Generic[T]):
    """An asynchronous iterator of typed stream chunks; also an async context manager.

    Returned at once by the streaming methods, without awaiting; the request is sent when
    iteration (or ``async with``) starts.

    .. versionadded:: 0.2.0
    """

    def __init__(self, *, open: Opener, kind: StreamKind[T], request: Request) -> None:
        self._open = open
        kind.max_depth = request.limits.max_json_depth
        self._kind = kind
        self._decode = kind.decode
        self._request = request
        self._state = StreamState.NEW
        self._body: StreamBody | None = None
        self._head: HTTPResponse | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._max_event = request.limits.max_event_bytes
        self._decoder = SSEDecoder(compact=True, max_event=self._max_event)
        # Events read but not yet decoded (a plain message event as its data alone): a chunk
        # is built only when the caller asks for it, so it dies young. Chunks decoded a whole
        # read ahead would outlive the garbage collector's youngest generation and cost more
        # to collect than to build (benchmarks/stream.py).
        self._events: deque[str | ServerSentEvent] = deque()
        self._pending: APIError | None = None
        self._last_id: str | None = None
        self._delivered = False
        # When the caller last got a chunk (None: since then no read came back empty-handed);
        # `read` bounds the time without one, keep-alives and trickled bytes or not.
        self._quiet_since: float | None = None
        self._busy = False  # a read is in progress: a second reader is refused
        # After a resume: the id through which events are the server replaying what was
        # delivered already (numeric ids only), and whether an id made resuming unsafe.
        self._skip_through: int | None = None
        self._ids_broken = False
        self._accumulator: Accumulator[Any, Any] | None = None
        self._watchdog: asyncio.TimerHandle | None = None  # see _watch

    # -- public surface -------------------------------------------------------------------

    @property
    def state(self) -> StreamState:
        """Where the stream is in its life.

        .. versionadded:: 0.3.0
        """
        return self._state

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

    async def final(self: AsyncStream[Accumulates[R]]) -> R:
        """Read the rest and return the whole result (see :mod:`smarter._accumulate`).

        A ``ChatCompletion`` (tool calls merged), ``CompletionSyncResponse`` or ``Response``.

        .. versionadded:: 0.3.0
        """
        return await fold(self)

    def text(self) -> AsyncIterator[str]:
        """Iterate the text of the answer only, as it arrives; :meth:`final` may follow.

        .. versionadded:: 0.3.0
        """
        return fold_text(self)

    async def __anext__(self) -> T:
        # Speed (benchmarks/stream.py): the common case, a chunk decoded from an event
        # already read, without the loop of _next; anything else goes there.
        events = self._events
        if events and self._pending is None and not self._busy:
            event = events.popleft()
            try:
                if event.__class__ is str:
                    item, last = self._decode(event, "message", self._head)  # type: ignore[arg-type]
                else:
                    item, last = self._decode(event.data, event.event, self._head)  # type: ignore[union-attr,arg-type]
            except (InStreamError, APIResponseValidationError):
                events.appendleft(event)  # decoded again by _next, which handles it
            else:
                if last:
                    events.clear()
                    self._state = StreamState.FINISHED
                if item is not None:
                    self._delivered = True
                    self._quiet_since = None
                    return item
        return await self._next()

    async def _next(self) -> T:
        """The next chunk: read, retried, resumed, or the end, as the state says."""
        while True:
            if self._pending is not None:
                error, self._pending = self._pending, None
                self._fail()
                raise error
            state = self._state
            if state is StreamState.FAILED:
                # Iterating on after a failure or a cancel must not look like a clean end.
                raise IncompleteStreamError(
                    "The stream was interrupted before its final event.", request=self._request
                )
            try:
                item = self._next_ready()
            except APIError as error:
                if self._delivered or isinstance(error, APIResponseValidationError):
                    self._fail()
                    raise
                # An error before any chunk was delivered is an error of the call: it is
                # retried (from the start) when its status says so.
                await self._step(self._restart(error))
                continue
            if item is not _NOTHING:
                self._delivered = True
                self._quiet_since = None
                return item
            if state is StreamState.FINISHED:
                await self._step(self._drain())
                raise StopAsyncIteration
            if state is StreamState.CLOSED:
                raise StopAsyncIteration
            await self._step(self._fill())

    async def _step(self, step: Coroutine[Any, Any, None]) -> None:
        """Await a step of the iteration; whatever it raises (a cancel too) fails the stream.

        Raises:
            SmarterError: another task (or thread) is reading the stream right now.
        """
        if self._busy:
            step.close()
            raise SmarterError(_ONE_READER)
        self._busy = True
        try:
            await step
        except BaseException:
            self._fail()
            raise
        finally:
            self._busy = False

    def _next_ready(self) -> T:
        """The next chunk of the events already read, or ``_NOTHING``; never any I/O."""
        events = self._events
        decode = self._decode
        head = self._head
        while events:
            assert head is not None
            event = events.popleft()
            try:
                if isinstance(event, str):
                    item, last = decode(event, "message", head)
                else:
                    item, last = decode(event.data, event.event, head)
            except InStreamError as err:
                events.clear()
                self._state = StreamState.FINISHED
                raise self._in_stream_error(err, head) from None
            except APIResponseValidationError:
                # The server goes on as if nothing were wrong: close rather than drain.
                self._fail()
                raise
            if last:
                events.clear()
                self._state = StreamState.FINISHED
            if item is not None:
                return item
        return _NOTHING  # type: ignore[no-any-return]

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
            batch.append(item)
        return batch

    def __await__(self) -> Generator[Any, None, AsyncStream[T]]:
        # `stream = await client.chat.completions.create(..., stream=True)`, as in
        # openai-python: opens the stream (so its errors surface here) and returns it.
        return self.__aenter__().__await__()

    async def __aenter__(self) -> AsyncStream[T]:
        if self._state is StreamState.NEW:
            await self._step(self._connect(None))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Release the connection now; the stream yields nothing more. Idempotent."""
        if self._state is not StreamState.FAILED:
            self._state = StreamState.CLOSED
        self._release()

    def __repr__(self) -> str:
        state = self._state.value
        return f"<AsyncStream {self._request.label} {state} request_id={self.request_id!r}>"

    def __del__(self) -> None:
        body = self._body
        if body is None:
            return
        self._body = None
        loop = self._loop
        # A stream left behind by `break` still holds a connection: give it back now. The
        # last reference may go in another thread (the sync facade's caller).
        if loop is None or loop.is_closed():
            return
        if running_on(loop):
            body.close()
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(body.close)

    # -- mechanics ------------------------------------------------------------------------

    def _fail(self) -> None:
        """Release after a failure: iterating on raises instead of ending quietly."""
        if self._state is not StreamState.CLOSED:
            self._state = StreamState.FAILED
        self._release()

    def _release(self) -> None:
        self._events.clear()
        self._unwatch()
        body, self._body = self._body, None
        if body is not None:
            body.close()

    async def _connect(self, error: APIError | None, *, resume: bool = False) -> None:
        """Open the stream (again), on the call's one budget of retries."""
        self._loop = asyncio.get_running_loop()
        body = await self._open(self._last_id if resume else None, error)
        if self._state is StreamState.CLOSED:
            # close() was called (by another task) while this was connecting.
            body.close()
            return
        self._body = body
        self._head = body.head
        # A resumed body is read event by event, ids and all, to drop what it replays.
        self._decoder = SSEDecoder(compact=not resume, max_event=self._max_event)
        self._skip_through = resume_point(self._last_id) if resume else None
        self._quiet_since = None
        self._state = StreamState.OPEN
        self._watch()

    async def _restart(self, error: APIError) -> None:
        """Start over after an error before any chunk was delivered (if it may be retried)."""
        self._release()
        self._last_id = None
        self._state = StreamState.NEW
        await self._connect(error)

    async def _recover(self, error: APIError) -> None:
        """Carry on after the body broke: resume it, start it over, or fail loudly."""
        self._release()
        if isinstance(error, APIConnectionError) and not error._retryable:
            raise error  # the client was closed, say: no resume can heal it
        resumable = self._last_id is not None and not self._ids_broken
        if self._delivered and not resumable:
            raise lost(error, self._request) from error
        try:
            await self._connect(error, resume=resumable)
        except APIError as final:
            # The response had started and broke: the stream ended early, whatever the
            # attempts to resume it answered.
            raise lost(error, self._request) from final

    def _in_stream_error(self, err: InStreamError, head: HTTPResponse) -> APIError:
        if err.status is None or err.status < 400:
            return APIError(err.message, body=err.body, request=self._request)
        cls = status_error_class(err.status)
        return cls(err.message, response=head, body=err.body, status_code=err.status)

    async def _fill(self) -> None:
        """Read until an event is queued or the stream is over.

        A close() by another task while this waits ends the stream as it asked: what broke
        is its doing, not the network's, and is neither resumed nor reported.
        """
        while not self._events:
            state = self._state
            if state is StreamState.NEW:
                await self._connect(None)
                continue
            body = self._body
            if state is not StreamState.OPEN or body is None:
                return
            if self._silent_too_long():
                await self._recover(APITimeoutError(request=self._request))
                continue
            try:
                data = await body.read_chunk()
            except APIConnectionError as exc:
                if self._state is StreamState.CLOSED:
                    return
                await self._recover(exc)
                continue
            if self._state is StreamState.CLOSED:
                return
            if not data:
                if self._decoder.close():
                    # The body ended inside an event: that event is cut short.
                    await self._recover(
                        APIConnectionError(
                            "The stream ended in the middle of an event.", request=self._request
                        )
                    )
                    continue
                # The body ended cleanly after its last event: the server finished, even
                # without a final event (LLM Engine's TensorRT-LLM streams never set
                # `finished`, its v2 chat streams send no [DONE]: PROTOCOL.md, "How a stream
                # ends"). What is queued is delivered, then the stream ends. Unless the
                # kind's every ending is an event: then the body was cut short.
                if self._kind.final_event_required:
                    await self._recover(IncompleteStreamError(request=self._request))
                    continue
                self._state = StreamState.FINISHED
                return
            self._queue(data)

    def _queue(self, data: bytes) -> None:
        """Decode the next bytes of the body and queue the events they complete."""
        try:
            events = self._decoder.feed(data)
        except EventTooLargeError as exc:
            raise APIResponseValidationError(str(exc), response=self._head) from None
        if events:
            # The id in effect at the last event read: a resume continues after it (the
            # events still queued are delivered all the same).
            last_id = self._decoder.dispatched_id
            if last_id is not None:
                if sendable_id(last_id):
                    self._last_id = last_id
                else:
                    self._ids_broken = True
            if self._skip_through is not None:
                events, self._skip_through = past_resume_point(events, self._skip_through)
            self._events.extend(events)

    def _watch(self) -> None:
        """Check the silence every ``read`` seconds while the body is open; end a stuck read.

        The check before each read (_silent_too_long) cannot end a read that never returns:
        aiohttp drops a response's read timer when its parser fails on a malformed chunk
        after the head (aiohttp 3.14.5), and the read then waits for ever. One timer per
        ``read`` seconds, not one per read: nothing on a chunk's path (benchmarks/stream.py).
        """
        self._unwatch()
        limit = self._request.timeout.stream_read
        body = self._body
        if limit is None or self._state is not StreamState.OPEN or body is None:
            return
        assert self._loop is not None
        now = self._loop.time()
        since = self._quiet_since
        if since is not None and now - since > limit:
            body.expire()
            return
        # A weak reference: a stream left after `break` is still collected (and its
        # connection closed) at once, as without the watchdog.
        when = (now if since is None else since) + limit
        self._watchdog = self._loop.call_at(when, _tick, weakref.ref(self))

    def _unwatch(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _silent_too_long(self) -> bool:
        """Whether the caller has had no chunk for longer than the read timeout allows.

        Called before each read: a body that trickles bytes, or sends nothing but
        keep-alives, never lets the socket's own read timeout fire.
        """
        limit = self._request.timeout.stream_read
        if limit is None:
            return False
        assert self._loop is not None
        now = self._loop.time()
        since = self._quiet_since
        if since is None:
            self._quiet_since = now
            return False
        return now - since > limit

    async def _drain(self) -> None:
        """Read what follows the final event, then release (see :func:`drain`)."""
        body, self._body = self._body, None
        self._state = StreamState.CLOSED
        self._unwatch()
        if body is not None:
            await drain(body)
