"""``AsyncClient``: the options of a client, its resources, and the request pipeline."""

from __future__ import annotations

import base64
import json
import os
import platform
import re
import ssl as _ssl
import urllib.parse
import weakref
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import yarl

from smarter._config import (
    DEFAULT_BASE_URL,
    DEFAULT_CONNECTION_LIMIT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    AuthScheme,
    NotGiven,
    Timeout,
    TimeoutTypes,
    check_header_value,
    check_max_retries,
    env_api_key,
    to_timeout,
)
from smarter._exceptions import (
    APIError,
    APIResponseValidationError,
    SmarterError,
    make_status_error,
)
from smarter._files import MultipartForm
from smarter._logging import log_attempt, log_headers, setup_from_env
from smarter._pagination import AsyncPage, AsyncPaginator, Items
from smarter._response import HTTPResponse
from smarter._retry import run_with_retries
from smarter._streaming import AsyncStream, StreamKind
from smarter._transport import Body, SessionFactory, Transport
from smarter._version import __version__

if TYPE_CHECKING:
    import aiohttp

    from smarter.resources.chat import AsyncChat
    from smarter.resources.chatbots import AsyncResources
    from smarter.resources.completions import AsyncCompletions
    from smarter.resources.files import AsyncFiles
    from smarter.resources.fine_tuning import AsyncFineTuning
    from smarter.resources.models import AsyncModels
    from smarter.resources.responses import AsyncResponses
    from smarter.types.whoami import WhoAmI

__all__ = ["AsyncClient", "Options", "path_segment"]

T = TypeVar("T")

_AUTH_SCHEMES = ("token", "bearer", "basic")


class Options(NamedTuple):
    """The per-call options every resource method takes."""

    timeout: TimeoutTypes | NotGiven = NOT_GIVEN
    extra_headers: Mapping[str, str] | None = None
    extra_query: Mapping[str, object] | None = None
    extra_body: Mapping[str, object] | None = None


def path_segment(value: object, name: str) -> str:
    """Percent-encode a caller's id or name so it stays one path segment.

    An id of ``../admin`` or ``a/b`` must reach ``files/..%2Fadmin``, never another route.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, not {value!r}")
    quoted = urllib.parse.quote(value, safe="")
    if quoted in (".", ".."):
        quoted = quoted.replace(".", "%2E")
    return quoted


# One encoder for every body: json.dumps() with options builds a new encoder per call.
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_URL_CACHE_SIZE = 256
# A run of this many characters of a secret, in an error message, counts as the secret.
_SECRET_PREFIX = 12
# The UUID variant digit (8, 9, a or b) for each value of a random hex digit.
_VARIANT = dict(zip("0123456789abcdef", "89ab" * 4, strict=True))


def _random_uuid() -> str:
    """``str(uuid.uuid4())``, built from the hex text directly (uuid.UUID costs 3x more)."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _user_agent() -> str:
    return (
        f"smarter-python/{__version__} (Python {platform.python_version()}; "
        f"{platform.system() or 'unknown'}; {platform.machine() or 'unknown'})"
    )


def _base_url(value: str | yarl.URL | None) -> yarl.URL:
    if value is None:
        import os

        value = os.environ.get("SMARTER_BASE_URL") or DEFAULT_BASE_URL
    url = yarl.URL(value)
    if not url.absolute or url.scheme not in ("http", "https"):
        raise ValueError(f"base_url must be an absolute http(s) URL, not {str(value)!r}")
    if url.query_string or url.fragment:
        raise ValueError(f"base_url must not have a query or fragment: {str(value)!r}")
    path = url.raw_path if url.raw_path.endswith("/") else url.raw_path + "/"
    # with_path() also turns "https://h" into "https://h/", whose str() ends in "/" too.
    return url.with_path(path, encoded=True)


def _authorization(scheme: str, api_key: str) -> str:
    if scheme == "token":
        return f"Token {api_key}"
    if scheme == "bearer":
        return f"Bearer {api_key}"
    return "Basic " + base64.b64encode(f"{api_key}:".encode()).decode("ascii")


