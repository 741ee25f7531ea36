"""The request pipeline: every call is built once as a :class:`Request` and attempted here.

One :class:`Pipeline` per client (and per ``with_options()`` copy) turns a resource method's
call into a :class:`Request` (:meth:`Pipeline.build`), then attempts it under the retry policy
with one function, :meth:`Pipeline._attempt`, for JSON calls and streams alike: it sends the
attempt through the transport and turns an error status into the exception of that status
(redacted when it is made, carrying the request). A JSON answer is decoded and structured
(:meth:`Pipeline.call`); a stream is handed an ``open`` callable that attempts its request
(:meth:`Pipeline.stream`); a list walks its pages (:meth:`Pipeline.paginate`).
"""

from __future__ import annotations

import functools
import logging
import platform
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

import yarl

from smarter._config import NotGiven, check_header_value, to_timeout
from smarter._exceptions import (
    APIError,
    APIResponseValidationError,
    APIStatusError,
    SmarterError,
)
from smarter._fastpath import JSONTooDeepError, loads_json
from smarter._lifetime import ClientState
from smarter._logging import log_attempt, log_headers, logger
from smarter._pagination import AsyncPage, AsyncPaginator, Items
from smarter._raw import capturing
from smarter._request import (
    JSON_TYPE,
    SSE_TYPE,
    Body,
    Request,
    Service,
    check_options,
    encode_json,
    new_id,
    query_value,
)
from smarter._response import HTTPResponse
from smarter._retry import run_with_retries
from smarter._status import make_status_error
from smarter._stream_kind import StreamKind
from smarter._streaming import AsyncStream
from smarter._version import __version__

if TYPE_CHECKING:
    from smarter._files import MultipartForm
    from smarter._settings import Settings, Target
    from smarter._transport import StreamResponse, Transport

__all__ = ["Pipeline", "decode"]

T = TypeVar("T")

_URL_CACHE_SIZE: Final = 256
_CLOSED_MESSAGE: Final = "The client is closed; make a new client to send requests."
_USER_AGENT: Final = (
    f"smarter-python/{__version__} (Python {platform.python_version()}; "
    f"{platform.system() or 'unknown'}; {platform.machine() or 'unknown'})"
)


class _Route:
    """What every request to one service shares: its base URL and its headers."""

    __slots__ = ("base", "headers", "key_from", "secrets", "service")

    def __init__(self, target: Target, settings: Settings) -> None:
        self.service: Service = target.service
        self.base = target.base
        self.secrets = target.secrets
        self.key_from = target.key_from
        self.headers: dict[str, str] = {
            "Accept": JSON_TYPE,
            "User-Agent": _USER_AGENT,
            "X-Smarter-Client": "smarter-python",
            "X-Smarter-ClientVersion": __version__,
            **settings.default_headers,
            "Authorization": target.authorization,
            "X-Smarter-Retry-Count": "0",
        }


