"""How the blocking twins are derived: ``blocking()``, the sync forms of streams and pages.

A resource is written once, in async form. Its blocking twin is a class of one-line
attributes, ``create = blocking(AsyncFiles.create)``: the same parameters, the same
docstring, run on the client's :class:`~smarter._portal.Portal`, with the result in its
blocking form: an :class:`~smarter.AsyncStream` becomes a :class:`Stream`, a paginator the
first :class:`SyncPage`, a run of many requests (:class:`~smarter.AsyncRun`) a :class:`Run`,
and an object of a class registered with :func:`register_twin` (a
chatbot) its twin. Sub-resources are derived the same way with :class:`twin`.
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from smarter._accumulate import accumulator_of, add_checked
from smarter._exceptions import APIResponseValidationError
from smarter._pagination import AsyncPage, AsyncPaginator
from smarter._raw import RawResponse, call_raw
from smarter._request import check_options
from smarter._runner import AsyncRun
from smarter._streaming import AsyncStream

if TYPE_CHECKING:
    from smarter._engine import Outcome, RunStats
    from smarter._portal import Portal
    from smarter._response import HTTPResponse
    from smarter._stream_kind import Accumulates
    from smarter._streaming import StreamState

__all__ = [
    "RawResponses",
    "Run",
    "Stream",
    "SyncPage",
    "SyncResource",
    "blocking",
    "register_twin",
    "twin",
]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
A = TypeVar("A")
S = TypeVar("S")
T_co = TypeVar("T_co", covariant=True)

_TWINS: dict[type[Any], Callable[[Any, Portal], Any]] = {}


def register_twin(async_cls: type[Any], make: Callable[[Any, Portal], Any]) -> None:
    """Results of *async_cls* reach blocking callers as ``make(result, portal)``."""
    _TWINS[async_cls] = make


def sync_form(value: Any, portal: Portal) -> Any:
    """The blocking form of what an async method returned."""
    if isinstance(value, AsyncStream):
        return Stream(value, portal)
    if isinstance(value, AsyncPage):
        return SyncPage(value, portal)
    if isinstance(value, AsyncRun):
        return Run(value, portal)
    make = _TWINS.get(type(value))
    return make(value, portal) if make is not None else value


async def _run(fn: Callable[..., Any], target: Any, args: Any, kwargs: Any) -> Any:
    """On the portal's loop: call the async method; a paginator gives its first page."""
    value = fn(target, *args, **kwargs)
    if isinstance(value, Coroutine):
        return await value
    if isinstance(value, AsyncPaginator):
        return await value
    return value


class SyncResource(Generic[A]):
    """The blocking twin of an async resource: the same methods, run on the portal."""

    def __init__(self, resource: A, portal: Portal) -> None:
        self._async = resource
        self._portal = portal

    @property
    def with_raw_response(self) -> RawResponses[A]:
        """This resource's methods, each returning a :class:`~smarter.RawResponse`.

        The status, headers and request id of the response, and ``parse()``, the usual result.

        .. versionadded:: 0.3.0
        """
        return RawResponses(self)