class AsyncClient:
    """The asynchronous client: one connection pool, many concurrent calls.

    Args:
        api_key: The API key; else ``SMARTER_API_KEY``.
        base_url: The API root; else ``SMARTER_BASE_URL``, else
            ``https://platform.smarter.sh/api/v1/``. Normalised to end in ``/``.
        auth_scheme: ``"token"`` (``Authorization: Token <key>``, the Smarter platform),
            ``"bearer"``, or ``"basic"`` (the key as user name, an LLM Engine gateway).
        timeout: Seconds, a :class:`smarter.Timeout`, or None for no limit; default 600 s
            for a call and 5 s to connect.
        max_retries: Retries of a failed call (0 turns them off); default 2.
        default_headers: Headers sent with every request.
        default_query: Query parameters sent with every request.
        proxy: An HTTP proxy URL for every request.
        ssl: An ``ssl.SSLContext`` to verify the server with, or False to not verify.
        connection_limit: Most connections open at once; default 100.
        http_session: A caller-owned ``aiohttp.ClientSession`` to use (never closed here).
        session_factory: A callable returning an ``aiohttp.ClientSession``, called on the
            event loop that will use it.

    Use it as ``async with AsyncClient() as client:`` or close it with ``await
    client.aclose()``. It is bound to the event loop it first runs on.

    .. versionadded:: 0.2.0
    """

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
        http_session: aiohttp.ClientSession | None = None,
        session_factory: SessionFactory | None = None,
        _transport: Transport | None = None,
    ) -> None:
        setup_from_env()
        if auth_scheme not in _AUTH_SCHEMES:
            raise ValueError(f"auth_scheme must be one of {_AUTH_SCHEMES}, not {auth_scheme!r}")
        limit: object = connection_limit
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"connection_limit must be a positive int, not {connection_limit!r}")
        self._api_key = env_api_key(api_key)
        self.base_url = _base_url(base_url)
        self.auth_scheme: AuthScheme = auth_scheme
        self.timeout: Timeout = to_timeout(timeout)
        self.max_retries = check_max_retries(max_retries)
        self.default_headers: Mapping[str, str] = {
            name: check_header_value(name, value) for name, value in (default_headers or {}).items()
        }
        self.default_query: Mapping[str, object] = dict(default_query or {})
        self._transport = _transport or Transport(
            proxy=proxy,
            ssl=ssl,
            connection_limit=connection_limit,
            http_session=http_session,
            session_factory=session_factory,
        )
        self._owns_transport = _transport is None
        self._closed = False
        # The open clients on this pool, the original and its copies: the pool closes with
        # the original, or with the last of them once the original is gone.
        self._sharing: weakref.WeakSet[AsyncClient] = weakref.WeakSet((self,))
        # The session owner id (`uid`) of chatbot prompts: one per client and its copies.
        self._chatbot_uid = os.urandom(16).hex()
        self._base = str(self.base_url)
        # The URL of each (path, query) called, reused: aiohttp reads a dozen properties of
        # the URL per request, which yarl computes once per URL object and then caches.
        self._urls: dict[tuple[str, tuple[tuple[str, str], ...]], yarl.URL] = {}
        self._headers: dict[str, str] = {
            "Accept": "application/json",
            "User-Agent": _user_agent(),
            "X-Smarter-Client": "smarter-python",
            "X-Smarter-ClientVersion": __version__,
            **self.default_headers,
            "Authorization": _authorization(auth_scheme, self._api_key),
        }
        credential = base64.b64encode(f"{self._api_key}:".encode()).decode("ascii")
        # Longest first, so that a secret containing another is replaced whole.
        self._secrets = sorted(
            {self._api_key, credential, credential.rstrip("=")} - {""}, key=len, reverse=True
        )

    # -- options ---------------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        """The API key (never shown in a repr, a log line or an error message)."""
        return self._api_key

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
    ) -> AsyncClient:
        """A copy with some options changed, sharing this client's connection pool.

        *default_headers* and *default_query* are merged over this client's own. The copy
        needs no closing: closing this client closes the pool they share. Closing a copy
        closes the pool only when the original and every other copy are closed or gone (as
        in ``async with AsyncClient().with_options(...) as client:``). The options of
        the pool itself (``proxy``, ``ssl``, ``connection_limit``, ``http_session``,
        ``session_factory``) cannot differ in a copy: make a new client for those.
        """
        copy = AsyncClient(
            **self._copy_arguments(
                api_key=api_key,
                base_url=base_url,
                auth_scheme=auth_scheme,
                timeout=timeout,
                max_retries=max_retries,
                default_headers=default_headers,
                default_query=default_query,
            ),
            _transport=self._transport,
        )
        copy._chatbot_uid = self._chatbot_uid  # a copy prompts as the same session owner
        copy._sharing = self._sharing
        self._sharing.add(copy)
        return copy

    def _copy_arguments(
        self,
        *,
        api_key: str | None,
        base_url: str | yarl.URL | None,
        auth_scheme: AuthScheme | None,
        timeout: TimeoutTypes | NotGiven,
        max_retries: int | NotGiven,
        default_headers: Mapping[str, str] | None,
        default_query: Mapping[str, object] | None,
    ) -> dict[str, Any]:
        return {
            "api_key": api_key if api_key is not None else self._api_key,
            "base_url": base_url if base_url is not None else self.base_url,
            "auth_scheme": auth_scheme if auth_scheme is not None else self.auth_scheme,
            "timeout": self.timeout if isinstance(timeout, NotGiven) else timeout,
            "max_retries": (self.max_retries if isinstance(max_retries, NotGiven) else max_retries),
            "default_headers": {**self.default_headers, **(default_headers or {})},
            "default_query": {**self.default_query, **(default_query or {})},
        }

    def __repr__(self) -> str:
        return (
            f"<AsyncClient base_url={self._base!r} auth_scheme={self.auth_scheme!r}"
            f"{' closed' if self.is_closed else ''}>"
        )

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`aclose` was called (on this client or the one it was copied from)."""
        return self._closed or self._transport.closed

    async def aclose(self) -> None:
        """Close the connection pool (unless a caller-owned session); idempotent.

        On a copy made by :meth:`with_options`, only once nothing else uses the pool.
        """
        if self._leave():
            await self._transport.aclose()

    def _leave(self) -> bool:
        """Mark this client closed; whether the pool it shares closes with it."""
        self._closed = True
        self._sharing.discard(self)
        return self._owns_transport or not self._sharing

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- resources (imported on first use, so `import smarter` stays cheap) ----------------

    @cached_property
    def completions(self) -> AsyncCompletions:
        """LLM Engine completions: ``create()`` and ``stream()``."""
        from smarter.resources.completions import AsyncCompletions

        return AsyncCompletions(self)

    @cached_property
    def chat(self) -> AsyncChat:
        """OpenAI-compatible chat: ``chat.completions`` and ``chat.responses``."""
        from smarter.resources.chat import AsyncChat

        return AsyncChat(self)

    @cached_property
    def responses(self) -> AsyncResponses:
        """The OpenAI-compatible responses API (the same object as ``chat.responses``)."""
        return self.chat.responses

    @cached_property
    def resources(self) -> AsyncResources:
        """Smarter platform resources: ``resources.chatbots``."""
        from smarter.resources.chatbots import AsyncResources

        return AsyncResources(self)

    @cached_property
    def fine_tuning(self) -> AsyncFineTuning:
        """Fine-tuning jobs: ``fine_tuning.jobs``."""
        from smarter.resources.fine_tuning import AsyncFineTuning

        return AsyncFineTuning(self)

    @cached_property
    def models(self) -> AsyncModels:
        """LLM endpoints (models): list, get, delete, download."""
        from smarter.resources.models import AsyncModels

        return AsyncModels(self)

    @cached_property
    def files(self) -> AsyncFiles:
        """Files for fine-tuning: upload, list, get, content, delete."""
        from smarter.resources.files import AsyncFiles

        return AsyncFiles(self)

    async def whoami(
        self,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> WhoAmI:
        """Who the API key belongs to: the user, the account and the environment."""
        from smarter.types.whoami import WhoAmI

        return await self._call(
            "POST",
            "cli/whoami/",
            cast_to=WhoAmI,
            options=Options(timeout, extra_headers, extra_query, extra_body),
            envelope=True,
        )

    # -- the request pipeline --------------------------------------------------------------

    def _url(self, path: str, query: Mapping[str, object] | None, options: Options) -> yarl.URL:
        params = query or {}
        if self.default_query or options.extra_query:
            params = {**self.default_query, **params, **(options.extra_query or {})}
        items = tuple((k, _query_value(v)) for k, v in params.items() if v is not None)
        key = (path, items)
        url = self._urls.get(key)
        if url is None:
            url = yarl.URL(self._base + path, encoded=True)
            if params:
                url = url.update_query(dict(items))
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()  # many distinct ids or queries: start over, stay bounded
            self._urls[key] = url
        return url

    def _call_headers(
        self, method: str, options: Options, *, accept: str | None, content_type: str | None
    ) -> dict[str, str]:
        headers = self._headers.copy()
        headers["X-Smarter-RequestId"] = _random_uuid()
        headers["X-Smarter-Retry-Count"] = "0"
        if method != "GET":
            headers["Idempotency-Key"] = _random_uuid()
        if accept is not None:
            headers["Accept"] = accept
        if content_type is not None:
            headers["Content-Type"] = content_type
        if options.extra_headers:
            for name, value in options.extra_headers.items():
                headers[name] = check_header_value(name, value)
        return headers

    def _timeout(self, options: Options) -> Timeout:
        value = options.timeout
        return self.timeout if isinstance(value, NotGiven) else to_timeout(value)

    def _body(
        self, json_body: Mapping[str, object] | None, form: MultipartForm | None, options: Options
    ) -> Body:
        if form is not None:
            return form
        extra = options.extra_body
        if not extra:
            return None if json_body is None else _ENCODE(json_body).encode()
        return _ENCODE({**(json_body or {}), **extra}).encode()

    def _redact(self, exc: APIError) -> APIError:
        # Defence in depth: a server or proxy that echoes the request must not carry the
        # key (or the Basic credential made of it) into an exception message.
        message = exc.message
        for secret in self._secrets:
            message = message.replace(secret, "<redacted>")
            if len(secret) >= _SECRET_PREFIX and secret[:_SECRET_PREFIX] in message:
                # A quoted value cut short ("sk-abc...") still gives most of the key away.
                message = re.sub(re.escape(secret[:_SECRET_PREFIX]) + r"\S*", "<redacted>", message)
        if message != exc.message:
            exc.message = message
            exc.args = (message,)
        return exc

    def _check_open(self) -> None:
        if self.is_closed:
            raise SmarterError("The client is closed; make a new client to send requests.")

    async def _send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, object] | None = None,
        json_body: Mapping[str, object] | None = None,
        form: MultipartForm | None = None,
        options: Options,
    ) -> HTTPResponse:
        """Send a call with retries; the 2xx response, else the error of the last attempt."""
        self._check_open()
        url = self._url(path, query, options)
        body = self._body(json_body, form, options)
        headers = self._call_headers(
            method,
            options,
            accept=None,
            content_type=None if body is None or form is not None else "application/json",
        )
        if form is not None:
            headers["Content-Type"] = form.content_type
        request_id = headers["X-Smarter-RequestId"]
        timeout = self._timeout(options)
        label = f"{method} {path}"
        max_retries = self.max_retries
        if form is not None and not form.upload.replayable:
            max_retries = 0  # the bytes of a pipe cannot be sent twice
        fetch = self._transport.fetch
        attempts = 0

        async def attempt(retry_count: int) -> HTTPResponse:
            nonlocal attempts
            attempts = retry_count + 1
            call_headers = headers
            if retry_count:
                call_headers = {**headers, "X-Smarter-Retry-Count": str(retry_count)}
            log_headers(label, call_headers)
            response = await fetch(
                method,
                url,
                headers=call_headers,
                body=body,
                timeout=timeout,
                request_id=request_id,
            )
            if response.status_code >= 400:
                raise self._redact(make_status_error(response))
            return response

        try:
            response = await run_with_retries(attempt, max_retries=max_retries, label=label)
        except APIError as exc:
            log_attempt(
                label, getattr(exc, "status_code", type(exc).__name__), attempts, exc.request_id
            )
            raise
        log_attempt(label, response.status_code, attempts, response.request_id)
        return response

    def _decode(self, response: HTTPResponse, cast_to: type[T], *, envelope: bool) -> T:
        try:
            data = json.loads(response.content)
        except ValueError as exc:
            raise APIResponseValidationError(
                f"The {response.status_code} response to {response.method} is not valid JSON.",
                body=response.text[:500],
                response=response,
                request_id=response.request_id,
            ) from exc
        if envelope:
            if not isinstance(data, dict) or "data" not in data:
                raise APIResponseValidationError(
                    "The response is not a Smarter envelope: no 'data' field.",
                    body=data,
                    response=response,
                    request_id=response.request_id,
                )
            data = data["data"]
        # Imported on the first answer rather than with the package: cattrs is a tenth of
        # `import smarter`, and a module already imported costs a dict lookup here.
        from smarter._converter import structure

        try:
            return structure(data, cast_to, request_id=response.request_id)
        except APIResponseValidationError as exc:
            exc.response = response
            exc.status_code = response.status_code
            exc.request_id = response.request_id
            self._redact(exc)  # the message quotes the value that did not fit
            raise

    async def _call(
        self,
        method: str,
        path: str,
        *,
        cast_to: type[T],
        options: Options,
        query: Mapping[str, object] | None = None,
        json_body: Mapping[str, object] | None = None,
        form: MultipartForm | None = None,
        envelope: bool = False,
    ) -> T:
        """Send a call and structure its JSON answer into *cast_to*."""
        response = await self._send(
            method, path, query=query, json_body=json_body, form=form, options=options
        )
        return self._decode(response, cast_to, envelope=envelope)

    def _stream(
        self,
        path: str,
        *,
        kind: StreamKind[T],
        options: Options,
        query: Mapping[str, object] | None = None,
        json_body: Mapping[str, object] | None = None,
    ) -> AsyncStream[T]:
        """A POST whose answer is an event stream; nothing is sent until it is iterated."""
        self._check_open()
        url = self._url(path, query, options)
        body = self._body(json_body, None, options)
        headers = self._call_headers(
            "POST", options, accept="text/event-stream", content_type="application/json"
        )
        return AsyncStream(
            transport=self._transport,
            url=url,
            headers=headers,
            body=body,
            timeout=self._timeout(options),
            max_retries=self.max_retries,
            label=f"POST {path}",
            kind=kind,
            redact=self._redact,
        )

    def _list(
        self,
        path: str,
        *,
        cast_to: type[Any],
        items: Items[T],
        options: Options,
        query: Mapping[str, object] | None = None,
    ) -> AsyncPaginator[T]:
        """A paginated GET: the first page when awaited, every item when iterated."""
        self._check_open()

        async def fetch(after: str | None) -> AsyncPage[T]:
            page_options = options
            if after is not None:
                # Later than extra_query, which is merged last: a caller's own `after`
                # starts the walk, the cursors of the pages carry it on.
                page_options = options._replace(
                    extra_query={**(options.extra_query or {}), "after": after}
                )
            response = await self._send("GET", path, query=query, options=page_options)
            body = self._decode(response, cast_to, envelope=False)
            return AsyncPage(body=body, items=items, fetch=fetch)

        return AsyncPaginator(fetch)