class Pipeline:
    """The calls of one client's settings, over a (possibly shared) transport."""

    def __init__(self, settings: Settings, transport: Transport) -> None:
        self._settings = settings
        self._transport = transport
        self._routes: dict[Service, _Route] = {}
        self._timeout = settings.timeout
        self._max_retries = settings.max_retries
        self._default_query = settings.default_query
        self._retry_creates = settings.retry_creates
        self._limits = settings.limits
        # The URL of each (service, path, query) called, reused: aiohttp reads a dozen
        # properties of the URL per request, which yarl computes once per URL object and then
        # caches (benchmarks/async_json.py).
        self._urls: dict[tuple[Service, str, tuple[tuple[str, object], ...]], yarl.URL] = {}
        self.state = ClientState.OPEN
        """The state of the client this pipeline calls for (set by the client)."""

    # -- building ------------------------------------------------------------------------

    def _route(self, service: Service) -> _Route:
        route = self._routes.get(service)
        if route is None:
            route = self._routes[service] = _Route(self._settings.target(service), self._settings)
        return route

    def _url(
        self,
        route: _Route,
        path: str,
        query: Mapping[str, object] | None,
        extra_query: Mapping[str, object] | None,
    ) -> yarl.URL:
        params = query
        if self._default_query or extra_query:
            params = {**self._default_query, **(query or {}), **(extra_query or {})}
        try:
            key: Any = (route.service, path, tuple(params.items()) if params else ())
            url = self._urls.get(key)
        except TypeError:  # an unhashable value (a list): build the URL afresh
            key, url = None, None
        if url is None:
            url = yarl.URL(route.base + path, encoded=True)
            if params:
                items = {k: query_value(v) for k, v in params.items() if v is not None}
                url = url.update_query(items)
            if key is not None:
                if len(self._urls) >= _URL_CACHE_SIZE:
                    self._urls.clear()  # many distinct ids or queries: start over, stay bounded
                self._urls[key] = url
        return url

    def build(  # noqa: PLR0917 (positional: see the docstring)
        self,
        method: str,
        path: str,
        options: Mapping[str, Any],
        service: Service,
        query: Mapping[str, object] | None = None,
        json: Mapping[str, object] | None = None,
        form: MultipartForm | None = None,
        stream: bool = False,
        creates: str | None = None,
    ) -> Request:
        """The :class:`Request` of one call: everything checked, nothing sent yet.

        Positional or keyword: ``AsyncAPIResource._call`` passes them positionally, as
        keywords cost ~50 ns each (benchmarks/async_json.py).

        Args:
            method: The HTTP method.
            path: The path relative to the service's base URL.
            options: The call's :class:`~smarter._request.RequestOptions`.
            service: Which service the call goes to.
            query: The query of the call (None values left out).
            json: The JSON body, if any; ``extra_body`` is merged over it.
            form: A multipart upload, instead of a JSON body.
            stream: Whether the answer is an event stream.
            creates: For a call that creates something, how to check whether it did (see
                :class:`Request`); ignored when ``retry_creates`` is set.
        """
        if self.state is ClientState.CLOSED:
            raise SmarterError(_CLOSED_MESSAGE)
        extra_headers = extra_query = extra_body = None
        timeout = self._timeout
        if options:
            check_options(options)
            given = options.get("timeout", timeout)
            if given is not timeout and not isinstance(given, NotGiven):
                timeout = to_timeout(given)
            extra_headers = options.get("extra_headers")
            extra_query = options.get("extra_query")
            extra_body = options.get("extra_body")
            if options.get("retry_creates"):
                creates = None
        if self._retry_creates:
            creates = None
        route = self._routes.get(service) or self._route(service)
        headers = route.headers.copy()
        # One UUID names the logical call: its request id and, for a method that changes
        # something, its idempotency key (both the same on every attempt, PROTOCOL.md).
        request_id = new_id()
        headers["X-Smarter-RequestId"] = request_id
        if method != "GET":
            headers["Idempotency-Key"] = request_id
        max_retries = self._max_retries
        body: Body = None
        if form is not None:
            body = form
            headers["Content-Type"] = form.content_type
            if not form.upload.replayable:
                max_retries = 0  # the bytes of a pipe cannot be sent twice
        elif json is not None or extra_body:
            body = encode_json(json, extra_body, path)
            headers["Content-Type"] = JSON_TYPE
        if stream:
            headers["Accept"] = SSE_TYPE
        if extra_headers:
            for name, value in extra_headers.items():
                headers[name] = check_header_value(name, value)
        url = self._url(route, path, query, extra_query)
        return Request(
            method,
            url,
            headers,
            body,
            path,
            timeout,
            request_id,
            service,
            max_retries,
            stream,
            route.secrets,
            creates,
            route.key_from,
            self._limits,
        )

    # -- attempting ----------------------------------------------------------------------

    async def _attempt(
        self, request: Request, retry_count: int = 0, last_event_id: str | None = None
    ) -> Any:
        """Send attempt number *retry_count* + 1 of *request*: its answer, or its error.

        Returns:
            The :class:`HTTPResponse` of a JSON call, the open ``StreamResponse`` of a
            stream, once its status says it succeeded.

        Raises:
            APIStatusError: the status was 400 or more (a subclass per status).
            APIResponseValidationError: a stream answered with something else than events.
            APIConnectionError: the transport failed.
        """
        sent = request.attempt(retry_count, last_event_id)
        log_headers(sent)
        transport = self._transport
        if not request.stream:
            response = await transport.send(sent)
            if response.status_code >= 400:
                raise make_status_error(response)
            return response
        opened: StreamResponse = await transport.open_stream(sent)
        if opened.status >= 400:
            raise make_status_error(await opened.finish())
        content_type = opened.headers.get("Content-Type", "")
        if not content_type.startswith(SSE_TYPE):
            finished = await opened.finish()
            raise APIResponseValidationError(
                f"Expected an event stream from {request.label}, got "
                f"{content_type or 'no content type'}.",
                body=finished.text[:500],
                response=finished,
            )
        return opened

    async def _retried(
        self,
        request: Request,
        error: APIError,
        *,
        retries_taken: int = 0,
        last_event_id: str | None = None,
        on_retry: Callable[[int], None] | None = None,
    ) -> Any:
        """Carry on after *error*: retry while the policy and the budget allow, else raise."""
        attempts = [retries_taken]

        def attempt(retry_count: int) -> Any:
            attempts[0] = retry_count
            if on_retry is not None:
                on_retry(retry_count)
            return self._attempt(request, retry_count, last_event_id)

        try:
            response = await run_with_retries(
                attempt,
                max_retries=request.max_retries,
                label=request.label,
                retries_taken=retries_taken,
                first_error=error,
            )
        except APIError as final:
            status = final.status_code if isinstance(final, APIStatusError) else None
            log_attempt(request, status or type(final).__name__, attempts[0] + 1, final.request_id)
            raise
        finally:
            # The error goes up with this frame in its traceback: kept here as well it would
            # be a cycle, keeping the call (and a client dropped after it) alive until the
            # cycle collector runs.
            del error
        head = response if isinstance(response, HTTPResponse) else response.head
        log_attempt(request, head.status_code, attempts[0] + 1, head.request_id)
        return response

    async def call(self, request: Request, cast_to: type[T], envelope: bool = False) -> T:
        """Send a JSON call under the retry policy and structure its answer into *cast_to*.

        Raises:
            APIError: the last failure, once it may not be retried or no retries are left.
        """
        # Speed (benchmarks/async_json.py): the first attempt is _attempt(request) written
        # out, a coroutine less on every call; any failure goes to the retry policy. One
        # look at the log level: the headers are logged at DEBUG, the answer at INFO.
        logging_on = logger.isEnabledFor(logging.INFO)
        if logging_on:
            log_headers(request)
        try:
            response = await self._transport.send(request)
        except APIError as error:
            response = await self._retried(request, error)
        else:
            if response.status_code >= 400:
                response = await self._retried(request, make_status_error(response))
            elif logging_on:
                log_attempt(request, response.status_code, 1, response.request_id)
        raw = capturing.get()  # a `with_raw_response` call keeps the response (smarter._raw)
        if raw is not None:
            raw.append(response)
        return decode(response, cast_to, envelope)

    def stream(self, request: Request, kind: StreamKind[T]) -> AsyncStream[T]:
        """A stream of *request*: nothing is sent until it is iterated or entered."""
        return AsyncStream(open=_Opener(self, request), kind=kind, request=request)

    def paginate(
        self,
        path: str,
        options: Mapping[str, Any],
        *,
        service: Service,
        query: Mapping[str, object] | None,
        cast_to: type[Any],
        items: Items[T],
    ) -> AsyncPaginator[T]:
        """A paginated GET: the first page when awaited, every item when iterated."""
        first = self.build("GET", path, options, service=service, query=query)

        async def fetch(after: str | None) -> AsyncPage[T]:
            request = first
            if after is not None:
                # Later than extra_query, which is merged last: a caller's own `after`
                # starts the walk, the cursors of the pages carry it on.
                extra = {**(options.get("extra_query") or {}), "after": after}
                request = self.build(
                    "GET", path, {**options, "extra_query": extra}, service=service, query=query
                )
            body = await self.call(request, cast_to)
            return AsyncPage(
                body=body, items=items, fetch=fetch, max_empty_pages=self._limits.max_empty_pages
            )

        return AsyncPaginator(fetch)


