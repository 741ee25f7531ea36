"""``AsyncClient``: the options of a client, its lifetime, and its resources.

The client is small on purpose: its settings are one immutable
:class:`~smarter._settings.Settings`, its calls go through its
:class:`~smarter._pipeline.Pipeline`, and its connections belong to a
:class:`~smarter._transport.Transport` that it leases (shared with its ``with_options()``
copies). Its resources are imported on first access, so ``import smarter`` stays cheap.
"""

from __future__ import annotations

import os
import ssl as _ssl
import weakref
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING

import yarl

from smarter._any_route import AnyRoute
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
from smarter._logging import setup_from_env
from smarter._pipeline import Pipeline
from smarter._request import RequestOptions, Unpack
from smarter._settings import Settings
from smarter._transport import CLOSED_MESSAGE, SessionFactory, Transport

if TYPE_CHECKING:
    import aiohttp

    from smarter.resources.batch_completions import AsyncBatchCompletions
    from smarter.resources.chat import AsyncChat
    from smarter.resources.chatbots import AsyncResources
    from smarter.resources.completions import AsyncCompletions
    from smarter.resources.files import AsyncFiles
    from smarter.resources.fine_tuning import AsyncFineTuning
    from smarter.resources.manifests import AsyncManifests
    from smarter.resources.models import AsyncModels
    from smarter.resources.responses import AsyncResponses
    from smarter.types.whoami import PlatformStatus, PlatformVersion, WhoAmI

__all__ = ["AsyncClient"]


def _check_limit(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"connection_limit must be a positive int, not {value!r}")
    return value


