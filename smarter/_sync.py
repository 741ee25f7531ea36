"""``Client``: the blocking facade, one private event loop in a daemon thread.

The sync client owns an :class:`~smarter.AsyncClient` and runs every call of it on a private
loop (a "portal", as anyio calls it) started lazily in a daemon thread named
``smarter-loop-<n>``; the aiohttp session is created on that loop. Blocking callers hand
work over with ``run_coroutine_threadsafe``, so the client is safe from many threads at once
and works in a thread that already runs a loop (Jupyter). Calling it from its own loop thread
raises instead of deadlocking; Ctrl-C cancels the call in flight; live clients are closed at
interpreter exit; a child process after ``os.fork()`` starts afresh.

This is the only module of the package that runs threads of its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import itertools
import os
import ssl as _ssl
import threading
import weakref
from collections import deque
from collections.abc import Callable, Coroutine, Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

import yarl

from smarter._client import AsyncClient
from smarter._config import (
    DEFAULT_CONNECTION_LIMIT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    AuthScheme,
    NotGiven,
    Timeout,
    TimeoutTypes,
)
from smarter._exceptions import SmarterError
from smarter._pagination import AsyncPage, AsyncPaginator
from smarter._streaming import AsyncStream
from smarter._transport import SessionFactory

if TYPE_CHECKING:
    from smarter._response import HTTPResponse
    from smarter.resources.chat import Chat
    from smarter.resources.chatbots import Resources
    from smarter.resources.completions import Completions
    from smarter.resources.files import Files
    from smarter.resources.fine_tuning import FineTuning
    from smarter.resources.models import Models
    from smarter.resources.responses import Responses

__all__ = ["Client", "Portal", "Stream", "SyncAPIResource", "SyncPage", "blocking"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
A = TypeVar("A")

_COUNTER = itertools.count(1)
_CLOSE_TIMEOUT = 5.0


class _Gate:
    """Whether calls may still be sent to a portal's loop.

    Shared by the portal and its finalizer, which must not hold the portal. A call is sent
    under the lock while the gate is open, and the loop is told to stop only after the gate
    shut: every call sent reaches the loop before the stop does and is cancelled by it,
    never left waiting on a loop that is gone.
    """

    __slots__ = ("lock", "open")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open = True


_CLOSED = "The client is closed; make a new client to send requests."


class Portal:
    """A private event loop in a daemon thread, started on first use.

    Everything that can make a call (the client, its copies, resources, streams, pages)
    holds the portal. Once none does, or at interpreter exit, whatever is still open is
    closed by *cleanup* on the loop's thread and the thread ends: an unclosed client leaves
    no thread, socket or warning behind.
    """

    def __init__(self, cleanup: Callable[[], object] | None = None) -> None:
        self._gate = _Gate()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._cleanup = cleanup
        self._finalizer: weakref.finalize[Any, Any] | None = None
        _PORTALS.add(self)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop, if it was started."""
        return self._loop

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._gate.lock:
            if self._loop is not None:
                return self._loop
            if not self._gate.open:
                raise SmarterError(_CLOSED)
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                try:
                    loop.run_forever()
                finally:
                    _shut_down(loop)

            thread = threading.Thread(
                target=run, name=f"smarter-loop-{next(_COUNTER)}", daemon=True
            )
            thread.start()
            ready.wait()
            self._thread = thread
            self._loop = loop
            # Holds the loop, the thread and the cleanup, never the portal itself.
            self._finalizer = weakref.finalize(self, _stop, loop, thread, self._cleanup, self._gate)
            return loop

    def call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` on the loop and return its (awaited) result.

        Streams and pages come back wrapped for blocking use.
        """
        loop = self._loop or self._start()
        thread = self._thread
        if thread is not None and threading.get_ident() == thread.ident:
            raise SmarterError(
                "A blocking smarter.Client call was made from the client's own event loop "
                "thread, where it would deadlock: use smarter.AsyncClient in async code."
            )
        finished = threading.Event()

        async def invoke() -> Any:
            try:
                value = fn(*args, **kwargs)
                return await self._blocking_form(value)
            finally:
                finished.set()

        coroutine = invoke()
        with self._gate.lock:
            if not self._gate.open:  # closed by another thread since the loop was read
                coroutine.close()
                raise SmarterError(_CLOSED)
            future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result()
        except KeyboardInterrupt:
            # Ctrl-C: cancel the call on the loop and wait for it to let go of its
            # connection, then let the interrupt go on.
            future.cancel()
            finished.wait(_CLOSE_TIMEOUT)
            raise
        except concurrent.futures.CancelledError:
            raise SmarterError("The call was cancelled because the client closed.") from None
        finally:
            # The future holds the error, whose traceback holds this frame: without this,
            # a client dropped after a failed call waits for the cycle collector.
            del future

    async def _blocking_form(self, value: Any) -> Any:
        if isinstance(value, AsyncPaginator):
            return SyncPage(await value, self)
        if isinstance(value, AsyncStream):
            return Stream(value, self)
        if inspect.isawaitable(value):
            value = await value
            if isinstance(value, AsyncPage):
                return SyncPage(value, self)
            if isinstance(value, AsyncStream):
                return Stream(value, self)
        return value

    def stop(self) -> None:
        """Stop the loop (after the cleanup) and join its thread; idempotent."""
        with self._gate.lock:
            self._gate.open = False
            finalizer, self._finalizer = self._finalizer, None
            self._loop = None
            self._thread = None
        if finalizer is not None:
            finalizer()  # runs _stop once, and never again at exit

    def forget(self) -> None:
        """After a fork: drop the parent's loop and thread (gone in the child) unclosed."""
        if self._finalizer is not None:
            self._finalizer.detach()  # the loop's wake-up pipe is shared with the parent
            self._finalizer = None
        _ORPHANS.append(self._loop)  # never finalised: its selector belongs to the parent
        self._gate = _Gate()
        self._loop = None
        self._thread = None


def _stop(
    loop: asyncio.AbstractEventLoop,
    thread: threading.Thread,
    cleanup: Callable[[], object] | None,
    gate: _Gate,
) -> None:
    """Run *cleanup* on the loop's thread, stop the loop, and wait for the thread to end.

    Called by Portal.stop(), or by the garbage collector or at exit for a portal nobody
    closed (in which case it may run in any thread, the loop's own included).
    """

    def finish() -> None:
        try:
            if cleanup is not None:
                cleanup()
        finally:
            loop.stop()

    with gate.lock:
        gate.open = False
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(finish)
    if threading.get_ident() != thread.ident:
        thread.join(_CLOSE_TIMEOUT)


def _shut_down(loop: asyncio.AbstractEventLoop) -> None:
    """In the loop's thread once it stopped: cancel what is left, then close the loop."""
    while tasks := asyncio.all_tasks(loop):
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


_PORTALS: weakref.WeakSet[Portal] = weakref.WeakSet()
_ORPHANS: list[object] = []


def _after_fork_in_child() -> None:
    for portal in list(_PORTALS):
        portal.forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Stream(Generic[T]):
    """A blocking iterator of typed stream chunks; also a context manager.

    .. versionadded:: 0.2.0
    """

    def __init__(self, stream: AsyncStream[T], portal: Portal) -> None:
        self._stream = stream
        self._portal = portal
        self._buffer: deque[T] = deque()

    @property
    def request_id(self) -> str | None:
        """The request id, once the response has started."""
        return self._stream.request_id

    @property
    def response(self) -> HTTPResponse | None:
        """Status and headers of the response, once it has started."""
        return self._stream.response

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if not self._buffer:
            # One hop to the loop fetches every chunk that is ready, not just one.
            self._buffer.extend(self._portal.call(self._stream._next_batch))
            if not self._buffer:
                raise StopIteration
        return self._buffer.popleft()

    def __enter__(self) -> Stream[T]:
        self._portal.call(self._stream.__aenter__)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection now; idempotent."""
        self._buffer.clear()
        if self._portal.loop is not None:
            self._portal.call(self._stream.close)

    def __repr__(self) -> str:
        return f"<Stream {self._stream!r}>"


class SyncPage(Generic[T]):
    """One page of a list; ``for item in page`` walks every item of every page.

    .. versionadded:: 0.2.0
    """

    def __init__(self, page: AsyncPage[T], portal: Portal) -> None:
        self._page = page
        self._portal = portal

    @property
    def data(self) -> list[T]:
        """The items of this page."""
        return self._page.data

    @property
    def response(self) -> Any:
        """The typed list body (``ListFilesResponse``, ...)."""
        return self._page.response

    def has_next_page(self) -> bool:
        """Whether another page follows this one."""
        return self._page.has_next_page()

    def next_page_info(self) -> dict[str, str] | None:
        """The query of the next page's request (``{"after": cursor}``), or None."""
        return self._page.next_page_info()

    def get_next_page(self) -> SyncPage[T]:
        """Fetch the next page (raises :class:`~smarter.SmarterError` on the last one)."""
        page: SyncPage[T] = self._portal.call(self._page.get_next_page)
        return page

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        """This page, then every later page, fetched as the iteration reaches it."""
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = page.get_next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.data

    def __repr__(self) -> str:
        return f"<SyncPage items={len(self.data)} next_cursor={self._page.next_cursor!r}>"


class SyncAPIResource(Generic[A]):
    """The blocking twin of an async resource: the same methods, run on the portal."""

    def __init__(self, resource: A, portal: Portal) -> None:
        self._async = resource
        self._portal = portal


@overload
def blocking(
    fn: Callable[Concatenate[Any, P], AsyncPaginator[T]],
) -> Callable[Concatenate[Any, P], SyncPage[T]]: ...
@overload
def blocking(
    fn: Callable[Concatenate[Any, P], AsyncStream[T]],
) -> Callable[Concatenate[Any, P], Stream[T]]: ...
@overload
def blocking(
    fn: Callable[Concatenate[Any, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Any, P], R]: ...
def blocking(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Derive the blocking twin of an async resource method: same signature, no drift."""

    def method(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        return self._portal.call(fn, self._async, *args, **kwargs)

    method.__name__ = fn.__name__
    method.__qualname__ = fn.__qualname__
    method.__doc__ = fn.__doc__
    method.__module__ = fn.__module__
    method.__wrapped__ = fn  # type: ignore[attr-defined]
    method.__signature__ = _blocking_signature(fn)  # type: ignore[attr-defined]
    return method


def _blocking_signature(fn: Callable[..., Any]) -> inspect.Signature:
    signature = inspect.signature(fn)
    annotation = signature.return_annotation
    if isinstance(annotation, str):
        annotation = annotation.replace("AsyncPaginator[", "SyncPage[").replace(
            "AsyncStream[", "Stream["
        )
    return signature.replace(return_annotation=annotation)


class Client:
    """The blocking client, for scripts, notebooks and threads.

    It takes the same arguments as :class:`smarter.AsyncClient` (except ``http_session``:
    use ``session_factory``, which is called on the client's own loop) and has the same
    resources, whose methods block. Use it as ``with Client() as client:`` or call
    :meth:`close`; a client left open is closed at interpreter exit.

    .. versionadded:: 0.2.0
    """

    _async: AsyncClient
    _portal: Portal
    _closed: bool

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | yarl.URL | None = None,
        auth_scheme: AuthScheme = "token",
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        proxy: str | yarl.URL | None = None,
        ssl: _ssl.SSLContext | bool | None = None,
        connection_limit: int = DEFAULT_CONNECTION_LIMIT,
        session_factory: SessionFactory | None = None,
    ) -> None:
        client = AsyncClient(
            api_key=api_key,
            base_url=base_url,
            auth_scheme=auth_scheme,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            default_query=default_query,
            proxy=proxy,
            ssl=ssl,
            connection_limit=connection_limit,
            session_factory=session_factory,
        )
        # The portal closes the pool on its own loop thread if nobody closes the client.
        self._setup(client, Portal(cleanup=client._transport.close_nowait))

    def _setup(self, client: AsyncClient, portal: Portal) -> None:
        self._async = client
        self._portal = portal
        self._closed = False

    # -- options ---------------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        """The API key (never shown in a repr, a log line or an error message)."""
        return self._async.api_key

    @property
    def base_url(self) -> yarl.URL:
        """The API root, ending in ``/``."""
        return self._async.base_url

    @property
    def timeout(self) -> Timeout:
        """The default timeout of a call."""
        return self._async.timeout

    @property
    def max_retries(self) -> int:
        """The default number of retries of a failed call."""
        return self._async.max_retries

    def with_options(
        self,
        *,
        api_key: str | None = None,
        base_url: str | yarl.URL | None = None,
        auth_scheme: AuthScheme | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
    ) -> Client:
        """A copy with some options changed, sharing this client's loop and connections."""
        copy = Client.__new__(Client)
        copy._setup(
            self._async.with_options(
                api_key=api_key,
                base_url=base_url,
                auth_scheme=auth_scheme,
                timeout=timeout,
                max_retries=max_retries,
                default_headers=default_headers,
                default_query=default_query,
            ),
            self._portal,
        )
        return copy

    def __repr__(self) -> str:
        return (
            f"<Client base_url={str(self.base_url)!r} auth_scheme={self._async.auth_scheme!r}"
            f"{' closed' if self.is_closed else ''}>"
        )

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` was called (on this client or the one it was copied from)."""
        return self._closed or self._async.is_closed

    def close(self) -> None:
        """Close the connections and stop the client's loop thread; idempotent.

        On a copy made by :meth:`with_options`, only once the original and every other
        copy are closed or gone.
        """
        if self._closed:
            return
        self._closed = True
        if not self._async._leave():
            return
        if self._portal.loop is not None:
            with contextlib.suppress(SmarterError):
                self._portal.call(self._async._transport.aclose)
        self._async._transport.close_nowait()
        self._portal.stop()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- resources -------------------------------------------------------------------------

    @cached_property
    def completions(self) -> Completions:
        """LLM Engine completions: ``create()`` and ``stream()``."""
        from smarter.resources.completions import Completions

        return Completions(self._async.completions, self._portal)

    @cached_property
    def chat(self) -> Chat:
        """OpenAI-compatible chat: ``chat.completions`` and ``chat.responses``."""
        from smarter.resources.chat import Chat

        return Chat(self._async.chat, self._portal)

    @cached_property
    def responses(self) -> Responses:
        """The OpenAI-compatible responses API (the same object as ``chat.responses``)."""
        return self.chat.responses

    @cached_property
    def resources(self) -> Resources:
        """Smarter platform resources: ``resources.chatbots``."""
        from smarter.resources.chatbots import Resources

        return Resources(self._async.resources, self._portal)

    @cached_property
    def fine_tuning(self) -> FineTuning:
        """Fine-tuning jobs: ``fine_tuning.jobs``."""
        from smarter.resources.fine_tuning import FineTuning

        return FineTuning(self._async.fine_tuning, self._portal)

    @cached_property
    def models(self) -> Models:
        """LLM endpoints (models): list, get, delete, download."""
        from smarter.resources.models import Models

        return Models(self._async.models, self._portal)

    @cached_property
    def files(self) -> Files:
        """Files for fine-tuning: upload, list, get, content, delete."""
        from smarter.resources.files import Files

        return Files(self._async.files, self._portal)

    whoami = blocking(AsyncClient.whoami)
