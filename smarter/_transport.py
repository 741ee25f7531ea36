"""The only module that touches aiohttp's client: the session, requests, and error mapping.

Policy (headers, retries, decoding) lives in ``_client``; this module is mechanism. It opens
the ``aiohttp.ClientSession`` lazily on the loop that first uses it, sends one attempt at a
time, reads bodies and streams with its own loop over ``readany()`` (aiohttp's line reader
refuses lines over 64 KiB), and turns every aiohttp and asyncio failure into
:class:`~smarter.APIConnectionError` or :class:`~smarter.APITimeoutError` with the original
as ``__cause__``.
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
from typing import IO, Any, NoReturn

import aiohttp
import aiohttp.abc
import aiohttp.payload
import yarl
from aiohttp.helpers import get_env_proxy_for_url

from smarter._config import Timeout
from smarter._exceptions import APIConnectionError, APITimeoutError, SmarterError
from smarter._files import MultipartForm, off_loop, open_off_loop, when_idle
from smarter._response import HTTPResponse

if sys.version_info >= (3, 11):
    from asyncio import timeout as _deadline
else:  # pragma: no cover - aiohttp depends on async-timeout on Python 3.10
    from async_timeout import timeout as _deadline  # type: ignore[import-not-found,unused-ignore]

__all__ = ["Body", "SessionFactory", "StreamResponse", "Transport", "running_on"]

SessionFactory = Callable[[], aiohttp.ClientSession]
Body = bytes | MultipartForm | None

_READ_SIZE = 256 * 1024
_NO_PROXY: tuple[None, None] = (None, None)
_TRANSPORT_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError, TimeoutError)


def _translate(exc: BaseException, request_id: str | None) -> APIConnectionError:  # noqa: PLR0911 (a table)
    """The ``smarter`` error of a transport failure (the caller chains the original)."""
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return APITimeoutError(request_id=request_id)
    if isinstance(exc.__cause__, _ChangedSizeError):
        # Sending it again would fail the same way, after sending it all again.
        return APIConnectionError(str(exc.__cause__), request_id=request_id, retryable=False)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return APIConnectionError(
            f"TLS certificate verification failed: {exc.certificate_error}",
            request_id=request_id,
            retryable=False,
        )
    if isinstance(exc, aiohttp.ClientSSLError):
        return APIConnectionError(f"TLS error: {exc}", request_id=request_id, retryable=False)
    if isinstance(exc, aiohttp.InvalidURL):
        return APIConnectionError(f"Invalid URL: {exc.url}", request_id=request_id, retryable=False)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return APIConnectionError(
            f"Could not connect to {exc.host}:{exc.port}: {exc.strerror or exc}",
            request_id=request_id,
        )
    if isinstance(exc, aiohttp.ClientPayloadError):
        return APIConnectionError(
            "The connection broke while the response was being read.", request_id=request_id
        )
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return APIConnectionError(
            "The server closed the connection without answering.", request_id=request_id
        )
    return APIConnectionError(
        f"Connection error: {exc!s}" if str(exc) else f"Connection error: {type(exc).__name__}",
        request_id=request_id,
    )


def _raise(exc: BaseException, request_id: str | None) -> NoReturn:
    raise _translate(exc, request_id) from exc


@functools.lru_cache(maxsize=64)
def _client_timeout(timeout: Timeout, stream: bool) -> aiohttp.ClientTimeout:
    if stream:
        # A stream may last as long as its events keep coming: the total only bounds the
        # wait for the headers (see Transport.open_stream); silence is bounded by sock_read.
        return aiohttp.ClientTimeout(
            total=None, connect=timeout.connect, sock_read=timeout.stream_read
        )
    return aiohttp.ClientTimeout(
        total=timeout.total, connect=timeout.connect, sock_read=timeout.read
    )


class _FormPayload(aiohttp.payload.Payload):
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
        upload = self._form.upload
        await writer.write(self._form.head)
        if upload.data is not None:
            await writer.write(upload.data)
        else:
            if upload.path is not None:
                stream: IO[bytes] = await open_off_loop(upload.path)
            else:
                assert upload.stream is not None
                stream = upload.stream
                if upload.start is not None:
                    await off_loop(stream, stream.seek, upload.start)
            try:
                await _copy(stream, writer, upload.size, upload.filename)
            finally:
                if upload.path is not None:
                    when_idle(stream, stream.close)
        await writer.write(self._form.tail)


class _ChangedSizeError(Exception):
    """A file's size is not what the request announced (raised inside aiohttp's writer)."""


async def _copy(
    stream: IO[bytes],
    writer: aiohttp.abc.AbstractStreamWriter,
    size: int | None,
    filename: str,
) -> None:
    """Send a file in chunks read in the executor: exactly *size* bytes when it is known.

    The Content-Length announced *size*: a file that grew or shrank since would send a body
    of the wrong length, whose surplus the server would read as the next request.
    """
    left = size
    while left is None or left > 0:
        want = _READ_SIZE if left is None else min(_READ_SIZE, left)
        chunk = await off_loop(stream, stream.read, want)
        if not chunk:
            break
        await writer.write(chunk)
        if left is not None:
            left -= len(chunk)
    grew = left == 0 and bool(await off_loop(stream, stream.read, 1))
    if left or grew:
        raise _ChangedSizeError(
            f"{filename!r} changed size while it was uploaded (expected {size} bytes)"
        )


def _env_proxy(url: yarl.URL) -> tuple[Any, aiohttp.BasicAuth | None]:
    try:
        return get_env_proxy_for_url(url)
    except LookupError:  # no proxy for this scheme, or NO_PROXY names the host
        return _NO_PROXY


def _aiohttp_body(body: Body) -> bytes | aiohttp.payload.Payload | None:
    return _FormPayload(body) if isinstance(body, MultipartForm) else body


async def _read_all(response: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    while chunk := await response.content.readany():
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _finished(
    method: str, response: aiohttp.ClientResponse, content: bytes, request_id: str
) -> HTTPResponse:
    headers = response.headers
    return HTTPResponse(
        method=method,
        url=str(response.url),
        status_code=response.status,
        headers=headers,
        content=content,
        request_id=headers.get("x-request-id") or request_id,
    )


class StreamResponse:
    """A response whose body is read chunk by chunk (an event stream)."""

    def __init__(self, method: str, response: aiohttp.ClientResponse, request_id: str) -> None:
        self._method = method
        self._response = response
        self.status = response.status
        self.headers = response.headers
        self.request_id: str = response.headers.get("x-request-id") or request_id

    async def read_chunk(self) -> bytes:
        """The next bytes of the body as they arrive; ``b""`` at its end."""
        try:
            return await self._response.content.readany()
        except _TRANSPORT_ERRORS as exc:
            self.close()
            _raise(exc, self.request_id)

    async def finish(self) -> HTTPResponse:
        """Read the rest of the body (an error answer) and release the connection."""
        try:
            content = await _read_all(self._response)
        except _TRANSPORT_ERRORS as exc:
            _raise(exc, self.request_id)
        finally:
            self.close()
        return _finished(self._method, self._response, content, self.request_id)

    def head(self) -> HTTPResponse:
        """The status and headers, without the body (kept on errors raised mid-stream)."""
        return _finished(self._method, self._response, b"", self.request_id)

    def close(self) -> None:
        """Give the connection back: reused if the body was read to its end, else closed."""
        response = self._response
        if response.content.at_eof():
            response.release()
        else:
            response.close()


_TRANSPORTS: weakref.WeakSet[Transport] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for transport in list(_TRANSPORTS):
        transport.forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Transport:
    """The connection pool of one client and its ``with_options()`` copies."""

    def __init__(
        self,
        *,
        proxy: str | yarl.URL | None,
        ssl: _ssl.SSLContext | bool | None,
        connection_limit: int,
        http_session: aiohttp.ClientSession | None,
        session_factory: SessionFactory | None,
    ) -> None:
        if http_session is not None and not isinstance(http_session, aiohttp.ClientSession):
            raise TypeError("http_session must be an aiohttp.ClientSession")
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
        self.closed = False
        _TRANSPORTS.add(self)

    def _new_session(self) -> aiohttp.ClientSession:
        if self._factory is not None:
            session = self._factory()
            if not isinstance(session, aiohttp.ClientSession):
                raise TypeError("session_factory must return an aiohttp.ClientSession")
        else:
            connector = aiohttp.TCPConnector(limit=self._limit, ssl=self._ssl)
            session = aiohttp.ClientSession(
                connector=connector,
                # An API client has no use for cookies; a jar costs time on every response.
                cookie_jar=aiohttp.DummyCookieJar(),
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
            raise SmarterError("The client is closed; make a new client to send requests.")
        loop = asyncio.get_running_loop()
        if self._session is None:
            self._session = self._new_session()
            self._loop = loop
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

    async def fetch(
        self,
        method: str,
        url: yarl.URL,
        *,
        headers: dict[str, str],
        body: Body,
        timeout: Timeout,
        request_id: str,
    ) -> HTTPResponse:
        """Send one attempt and read its whole answer, whatever the status."""
        session = self.session()
        try:
            # A coroutine per request costs more than the dict lookup that usually answers.
            proxy, proxy_auth = self._known_proxy(url) or await self._proxy_for(url)
            async with session.request(
                method,
                url,
                headers=headers,
                data=_aiohttp_body(body),
                timeout=_client_timeout(timeout, False),
                proxy=proxy,
                proxy_auth=proxy_auth,
            ) as response:
                content = await _read_all(response)
                return _finished(method, response, content, request_id)
        except _TRANSPORT_ERRORS as exc:
            _raise(exc, request_id)

    async def open_stream(
        self,
        method: str,
        url: yarl.URL,
        *,
        headers: dict[str, str],
        body: Body,
        timeout: Timeout,
        request_id: str,
    ) -> StreamResponse:
        """Send one attempt and return as soon as the headers are in."""
        session = self.session()
        try:
            proxy, proxy_auth = await self._proxy_for(url)
            async with _deadline(timeout.total):
                response = await session.request(
                    method,
                    url,
                    headers=headers,
                    data=_aiohttp_body(body),
                    timeout=_client_timeout(timeout, True),
                    proxy=proxy,
                    proxy_auth=proxy_auth,
                )
        except _TRANSPORT_ERRORS as exc:
            _raise(exc, request_id)
        return StreamResponse(method, response, request_id)

    async def aclose(self) -> None:
        """Close the pool if this client opened it; idempotent."""
        if self.closed:
            return
        self.closed = True
        session, self._session = self._session, None
        if session is not None and self._owned:
            await session.close()

    def close_nowait(self) -> None:
        """Close without awaiting (garbage collection, interpreter exit); idempotent."""
        if self.closed:
            return
        self.closed = True
        session, self._session = self._session, None
        if session is None or not self._owned or session.closed:
            return
        _close_now(session)

    def forget(self) -> None:
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
                loop.call_soon_threadsafe(_close_now, session)
            return
        self.close_nowait()


def running_on(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether this thread is running *loop* (a finalizer may run in any thread)."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _close_now(session: aiohttp.ClientSession) -> None:
    """Close a session without awaiting, on its loop's thread (or after the loop closed).

    Detaching marks the session closed without I/O, so aiohttp has nothing to warn about;
    the connector's synchronous close shuts its sockets (a no-op once the loop is closed,
    when the sockets go with the process). TLS connections are aborted: a graceful TLS
    close waits for the peer on a loop that is about to stop, and its socket is left open.
    """
    if session.closed:
        return
    connector = session.connector
    session.detach()
    if connector is not None:
        try:
            connector._close(abort_ssl=True)
        except TypeError:  # older aiohttp (before mid-2025) has no abort_ssl: a graceful close
            connector._close()
