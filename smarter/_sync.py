"""``Client``: the blocking facade of an :class:`~smarter.AsyncClient`.

The blocking client owns an async client and a :class:`~smarter._portal.Portal` (a private
event loop in a daemon thread) and runs every call of the async client there. Its options
and resources are derived from the async client's: an option reads the async client's, a
resource is the blocking twin (:mod:`smarter._twins`) of the async client's resource of the
same name. Closing it asks the async client to close; the portal stops once the connection
pool it served is closed.
"""

from __future__ import annotations

import contextlib
import ssl as _ssl
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import yarl

from smarter._blocking import blocking
from smarter._client import AsyncClient
from smarter._config import (
    DEFAULT_CONNECTION_LIMIT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    AuthScheme,
    Limits,
    NotGiven,
    Timeout,
    TimeoutTypes,
)
from smarter._exceptions import SmarterError
from smarter._lifetime import ClientState
from smarter._portal import Portal
from smarter._transport import CLOSED_MESSAGE, SessionFactory

if TYPE_CHECKING:
    from smarter._request import RequestOptions, Service, Unpack
    from smarter._twins import (
        BatchCompletions,
        Chat,
        Completions,
        Files,
        FineTuning,
        Manifests,
        Models,
        Resources,
        Responses,
    )

__all__ = ["Client"]

T = TypeVar("T")


class _mirror(Generic[T]):  # noqa: N801 (a property, named like one)
    """An option of ``Client``: the async client's option of the same name."""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name
        self.__doc__ = getattr(AsyncClient, name).__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _mirror[T]: ...
    @overload
    def __get__(self, obj: Client, owner: type[Any]) -> T: ...
    def __get__(self, obj: Client | None, owner: type[Any]) -> _mirror[T] | T:
        if obj is None:
            return self
        value: T = getattr(obj._async, self._name)
        return value


