"""``ReferenceServer``: start, stop, and drive the reference server from a test.

Two ways to run it: ``async with ReferenceServer()`` on the running event loop, or
``with ReferenceServer.in_thread()`` on a private loop in a daemon thread, for blocking code
(and for code whose own loop must stay free). ``serve()`` runs one in the foreground until
SIGINT or SIGTERM, for ``python -m smarter.testing`` and ``smarter serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import secrets
import signal
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypedDict, TypeVar

from aiohttp import web

from smarter.testing._app import create_app
from smarter.testing._faults import Fault, FaultQueue, route_matches
from smarter.testing._http import OPENAI_PATH, PLATFORM_PATH, Context
from smarter.testing._limits import Limits, RateLimit
from smarter.testing._profiles import Profile, profile_named
from smarter.testing._routes_cli import make_chatbot
from smarter.testing._state import RecordedRequest, RequestLog, ServerState, make_endpoint

__all__ = ["ClientKwargs", "ReferenceServer", "serve"]

_T = TypeVar("_T")
# How long stop() lets a request in flight finish before cancelling it. Streams and
# scripted delays end at once anyway (they watch the stopping event).
_SHUTDOWN_GRACE = 0.25
_THREAD_NAME = "smarter-reference-server"


class ClientKwargs(TypedDict):
    """The arguments that point a client at a reference server (typed, for ``**`` unpacking).

    .. versionadded:: 0.3.0
    """

    base_url: str
    api_key: str
    llm_engine_url: str
    openai_base_url: str


class ReferenceServer:
    """An in-memory server of the whole wire protocol, on a real loopback socket.

    One port serves the three services a client talks to: the Smarter platform
    (:attr:`url`, ``/api/v1/``), an LLM Engine (:attr:`llm_engine_url`, the root) and an
    OpenAI-compatible server (:attr:`openai_base_url`, ``/openai/v1/``);
    :meth:`client_kwargs` gives the arguments that point a client at all three. It enforces
    its API key as each real server does, keeps state (files, fine-tuning jobs, model
    endpoints, chatbots and their sessions, the platform's manifests), answers with a
    deterministic fake model, records every request, and injects scripted faults
    (:class:`~smarter.testing.Fault`) per route. Its *profile* says which real servers it
    answers like (:mod:`smarter.testing` lists them); only ``extended`` adds what no real
    server does (event ids and resume, ``Idempotency-Key`` replay, paging).

    Args:
        profile: ``"smarter"`` (the default: smarter v0.14.19 and LLM Engine ``a8236961``),
            ``"smarter-legacy"`` (v0.13.223), ``"smarter-v0.10"`` (v0.10.21) or
            ``"extended"``.
        api_key: The key clients must send; default a random ``sk-test-<32 hex>``.
        host: The interface to listen on.
        port: The port; 0 picks a free one.
        chatbots: Extra chatbots, by name or as mappings (``name``, ``description``,
            ``version``, and ``spec.config`` fields); ``example`` always exists.
        models: Extra model endpoints, by name or as mappings of fields that override the
            defaults; ``example-model`` always exists.
        keepalive_interval: Seconds between keep-alives on streams (a ``: ping - <time>``
            comment and, in the ``extended`` profile, an ``output: null`` chunk on
            completion streams).
        token_delay: Seconds between two streamed chunks.
        job_step: Fine-tuning and batch jobs are PENDING for ``job_step`` seconds, RUNNING
            for another ``job_step``, then SUCCESS; a deployment takes two steps to READY.
            :meth:`advance` moves them on without waiting.
        legacy_chatbots: True: the ``smarter-legacy`` profile (kept from 0.2).
        paginate: Override the profile: list bodies with (True) or without (False) paging.
        request_ids: Override the profile: ``x-request-id`` on every answer, or on none.
        upload_dir: Where uploads over 1 MiB are written; default a temporary directory
            that the server removes when it stops.

    .. versionadded:: 0.2.0
    """

    def __init__(
        self,
        *,
        profile: str | Profile = "smarter",
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        chatbots: Iterable[str | Mapping[str, Any]] = (),
        models: Iterable[str | Mapping[str, Any]] = (),
        keepalive_interval: float = 15.0,
        token_delay: float = 0.0,
        job_step: float = 0.5,
        legacy_chatbots: bool = False,
        paginate: bool | None = None,
        request_ids: bool | None = None,
        upload_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        chosen = profile_named("smarter-legacy" if legacy_chatbots else profile)
        if paginate is not None:
            chosen = dataclasses.replace(chosen, paginate=paginate)
        if request_ids is not None:
            chosen = dataclasses.replace(chosen, request_ids=request_ids)
        for name, value in (
            ("keepalive_interval", keepalive_interval),
            ("token_delay", token_delay),
            ("job_step", job_step),
        ):
            if value < 0:
                raise ValueError(f"{name} must not be negative, got {value!r}")
        self._host = host
        self._port = port
        self._upload_dir = Path(upload_dir) if upload_dir is not None else None
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        state = ServerState()
        for bot in map(make_chatbot, ("example", *chatbots)):
            state.chatbots[bot.name] = bot
        for endpoint in map(make_endpoint, ("example-model", *models)):
            state.endpoints[endpoint.name] = endpoint
        self._context = Context(
            state=state,
            log=RequestLog(),
            faults=FaultQueue(),
            api_key=api_key or "sk-test-" + secrets.token_hex(16),
            profile=chosen,
            upload_dir=self._upload_dir or Path(tempfile.gettempdir()),
            keepalive_interval=keepalive_interval,
            token_delay=token_delay,
            job_step=job_step,
            limits=Limits(),
        )

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening on the running event loop.

        Raises:
            RuntimeError: The server is already running.
        """
        if self._runner is not None:
            raise RuntimeError("the reference server is already running")
        self._context.stopping = asyncio.Event()
        if self._upload_dir is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="smarter-reference-")
            self._context.upload_dir = Path(self._temporary.name)
        else:
            self._upload_dir.mkdir(parents=True, exist_ok=True)
            self._context.upload_dir = self._upload_dir
        runner = web.AppRunner(
            create_app(self._context),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=_SHUTDOWN_GRACE,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            self._cleanup_uploads()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        host = f"[{host}]" if ":" in host else host
        self._url = f"http://{host}:{port}/"
        self._context.root = self._url

    async def stop(self) -> None:
        """Stop listening and close every connection, streams in flight included.

        Idempotent. Uploads spilled to the default temporary directory are removed.
        """
        runner, self._runner = self._runner, None
        if runner is None:
            return
        if self._context.stopping is not None:
            self._context.stopping.set()
        try:
            await runner.cleanup()
        finally:
            self._cleanup_uploads()

    def _cleanup_uploads(self) -> None:
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None

    async def __aenter__(self) -> ReferenceServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @classmethod
    @contextlib.contextmanager
    def in_thread(cls, **kwargs: Any) -> Iterator[ReferenceServer]:
        """Run a server on its own event loop in a daemon thread.

        The thread is named ``smarter-reference-server``. The calling thread may itself
        run an event loop: it only waits for the start and the stop.

        Args:
            **kwargs: The constructor's keyword arguments.

        Yields:
            The running server.
        """
        server = cls(**kwargs)
        thread = _LoopThread()
        try:
            thread.run(server.start())
            try:
                yield server
            finally:
                thread.run(server.stop())
        finally:
            thread.close()

    # -- what tests read and script ----------------------------------------------------

    def _root(self) -> str:
        if self._url is None:
            raise RuntimeError("the reference server has not started")
        return self._url

    @property
    def url(self) -> str:
        """The platform's base URL, ``http://127.0.0.1:<port>/api/v1/``.

        Raises:
            RuntimeError: The server has not started.

        .. versionchanged:: 0.3.0
           The platform's only: the LLM Engine has :attr:`llm_engine_url`.
        """
        return self._root() + PLATFORM_PATH.lstrip("/")

    @property
    def llm_engine_url(self) -> str:
        """The LLM Engine's root URL, ``http://127.0.0.1:<port>/`` (it serves ``v1/``, ``v2/``).

        .. versionadded:: 0.3.0
        """
        return self._root()

    @property
    def openai_base_url(self) -> str:
        """The OpenAI-compatible server's base URL, ``http://127.0.0.1:<port>/openai/v1/``.

        .. versionadded:: 0.3.0
        """
        return self._root() + OPENAI_PATH.lstrip("/")

    @property
    def profile(self) -> Profile:
        """What the server answers like.

        .. versionadded:: 0.3.0
        """
        return self._context.profile

    def client_kwargs(self) -> ClientKwargs:
        """The client arguments that point at this server's three services, keys included.

        ``Client(**server.client_kwargs())`` / ``AsyncClient(**server.client_kwargs())``.

        .. versionadded:: 0.3.0
        """
        return {
            "base_url": self.url,
            "api_key": self.api_key,
            "llm_engine_url": self.llm_engine_url,
            "openai_base_url": self.openai_base_url,
        }

    def client_env(self) -> dict[str, str]:
        """The environment variables that point a client made with no arguments here.

        For a subprocess or a command line under test:
        ``subprocess.run([...], env={**os.environ, **server.client_env()})``.

        .. versionadded:: 0.3.0
        """
        return {
            "SMARTER_BASE_URL": self.url,
            "SMARTER_API_KEY": self.api_key,
            "LLM_ENGINE_BASE_PATH": self.llm_engine_url,
            "SMARTER_OPENAI_BASE_URL": self.openai_base_url,
        }

    @property
    def api_key(self) -> str:
        """The API key clients must send."""
        return self._context.api_key

    @property
    def state(self) -> ServerState:
        """The stored objects.

        ``files``, ``jobs``, ``endpoints``, ``chatbots`` (the LLM clients), ``sessions``,
        ``manifests`` (the platform's other kinds).
        """
        return self._context.state

    def advance(self, seconds: float) -> None:
        """Move every job and deployment *seconds* on, as if that much time had passed.

        With a long ``job_step`` nothing moves on its own, and a test steps each job through
        its states: ``server.advance(job_step)`` once per state. Thread-safe.

        .. versionadded:: 0.3.0
        """
        self._context.state.advance(seconds)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        return self._context.log.snapshot()

    def requests_to(self, method: str, route: str) -> list[RecordedRequest]:
        """The recorded requests that match ``method`` and ``route``, as :meth:`inject` does.

        Args:
            method: Upper-case method, or ``"*"`` for any.
            route: An fnmatch pattern over the path relative to its service's base URL.

        Returns:
            The matching requests, in arrival order.
        """
        return [
            entry
            for entry in self.requests
            if route_matches(method, route, entry.method, entry.path)
        ]

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._context.log.clear()

    def inject(self, method: str, route: str, *faults: Fault) -> None:
        """Queue faults for the requests that will match ``method`` and ``route``.

        Each matching request takes the next fault, in order. Thread-safe.

        Args:
            method: Upper-case method, or ``"*"`` for any.
            route: An fnmatch pattern over the path relative to its service's base URL,
                without query (``"cli/whoami/"``, ``"v1/files/*"``,
                ``"v1/llm/completions-stream"``, ``"chat/completions"``).
            *faults: The faults.
        """
        self._context.faults.add(method, route, faults)

    def rate_limit(
        self, requests: int | None, per: float = 1.0, *, retry_after: bool = True, route: str = "*"
    ) -> None:
        """Answer 429 past *requests* requests per window of *per* seconds; None: no limit.

        The 429 carries ``Retry-After`` and ``retry-after-ms`` (the time left in the window)
        unless *retry_after* is False (LLM Engine's own 429 has neither). *route* is an
        fnmatch pattern of the paths limited, as :meth:`inject` takes. Thread-safe.

        .. versionadded:: 0.3.0
        """
        rate = None if requests is None else RateLimit(requests, per, retry_after, route)
        self.limits.set_rate(rate)

    @property
    def limits(self) -> Limits:
        """The limits (``set_concurrency(n)``) and counts (``peak_in_flight``, ``rejected``).

        .. versionadded:: 0.3.0
        """
        limits = self._context.limits
        assert limits is not None
        return limits

    def pending_faults(self) -> int:
        """The number of injected faults not consumed yet."""
        return len(self._context.faults)

    @property
    def open_connections(self) -> int:
        """The TCP connections open to the server right now.

        Read from aiohttp's low-level ``web.Server``, which registers each accepted
        connection in ``connection_made`` and forgets it in ``connection_lost`` once its
        handler has finished: a connection the client closed leaves the count a moment
        later, after the loop has seen the close.
        """
        runner = self._runner
        if runner is None or runner.server is None:
            return 0
        return len(runner.server.connections)

    def __repr__(self) -> str:
        where = self._url or "not running"
        return f"<ReferenceServer {where}>"


class _LoopThread:
    """A private event loop running in a daemon thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=_THREAD_NAME, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """Run a coroutine on the thread's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def close(self) -> None:
        """Stop the loop, close it, and join the thread."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


async def _serve(host: str, port: int, kwargs: dict[str, Any]) -> None:
    server = ReferenceServer(host=host, port=port, **kwargs)
    await server.start()
    print(f"Smarter reference server on {server.url} (api key: {server.api_key})", flush=True)
    print(f"profile {server.profile.name}; a client made with no arguments is pointed here by:")
    for name, value in server.client_env().items():
        print(f"  export {name}={value}", flush=True)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stopped.set)
        except (NotImplementedError, RuntimeError, ValueError):
            continue  # Windows, or not the main thread: Ctrl-C raises KeyboardInterrupt.
        handled.append(signum)
    try:
        await stopped.wait()
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
        await server.stop()


def serve(host: str = "127.0.0.1", port: int = 8083, **kwargs: Any) -> None:
    """Run a reference server in the foreground until SIGINT or SIGTERM.

    Prints ``Smarter reference server on <url> (api key: <key>)`` once it listens, then
    its profile and the ``export`` lines of :meth:`ReferenceServer.client_env`. Uses uvloop
    when it is installed.

    Args:
        host: The interface to listen on.
        port: The port.
        **kwargs: Other keyword arguments of :class:`ReferenceServer`.

    .. versionadded:: 0.2.0
    """
    loop = _loop_factory()()
    try:
        loop.run_until_complete(_serve(host, port, kwargs))
    except KeyboardInterrupt:
        pass
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