class RawResponses(Generic[A]):
    """``resource.with_raw_response`` of a blocking twin, derived from the async one's.

    .. versionadded:: 0.3.0
    """

    __slots__ = ("_twin",)

    def __init__(self, twin: SyncResource[A]) -> None:
        self._twin = twin

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        twin = self._twin
        value = getattr(twin, name)
        if isinstance(value, SyncResource):
            return value.with_raw_response
        target = getattr(twin._async, name)
        if not callable(target):
            raise AttributeError(f"{type(twin).__name__}.{name} is not a method")  # noqa: TRY004
        portal = twin._portal

        def call(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            raw: RawResponse[Any] = portal.call(call_raw, target, args, kwargs)
            return RawResponse(raw.http_response, sync_form(raw.parse(), portal))

        call.__name__ = name
        call.__doc__ = target.__doc__
        return call

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._twin!r}>"


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
    fn: Callable[Concatenate[Any, P], AsyncRun[T]],
) -> Callable[Concatenate[Any, P], Run[T]]: ...
@overload
def blocking(
    fn: Callable[Concatenate[Any, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Any, P], R]: ...
def blocking(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Derive the blocking twin of an async resource method: same signature, no drift."""
    signature = inspect.signature(fn)
    name = fn.__qualname__.replace("Async", "", 1)
    # The **options parameter, whose keywords must be call options.
    options = next((p.name for p in signature.parameters.values() if p.kind is p.VAR_KEYWORD), None)

    def method(self: SyncResource[Any], /, *args: Any, **kwargs: Any) -> Any:
        try:
            value = self._portal.call(_run, fn, self._async, args, kwargs)
        except TypeError:
            # A wrong argument fails in the loop's thread, with a traceback through it: say
            # what was wrong here instead, in the caller's terms. Checked only on failure, so
            # the happy path pays nothing for it.
            try:
                bound = signature.bind(self._async, *args, **kwargs)
                if options is not None:
                    check_options(bound.arguments.get(options, {}))
            except TypeError as wrong:
                raise TypeError(f"{name}(): {wrong}") from None
            raise
        return sync_form(value, self._portal)

    method.__name__ = fn.__name__
    method.__qualname__ = fn.__qualname__
    method.__doc__ = fn.__doc__
    method.__module__ = fn.__module__
    method.__wrapped__ = fn  # type: ignore[attr-defined]
    method.__signature__ = _blocking_signature(signature)  # type: ignore[attr-defined]
    return method


def _blocking_signature(signature: inspect.Signature) -> inspect.Signature:
    annotation = signature.return_annotation
    if isinstance(annotation, str):
        annotation = (
            annotation.replace("AsyncPaginator[", "SyncPage[")
            .replace("AsyncStream[", "Stream[")
            .replace("AsyncRun[", "Run[")
        )
        if annotation.startswith("Coroutine[Any, Any, "):
            annotation = annotation.removeprefix("Coroutine[Any, Any, ").removesuffix("]")
    return signature.replace(return_annotation=annotation)


class twin(Generic[S]):  # noqa: N801 (used like cached_property, and named like it)
    """A sub-resource of a blocking twin, derived from the async one's of the same name.

    ``completions = twin(Completions)`` on ``Client`` reads ``AsyncClient.completions``
    and wraps it in ``Completions`` once, as ``cached_property`` would.
    """

    def __init__(self, cls: Callable[[Any, Portal], S]) -> None:
        self._cls = cls
        self._name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> twin[S]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> S: ...
    def __get__(self, obj: Any, owner: type[Any]) -> twin[S] | S:
        if obj is None:
            return self
        value = self._cls(getattr(obj._async, self._name), obj._portal)
        obj.__dict__[self._name] = value
        return value


class Stream(Generic[T_co]):
    """A blocking iterator of typed stream chunks; also a context manager.

    .. versionadded:: 0.2.0
    """

    def __init__(self, stream: AsyncStream[T_co], portal: Portal) -> None:
        self._stream = stream
        self._portal = portal
        self._buffer: deque[T_co] = deque()

    @property
    def state(self) -> StreamState:
        """Where the stream is in its life.

        .. versionadded:: 0.3.0
        """
        return self._stream.state

    @property
    def request_id(self) -> str | None:
        """The request id, once the response has started."""
        return self._stream.request_id

    @property
    def response(self) -> HTTPResponse | None:
        """Status and headers of the response, once it has started."""
        return self._stream.response

    def __iter__(self) -> Iterator[T_co]:
        return self

    def final(self: Stream[Accumulates[R]]) -> R:
        """Read the rest and return the whole result; see :meth:`AsyncStream.final`.

        .. versionadded:: 0.3.0
        """
        accumulator = accumulator_of(self._stream)
        self._stream._kind.fold_wire()  # the chunks are dropped once folded: none is built
        try:
            for chunk in self:
                add_checked(accumulator, chunk, self._stream)
        except APIResponseValidationError:
            self.close()
            raise
        result: R = accumulator.result(self._stream.response)
        return result

    def text(self) -> Iterator[str]:
        """Iterate the text of the answer only, as it arrives; :meth:`final` may follow.

        .. versionadded:: 0.3.0
        """
        accumulator = accumulator_of(self._stream)
        for chunk in self:
            accumulator.add(chunk)
            piece = accumulator.text(chunk)
            if piece:
                yield piece

    def __next__(self) -> T_co:
        if not self._buffer:
            # One hop to the loop fetches every chunk that is ready, not just one
            # (benchmarks/stream.py, smarter-sync).
            self._buffer.extend(self._portal.call(self._stream._next_batch))
            if not self._buffer:
                raise StopIteration
        return self._buffer.popleft()

    def __enter__(self) -> Stream[T_co]:
        self._portal.call(self._stream.__aenter__)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection now; idempotent."""
        self._buffer.clear()
        if self._portal.running:
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
        return SyncPage(self._portal.call(self._page.get_next_page), self._portal)

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


class Run(Generic[T]):
    """A blocking iterator of the outcomes of a run of many requests; a context manager.

    The run goes on in the client's loop thread; each ``next()`` waits for the next outcome
    (one hop fetches every outcome ready). ``with`` it, or call :meth:`close`, to stop it
    early.

    .. versionadded:: 0.3.0
    """

    def __init__(self, run: AsyncRun[T], portal: Portal) -> None:
        self._run = run
        self._portal = portal
        self._buffer: deque[Outcome[T]] = deque()

    @property
    def stats(self) -> RunStats:
        """Where the run is: done, failed, skipped, in flight, concurrency, pushbacks."""
        return self._run.stats

    def __iter__(self) -> Iterator[Outcome[T]]:
        return self

    def __next__(self) -> Outcome[T]:
        if not self._buffer:
            self._buffer.extend(self._portal.call(self._run._next_batch))
            if not self._buffer:
                raise StopIteration
        return self._buffer.popleft()

    def __enter__(self) -> Run[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the run: no new call starts, the calls in flight are cancelled; idempotent."""
        self._buffer.clear()
        if self._portal.running:
            self._portal.call(self._run.aclose)

    def __repr__(self) -> str:
        return f"<Run {self._run!r}>"
