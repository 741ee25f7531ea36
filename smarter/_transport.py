"""The only module that touches aiohttp's client: the session, one attempt, error mapping.

The seam is two calls: :meth:`Transport.send` (one attempt of a :class:`Request`, whole
answer read) and :meth:`Transport.open_stream` (one attempt, back as soon as the headers are
in). Policy (headers, retries, decoding) is the pipeline's; this is mechanism. The session
is opened lazily on the loop that first uses it and is leased to the clients that share it
(a client and its ``with_options()`` copies, see :mod:`smarter._lifetime`): the transport
closes it when the original client releases its lease, or the last one left does. Every
aiohttp and asyncio failure becomes :class:`~smarter.APIConnectionError` /
:class:`~smarter.APITimeoutError` carrying the request, with the original as ``__cause__``.

aiohttp itself is imported on the first request, not with the package: it is most of the
cost of ``import smarter`` otherwise (benchmarks/imports.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import ssl as _ssl
import sys
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from smarter._bodies import Errors, StreamResponse, finished, read_all
from smarter._config import Timeout
from smarter._exceptions import APIConnectionError, APITimeoutError, SmarterError
from smarter._lifetime import (
    ClientClosedError,
    InFlight,
    Leases,
    close_at_loop_shutdown,
    close_session_now,
    running_on,
)
from smarter._redirects import REDIRECTS, follow
from smarter._request import SERVICE_SETTINGS, Request

if TYPE_CHECKING:
    import aiohttp
    import aiohttp.abc
    import yarl

    from smarter._files import MultipartForm
    from smarter._response import HTTPResponse

if sys.version_info >= (3, 11):
    from asyncio import timeout as _deadline
else:  # pragma: no cover - aiohttp depends on async-timeout on Python 3.10
    from async_timeout import timeout as _deadline  # type: ignore[import-not-found,unused-ignore]

__all__ = ["CLOSED_MESSAGE", "SessionFactory", "StreamResponse", "Transport"]

SessionFactory = Callable[[], "aiohttp.ClientSession"]
CLOSED_MESSAGE = "The client is closed; make a new client to send requests."

_NO_PROXY: tuple[None, None] = (None, None)


class _Aiohttp:
    """What the transport needs of aiohttp, imported on first use (see the module docstring)."""

    module: Any = None
    errors: tuple[type[BaseException], ...] = ()

    @classmethod
    def load(cls) -> Any:
        if cls.module is None:
            import aiohttp

            from smarter._files import UploadFailedError

            cls.errors = (
                aiohttp.ClientError,
                OSError,
                asyncio.TimeoutError,
                TimeoutError,
                UploadFailedError,
            )
            cls.module = aiohttp
        return cls.module


def _translate(exc: BaseException, request: Request) -> APIConnectionError:  # noqa: PLR0911 (a table)
    """The ``smarter`` error of a transport failure (the caller chains the original)."""
    aio = _Aiohttp.load()
    if isinstance(exc, ClientClosedError):
        return APIConnectionError(str(exc), request=request, retryable=False)
    if isinstance(exc, aio.ConnectionTimeoutError):
        # No connection within the connect timeout: the request was never sent.
        return APITimeoutError("Timed out connecting to the server.", request=request, sent=False)
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return APITimeoutError(request=request)
    from smarter._files import UploadFailedError  # loaded with the first upload already

    failed = exc if isinstance(exc, UploadFailedError) else exc.__cause__
    if isinstance(failed, UploadFailedError):
        # The file, not the network: sending it again would fail the same way.
        return APIConnectionError(str(failed), request=request, retryable=False)
    if isinstance(exc, aio.ClientConnectorCertificateError):
        return APIConnectionError(
            f"TLS certificate verification failed: {exc.certificate_error}",
            request=request,
            retryable=False,
            sent=False,
        )
    if isinstance(exc, aio.ClientSSLError):
        message = f"TLS error: {exc}"
        if "WRONG_VERSION_NUMBER" in message:
            # What an https:// URL gets from a plain-HTTP server.
            argument, variable = SERVICE_SETTINGS[request.service]
            message = (
                f"TLS error: {request.url.origin()} did not answer in TLS (WRONG_VERSION_NUMBER);"
                f" if it serves plain HTTP, use http:// in {argument} (or {variable})"
            )
        return APIConnectionError(message, request=request, retryable=False, sent=False)
    if isinstance(exc, aio.InvalidURL):
        return APIConnectionError(
            f"Invalid URL: {exc.url}", request=request, retryable=False, sent=False
        )
    if isinstance(exc, aio.ClientConnectorError):
        return APIConnectionError(
            f"Could not connect to {exc.host}:{exc.port}: {exc.strerror or exc}",
            request=request,
            sent=False,
        )
    if isinstance(exc, aio.ClientPayloadError):
        return APIConnectionError(
            "The connection broke while the response was being read.", request=request
        )
    if isinstance(exc, aio.ServerDisconnectedError):
        return APIConnectionError(
            "The server closed the connection without answering.", request=request
        )
    return APIConnectionError(
        f"Connection error: {exc!s}" if str(exc) else f"Connection error: {type(exc).__name__}",
        request=request,
    )


def _raise(exc: BaseException, request: Request) -> NoReturn:
    raise _translate(exc, request) from exc


@functools.cache
def _errors() -> Errors:
    """How a body reader catches and tells aiohttp's errors (aiohttp is loaded by then)."""
    _Aiohttp.load()
    return Errors(_Aiohttp.errors, _raise)