class _Opener:
    """The ``open`` callable of a stream: its request attempted on one budget of retries."""

    __slots__ = ("_pipeline", "_request", "retries")

    def __init__(self, pipeline: Pipeline, request: Request) -> None:
        self._pipeline = pipeline
        self._request = request
        self.retries = 0

    def _count(self, retries: int) -> None:
        self.retries = retries

    async def __call__(self, last_event_id: str | None, after: APIError | None) -> Any:
        pipeline = self._pipeline
        request = self._request
        if after is None and last_event_id is None and not self.retries:
            try:
                response = await pipeline._attempt(request)
            except APIError as error:
                return await pipeline._retried(request, error, on_retry=self._count)
            log_attempt(request, response.status, 1, response.head.request_id)
            return response
        if after is None:  # resuming without a failure to judge: one more attempt
            self.retries += 1
            return await pipeline._attempt(request, self.retries, last_event_id)
        try:
            return await pipeline._retried(
                request,
                after,
                retries_taken=self.retries,
                last_event_id=last_event_id,
                on_retry=self._count,
            )
        finally:
            del after  # see Pipeline._retried


def decode(response: HTTPResponse, cast_to: type[T], envelope: bool) -> T:
    """Structure the JSON body of a 2xx answer into *cast_to*.

    Raises:
        APIResponseValidationError: the body is not JSON, not a Smarter envelope when it
            should be, or does not fit *cast_to*.
    """
    request = response.request
    try:
        data = loads_json(response.content, request.limits.max_json_depth if request else 128)
    except ValueError as exc:
        what = str(exc) if isinstance(exc, JSONTooDeepError) else "not valid JSON"
        raise APIResponseValidationError(
            f"The {response.status_code} response to {response.method} {response.url} is {what}.",
            body=response.text[:500],
            response=response,
        ) from exc
    if envelope:
        if not isinstance(data, dict) or "data" not in data:
            raise APIResponseValidationError(
                "The response is not a Smarter envelope: no 'data' field.",
                body=data,
                response=response,
            )
        data = data["data"]
    result: T = _structure()(data, cast_to, None, response)
    return result


@functools.cache
def _structure() -> Callable[..., Any]:
    """The converter's ``structure``, imported on the first answer, not with the package.

    cattrs is a tenth of ``import smarter``. Cached rather than imported in ``decode``: an
    import statement run per call cost ~10,000 instructions, AttributeErrors raised and
    dropped inside it included (benchmarks/instructions.py, async completions.create).
    """
    from smarter._converter import structure

    return structure