class AsyncClient(AnyRoute):
    """The asynchronous client: one connection pool, many concurrent calls.

    Args:
        api_key: The Smarter platform's API key; else ``SMARTER_API_KEY``. Needed only when
            a platform route is called.
        base_url: The platform's API root; else ``SMARTER_BASE_URL``, else
            ``https://platform.smarter.sh/api/v1/``. Normalised to end in ``/``.
        auth_scheme: How the platform key is sent: ``"token"`` (``Authorization: Token
            <key>``, the Smarter platform), or ``"bearer"`` / ``"basic"`` for a platform
            behind a gateway.
        llm_engine_url: The LLM Engine server's root (it serves ``v1/...`` and ``v2/...``);
            else ``LLM_ENGINE_BASE_PATH``, as the ``llmengine`` client reads it. No default.
        llm_engine_api_key: The LLM Engine key, sent with HTTP Basic; else
            ``SCALE_API_KEY``, else *api_key*.
        openai_base_url: An OpenAI-compatible server (``chat/completions``, ``responses``);
            else ``SMARTER_OPENAI_BASE_URL``, else the LLM Engine's ``v2/``.
        openai_api_key: Its key, sent as ``Bearer``; else *api_key*, else (for the LLM
            Engine's ``v2/``) the LLM Engine key.
        timeout: Seconds, a :class:`smarter.Timeout`, or None for no limit; default 600 s
            for a call and 5 s to connect.
        max_retries: Retries of a failed call (0 turns them off); default 2.
        retry_creates: Retry calls that create something (an upload, a fine-tuning job, a
            prompt) after a failure that leaves unsure whether the server acted; default
            False: no real server deduplicates them (PROTOCOL.md, "Retries").
        default_headers: Headers sent with every request.
        default_query: Query parameters sent with every request.
        limits: Bounds on what a server may send (:class:`smarter.Limits`): the largest
            body, stream event and JSON nesting, and the empty pages a walk allows.
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

    _settings: Settings
    _transport: Transport
    _pipeline: Pipeline
    _lease: int
    _chatbot_uid: str

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
        http_session: aiohttp.ClientSession | None = None,
        session_factory: SessionFactory | None = None,
    ) -> None:
        setup_from_env()
        settings = Settings(
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
        transport = Transport(
            proxy=proxy,
            ssl=ssl,
            connection_limit=_check_limit(connection_limit),
            http_session=http_session,
            session_factory=session_factory,
            timeout=settings.timeout,
        )
        # The session owner id (`uid`) of chatbot prompts: one per client and its copies.
        self._start(settings, transport, primary=True, chatbot_uid=os.urandom(16).hex())

    def _start(
        self, settings: Settings, transport: Transport, *, primary: bool, chatbot_uid: str
    ) -> None:
        self._settings = settings
        self._transport = transport
        self._pipeline = Pipeline(settings, transport)
        self._lease = transport.lease(primary=primary)
        # A client dropped without closing no longer keeps the pool open for its copies.
        weakref.finalize(self, transport.forget, self._lease)
        self._chatbot_uid = chatbot_uid

    # -- options ---------------------------------------------------------------------------

    @property
    def api_key(self) -> str | None:
        """The platform's API key (never shown in a repr, a log line or an error message)."""
        return self._settings.api_key

    @property
    def base_url(self) -> yarl.URL:
        """The platform's API root, ending in ``/``."""
        return self._settings.base_url

    @property
    def llm_engine_url(self) -> yarl.URL | None:
        """The LLM Engine server's root, ending in ``/`` (None: not configured)."""
        return self._settings.llm_engine_url

    @property
    def openai_base_url(self) -> yarl.URL | None:
        """The OpenAI-compatible server's root, ending in ``/`` (None: the LLM Engine's v2/)."""
        return self._settings.openai_base_url

    @property
    def retry_creates(self) -> bool:
        """Whether calls that create something are retried after an ambiguous failure."""
        return self._settings.retry_creates

    @property
    def auth_scheme(self) -> AuthScheme:
        """How the key is sent: ``"token"``, ``"bearer"`` or ``"basic"``."""
        return self._settings.auth_scheme

    @property
    def timeout(self) -> Timeout:
        """The default timeout of a call."""
        return self._settings.timeout

    @property
    def max_retries(self) -> int:
        """The default number of retries of a failed call."""
        return self._settings.max_retries

    @property
    def default_headers(self) -> Mapping[str, str]:
        """Headers sent with every request."""
        return self._settings.default_headers

    @property
    def default_query(self) -> Mapping[str, object]:
        """Query parameters sent with every request."""
        return self._settings.default_query

    @property
    def limits(self) -> Limits:
        """The bounds on what a server may send.

        .. versionadded:: 0.3.0
        """
        return self._settings.limits

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
    ) -> AsyncClient:
        """A copy with some options changed, sharing this client's connection pool.

        *default_headers* and *default_query* are merged over this client's own. The copy
        needs no closing: closing this client closes the pool they share. Closing a copy
        closes the pool only when the original and every other copy are closed or gone (as
        in ``async with AsyncClient().with_options(...) as client:``). The options of
        the pool itself (``proxy``, ``ssl``, ``connection_limit``, ``http_session``,
        ``session_factory``) cannot differ in a copy: make a new client for those.
        """
        settings = self._settings.replace(
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
        copy = AsyncClient.__new__(AsyncClient)
        # A copy prompts chatbots as the same session owner.
        copy._start(settings, self._transport, primary=False, chatbot_uid=self._chatbot_uid)
        return copy

    def __repr__(self) -> str:
        return (
            f"<AsyncClient base_url={str(self.base_url)!r} auth_scheme={self.auth_scheme!r}"
            f"{' closed' if self.is_closed else ''}>"
        )

    # -- lifetime --------------------------------------------------------------------------

    @property
    def state(self) -> ClientState:
        """``OPEN`` until :meth:`aclose` (of this client, or the pool it shares) is called.

        .. versionadded:: 0.3.0
        """
        if self._transport.closed:
            return ClientState.CLOSED
        return self._pipeline.state

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`aclose` was called (on this client or the one it was copied from)."""
        return self.state is ClientState.CLOSED

    async def aclose(self) -> None:
        """Close the connection pool (unless a caller-owned session); idempotent.

        On a copy made by :meth:`with_options`, only once nothing else uses the pool.
        """
        await self._release()

    async def _release(self) -> bool:
        """Close this client and give up its lease; whether the pool closed with it."""
        self._pipeline.state = ClientState.CLOSED
        return await self._transport.release(self._lease)

    @property
    def _pool_finalizer(self) -> Callable[[], None]:
        """What closes the pool once every client of it is gone.

        The blocking client's portal runs it when dropped, or at exit; it holds no client.
        """
        return self._transport.close_nowait

    def _release_nowait(self) -> bool:
        """:meth:`_release` where no loop can run it (the pool never opened, or is gone)."""
        self._pipeline.state = ClientState.CLOSED
        return self._transport.release_nowait(self._lease)

    async def __aenter__(self) -> AsyncClient:
        if self.is_closed:
            raise SmarterError(CLOSED_MESSAGE)
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
    def manifests(self) -> AsyncManifests:
        """Smarter platform manifests: apply, plan, get, describe, delete, deploy, ..."""
        from smarter.resources.manifests import AsyncManifests

        return AsyncManifests(self)

    @cached_property
    def fine_tuning(self) -> AsyncFineTuning:
        """Fine-tuning jobs: ``fine_tuning.jobs``."""
        from smarter.resources.fine_tuning import AsyncFineTuning

        return AsyncFineTuning(self)

    @cached_property
    def models(self) -> AsyncModels:
        """LLM endpoints (models): create, update, wait_until_ready, list, get, delete, download."""
        from smarter.resources.models import AsyncModels

        return AsyncModels(self)

    @cached_property
    def batch_completions(self) -> AsyncBatchCompletions:
        """LLM Engine batch completion jobs: create, get, update, cancel, wait.

        .. versionadded:: 0.3.0
        """
        from smarter.resources.batch_completions import AsyncBatchCompletions

        return AsyncBatchCompletions(self)

    @cached_property
    def files(self) -> AsyncFiles:
        """Files for fine-tuning: upload, list, get, content, delete."""
        from smarter.resources.files import AsyncFiles

        return AsyncFiles(self)

    async def whoami(self, **options: Unpack[RequestOptions]) -> WhoAmI:
        """Who the API key belongs to: the user, the account and the environment."""
        from smarter.types.whoami import WhoAmI

        pipeline = self._pipeline
        request = pipeline.build("POST", "cli/whoami/", options, service="platform")
        return await pipeline.call(request, WhoAmI, envelope=True)

    async def version(self, **options: Unpack[RequestOptions]) -> PlatformVersion:
        """The platform's version (``data.api.version``) and its Python packages.

        .. versionadded:: 0.3.0
        """
        from smarter.types.whoami import PlatformVersion

        pipeline = self._pipeline
        request = pipeline.build("POST", "cli/version/", options, service="platform")
        return await pipeline.call(request, PlatformVersion, envelope=True)

    async def status(self, **options: Unpack[RequestOptions]) -> PlatformStatus:
        """The platform's infrastructure (Kubernetes, MySQL, Redis) and compute.

        .. versionadded:: 0.3.0
        """
        from smarter.types.whoami import PlatformStatus

        pipeline = self._pipeline
        request = pipeline.build("POST", "cli/status/", options, service="platform")
        return await pipeline.call(request, PlatformStatus, envelope=True)