@functools.lru_cache(maxsize=64)
def _client_timeout(timeout: Timeout, stream: bool) -> aiohttp.ClientTimeout:
    client_timeout: type[aiohttp.ClientTimeout] = _Aiohttp.load().ClientTimeout
    if stream:
        # A stream may last as long as its events keep coming: the total only bounds the
        # wait for the headers (see Transport.open_stream); silence is bounded by sock_read.
        return client_timeout(total=None, connect=timeout.connect, sock_read=timeout.stream_read)
    return client_timeout(total=timeout.total, connect=timeout.connect, sock_read=timeout.read)


@functools.cache
def _form_payload_class() -> type[Any]:
    """The aiohttp payload of a multipart upload, defined once aiohttp is imported."""
    aio = _Aiohttp.load()
    from smarter._files import write_form

    class FormPayload(aio.payload.Payload):  # type: ignore[misc,name-defined]
        """A multipart body whose file part is read in chunks in the executor, never whole."""

        def __init__(self, form: MultipartForm) -> None:
            super().__init__(form, content_type=form.content_type)
            self._form = form
            self._size = form.size

        def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
            return f"<multipart upload of {self._form.upload.filename!r}>"

        async def write(self, writer: aiohttp.abc.AbstractStreamWriter) -> None:
            await self.write_with_length(writer, None)

        async def write_with_length(
            self, writer: aiohttp.abc.AbstractStreamWriter, content_length: int | None
        ) -> None:
            await write_form(self._form, writer.write)

    return FormPayload


def _env_proxy(url: yarl.URL) -> tuple[Any, aiohttp.BasicAuth | None]:
    from aiohttp.helpers import get_env_proxy_for_url

    try:
        return get_env_proxy_for_url(url)
    except LookupError:  # no proxy for this scheme, or NO_PROXY names the host
        return _NO_PROXY


def _aiohttp_body(body: object) -> Any:
    if body is None or isinstance(body, bytes):
        return body
    return _form_payload_class()(body)


# The first attempt and the redirects next_hop allows, then one more: refused there.
_HOPS = 7


def _session_closed(exc: RuntimeError, request: Request) -> APIConnectionError:
    return APIConnectionError(
        f"The aiohttp session is closed ({exc}): the http_session given to the client was "
        "closed while the client still used it.",
        request=request,
        retryable=False,
        sent=False,
    )