class _resource(Generic[T]):  # noqa: N801 (used like cached_property)
    """A resource of ``Client``: the blocking twin of the async client's, made on first use."""

    def __init__(self, twin_name: str) -> None:
        self._twin_name = twin_name

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name
        self.__doc__ = getattr(AsyncClient, name).__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _resource[T]: ...
    @overload
    def __get__(self, obj: Client, owner: type[Any]) -> T: ...
    def __get__(self, obj: Client | None, owner: type[Any]) -> _resource[T] | T:
        if obj is None:
            return self
        from smarter import _twins

        make: Callable[[Any, Portal], T] = getattr(_twins, self._twin_name)
        value = make(getattr(obj._async, self._name), obj._portal)
        obj.__dict__[self._name] = value
        return value


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

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | yarl.URL | None = None,
        auth_scheme: AuthScheme = "token",
        llm_engine_url: str | yarl.URL | None = None,
        llm_engine_api_key: str | None = None,
        openai_base_url: str | yarl.URL | None = None,
        openai_api_key: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_creates: bool = False,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        limits: Limits | None = None,
        proxy: str | yarl.URL | None = None,
        ssl: _ssl.SSLContext | bool | None = None,
        connection_limit: int = DEFAULT_CONNECTION_LIMIT,
        session_factory: SessionFactory | None = None,
    ) -> None:
        client = AsyncClient(
            api_key=api_key,
            base_url=base_url,
            auth_scheme=auth_scheme,
            llm_engine_url=llm_engine_url,
            llm_engine_api_key=llm_engine_api_key,
            openai_base_url=openai_base_url,
            openai_api_key=openai_api_key,
            timeout=timeout,
            max_retries=max_retries,
            retry_creates=retry_creates,
            default_headers=default_headers,
            default_query=default_query,
            limits=limits,
            proxy=proxy,
            ssl=ssl,
            connection_limit=connection_limit,
            session_factory=session_factory,
        )
        # If nobody closes the client, the portal closes the pool on its own loop's thread
        # when it is dropped, or at exit.
        self._async = client
        self._portal = Portal(cleanup=client._pool_finalizer)

    # -- options ---------------------------------------------------------------------------

    api_key: _mirror[str | None] = _mirror()
    base_url: _mirror[yarl.URL] = _mirror()
    llm_engine_url: _mirror[yarl.URL | None] = _mirror()
    openai_base_url: _mirror[yarl.URL | None] = _mirror()
    retry_creates: _mirror[bool] = _mirror()
    auth_scheme: _mirror[AuthScheme] = _mirror()
    timeout: _mirror[Timeout] = _mirror()
    max_retries: _mirror[int] = _mirror()
    default_headers: _mirror[Mapping[str, str]] = _mirror()
    default_query: _mirror[Mapping[str, object]] = _mirror()
    limits: _mirror[Limits] = _mirror()
    state: _mirror[ClientState] = _mirror()
    is_closed: _mirror[bool] = _mirror()

    def with_options(
        self,
        *,
        api_key: str | None = None,
        base_url: str | yarl.URL | None = None,
        auth_scheme: AuthScheme | None = None,
        llm_engine_url: str | yarl.URL | None = None,
        llm_engine_api_key: str | None = None,
        openai_base_url: str | yarl.URL | None = None,
        openai_api_key: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        retry_creates: bool | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        limits: Limits | None = None,
    ) -> Client:
        """A copy with some options changed, sharing this client's loop and connections."""
        copy = Client.__new__(Client)
        copy._async = self._async.with_options(
            api_key=api_key,
            base_url=base_url,
            auth_scheme=auth_scheme,
            llm_engine_url=llm_engine_url,
            llm_engine_api_key=llm_engine_api_key,
            openai_base_url=openai_base_url,
            openai_api_key=openai_api_key,
            timeout=timeout,
            max_retries=max_retries,
            retry_creates=retry_creates,
            default_headers=default_headers,
            default_query=default_query,
            limits=limits,
        )
        copy._portal = self._portal
        return copy

    def __repr__(self) -> str:
        return (
            f"<Client base_url={str(self.base_url)!r} auth_scheme={self.auth_scheme!r}"
            f"{' closed' if self.is_closed else ''}>"
        )

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connections and stop the client's loop thread; idempotent.

        On a copy made by :meth:`with_options`, only once the original and every other
        copy are closed or gone.
        """
        if self._async.state is ClientState.CLOSED and not self._portal.running:
            return
        closed = None
        if self._portal.running:
            with contextlib.suppress(SmarterError):  # the portal stopped meanwhile
                closed = self._portal.call(self._async._release)
        if closed is None:
            closed = self._async._release_nowait()
        if closed:
            self._portal.stop()

    def __enter__(self) -> Client:
        if self.is_closed:
            raise SmarterError(CLOSED_MESSAGE)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- resources: the blocking twins of the async client's ------------------------------

    completions: _resource[Completions] = _resource("Completions")
    chat: _resource[Chat] = _resource("Chat")
    resources: _resource[Resources] = _resource("Resources")
    manifests: _resource[Manifests] = _resource("Manifests")
    fine_tuning: _resource[FineTuning] = _resource("FineTuning")
    models: _resource[Models] = _resource("Models")
    files: _resource[Files] = _resource("Files")
    batch_completions: _resource[BatchCompletions] = _resource("BatchCompletions")

    @property
    def responses(self) -> Responses:
        """The OpenAI-compatible responses API (the same object as ``chat.responses``)."""
        return self.chat.responses

    whoami = blocking(AsyncClient.whoami)
    version = blocking(AsyncClient.version)
    status = blocking(AsyncClient.status)

    if TYPE_CHECKING:
        # The overloads of the async method, in blocking form, for type checkers only.
        @overload
        def request(
            self,
            method: str,
            path: str,
            *,
            service: Service = "platform",
            json: Mapping[str, object] | None = None,
            query: Mapping[str, object] | None = None,
            **options: Unpack[RequestOptions],
        ) -> dict[str, Any]: ...
        @overload
        def request(
            self,
            method: str,
            path: str,
            *,
            service: Service = "platform",
            json: Mapping[str, object] | None = None,
            query: Mapping[str, object] | None = None,
            cast_to: type[T],
            **options: Unpack[RequestOptions],
        ) -> T: ...
        def request(self, *arguments: Any, **keywords: Any) -> Any: ...
    else:
        request = blocking(AsyncClient.request)