_TRANSPORTS: weakref.WeakSet[Transport] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for transport in list(_TRANSPORTS):
        transport.forget_pool()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Transport:
    """The connection pool of one client and its ``with_options()`` copies.

    Each client holds a lease (:meth:`lease`); :meth:`release` closes the pool when the
    primary lease (the client that made the pool) or the last live one is released. A lease
    whose client was garbage collected is forgotten without closing anything.
    """

    def __init__(
        self,
        *,
        proxy: str | yarl.URL | None,
        ssl: _ssl.SSLContext | bool | None,
        connection_limit: int,
        http_session: aiohttp.ClientSession | None,
        session_factory: SessionFactory | None,
        timeout: Timeout,
    ) -> None:
        if http_session is not None and not _is_session(http_session):
            raise TypeError("http_session must be an aiohttp.ClientSession")
        # The client's default timeout, the default of the session made here: a call with
        # it passes none (see send). None for a session of the caller's.
        self._timeout: Timeout | None = None
        if http_session is None and session_factory is None:
            self._timeout = timeout
        self._proxy = proxy
        # HTTP(S)_PROXY / NO_PROXY as aiohttp's trust_env reads them, looked up once per
        # scheme and host (see _proxy_for); only for the sessions this transport makes.
        self._env_proxies: dict[tuple[str, str | None], tuple[Any, Any]] | None = (
            {} if proxy is None and http_session is None and session_factory is None else None
        )
        self._ssl: _ssl.SSLContext | bool = True if ssl is None else ssl
        self._limit = connection_limit
        self._factory = session_factory
        self._session = http_session
        self._owned = http_session is None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._at_shutdown: object = None  # see close_at_loop_shutdown
        self._leases = Leases()
        self._reading = InFlight()
        self.closed = False
        _TRANSPORTS.add(self)

    # -- leases ------------------------------------------------------------------------------

    def lease(self, *, primary: bool) -> int:
        """A lease for one client of this pool; the primary one closes the pool when released."""
        return self._leases.take(primary=primary)

    def forget(self, lease: int) -> None:
        """The client holding *lease* was garbage collected: it no longer keeps the pool open."""
        self._leases.forget(lease)

    async def release(self, lease: int) -> bool:
        """Release *lease*, closing the pool if it was the primary or last one; idempotent.

        Returns:
            Whether the pool is closed now.
        """
        if self._leases.release(lease):
            await self.aclose()
        return self.closed

    def release_nowait(self, lease: int) -> bool:
        """:meth:`release` without awaiting (no loop ran the pool, or it is gone)."""
        if self._leases.release(lease):
            self.close_nowait()
        return self.closed

    # -- the session -------------------------------------------------------------------------

    def _new_session(self) -> aiohttp.ClientSession:
        aio = _Aiohttp.load()
        session: aiohttp.ClientSession
        if self._factory is not None:
            session = self._factory()
            if not isinstance(session, aio.ClientSession):
                raise TypeError("session_factory must return an aiohttp.ClientSession")
        else:
            assert self._timeout is not None  # set whenever the session is made here
            connector = aio.TCPConnector(limit=self._limit, ssl=self._ssl)
            session = aio.ClientSession(
                connector=connector,
                timeout=_client_timeout(self._timeout, False),
                # An API client has no use for cookies; a jar costs time on every response.
                cookie_jar=aio.DummyCookieJar(),
                # No trust_env: it costs two thread hand-offs per request (a ~/.netrc read
                # and a proxy lookup), and a ~/.netrc entry for the API host would clash with
                # our Authorization header. The proxy environment is honoured by _proxy_for.
            )
        # aiohttp would resend a GET, PUT or DELETE whose connection dropped once more on its
        # own, outside max_retries and without backoff: retries are the policy's business.
        session._retry_connection = False  # as aiohttp's own test_utils do
        return session

    def _known_proxy(self, url: yarl.URL) -> tuple[Any, aiohttp.BasicAuth | None] | None:
        """The proxy of a request and its credentials, or None when still to be looked up."""
        cache = self._env_proxies
        if cache is None:
            return self._proxy, None
        return cache.get((url.scheme, url.host))

    async def _proxy_for(self, url: yarl.URL) -> tuple[Any, aiohttp.BasicAuth | None]:
        """The proxy of a request: ``proxy=``, else the environment's (see _known_proxy)."""
        found = self._known_proxy(url)
        if found is None:
            # What trust_env did on every request, now once per host: off the loop, since
            # the lookup may read ~/.netrc for the proxy's credentials.
            found = await asyncio.to_thread(_env_proxy, url)
            assert self._env_proxies is not None
            self._env_proxies[(url.scheme, url.host)] = found
        return found

    def session(self) -> aiohttp.ClientSession:
        """The session, opened on first use on the running loop."""
        if self.closed:
            raise SmarterError(CLOSED_MESSAGE)
        loop = asyncio.get_running_loop()
        if self._session is None:
            self._session = self._new_session()
            self._loop = loop
            if self._owned:
                self._at_shutdown = close_at_loop_shutdown(self._session)
        elif self._owned and self._loop is not loop:
            raise SmarterError(
                "This AsyncClient is bound to the event loop it first ran on and cannot be "
                "used from another one: make one AsyncClient per event loop, or use "
                "smarter.Client from synchronous code."
            )
        return self._session

    @property
    def connection_count(self) -> int:
        """Open connections in the pool, busy or idle (for leak checks and benchmarks)."""
        session = self._session
        connector = session.connector if session is not None else None
        if connector is None:
            return 0
        # aiohttp keeps no public count: these two private collections hold every live one.
        busy = len(getattr(connector, "_acquired", ()))
        idle = sum(len(v) for v in getattr(connector, "_conns", {}).values())
        return busy + idle

    # -- the seam ----------------------------------------------------------------------------

    async def send(self, request: Request) -> HTTPResponse:
        """Send one attempt of *request* and read its whole answer, whatever the status."""
        session = self.session()
        url = request.url
        # Only the arguments that differ from aiohttp's defaults: each keyword costs ~900
        # instructions on its way through ClientSession.request (benchmarks/instructions.py,
        # files.get: passing the four defaults cost 3,600 a call).
        options: dict[str, Any] = {"headers": request.headers, "allow_redirects": False}
        if request.body is not None:
            options["data"] = _aiohttp_body(request.body)
        if request.timeout is not self._timeout:
            options["timeout"] = _client_timeout(request.timeout, False)
        try:
            for hops in range(_HOPS):
                # A coroutine per request costs more than the dict lookup that usually
                # answers.
                proxy, proxy_auth = self._known_proxy(url) or await self._proxy_for(url)
                if proxy is not None or "proxy" in options:
                    options["proxy"], options["proxy_auth"] = proxy, proxy_auth
                async with session.request(request.method, url, **options) as response:
                    if response.status in REDIRECTS:
                        url, options["headers"] = follow(request, response, url, hops)
                        continue
                    content = await read_all(request, response, self._reading)
                    # Our own URL on the first hop; after a redirect aiohttp's, which drops
                    # the credentials and fragment a Location may carry.
                    return finished(request, response, content, None if hops else url)
        except _Aiohttp.errors as exc:
            _raise(exc, request)
        except RuntimeError as exc:  # a caller's own session, closed under the client
            raise _session_closed(exc, request) from exc
        raise AssertionError("unreachable: next_hop refuses the hop after the last")

    async def open_stream(self, request: Request) -> StreamResponse:
        """Send one attempt of *request* and return as soon as the headers are in."""
        session = self.session()
        url = request.url
        headers = request.headers
        try:
            async with _deadline(request.timeout.total):
                for hops in range(_HOPS):
                    proxy, proxy_auth = await self._proxy_for(url)
                    response = await session.request(
                        request.method,
                        url,
                        headers=headers,
                        data=_aiohttp_body(request.body),
                        timeout=_client_timeout(request.timeout, True),
                        proxy=proxy,
                        proxy_auth=proxy_auth,
                        allow_redirects=False,
                    )
                    if response.status not in REDIRECTS:
                        return StreamResponse(request, response, self._reading, _errors())
                    try:
                        url, headers = follow(request, response, url, hops)
                    finally:
                        response.close()
        except _Aiohttp.errors as exc:
            _raise(exc, request)
        except RuntimeError as exc:  # a caller's own session, closed under the client
            raise _session_closed(exc, request) from exc
        raise AssertionError("unreachable: next_hop refuses the hop after the last")

    # -- closing -----------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the pool (unless the caller owns the session); idempotent."""
        if self.closed:
            return
        self.closed = True
        self._reading.wake()
        session, self._session = self._session, None
        if session is not None and self._owned:
            await session.close()

    def close_nowait(self) -> None:
        """Close without awaiting (garbage collection, interpreter exit); idempotent."""
        if self.closed:
            return
        self.closed = True
        if self._loop is not None and running_on(self._loop):
            self._reading.wake()
        session, self._session = self._session, None
        if session is None or not self._owned or session.closed:
            return
        close_session_now(session)

    def forget_pool(self) -> None:
        """After a fork: drop the pool without touching its sockets (they are the parent's).

        The next request in the child opens a new pool on the child's own loop.
        """
        self._loop = None
        if not self._owned:
            return
        session, self._session = self._session, None
        if session is None:
            return
        connector = session.connector
        session.detach()
        if connector is not None:
            # Marked closed so its finaliser neither warns nor writes to the parent's
            # connections (a TLS close_notify from the child would break them).
            connector._closed = True

    def __del__(self) -> None:
        # A client dropped without aclose(): shut its sockets now, quietly, rather than let
        # aiohttp complain about an unclosed session at exit.
        session = self._session
        if self.closed or session is None or not self._owned:
            return
        loop = self._loop
        if loop is not None and loop.is_running() and not running_on(loop):
            # The last reference went in another thread: the loop's thread does the closing.
            self.closed = True
            self._session = None
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(close_session_now, session)
            return
        self.close_nowait()


def _is_session(value: object) -> bool:
    return isinstance(value, _Aiohttp.load().ClientSession)
