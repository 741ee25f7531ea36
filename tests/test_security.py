"""Security: the key stays secret, TLS is verified, paths and headers cannot be bent.

API.md: "The API key and the Authorization header never appear in a log line, a repr, or
an exception message." PROTOCOL.md: ids are one percent-encoded path segment. Plus what a
careful HTTP client owes its user: credentials are not forwarded to another origin on a
redirect, certificates are verified unless the caller opts out, a header value cannot
split a request, and a configured proxy is really used.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import io
import json
import logging
import ssl
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from helpers import collect, run

import smarter
from smarter import _retry
from smarter.testing import Fault, ReferenceServer

AnyClient = smarter.AsyncClient | smarter.Client

SCHEMES = ["token", "bearer", "basic"]


def _secrets(key: str) -> list[str]:
    """Every form of the key a leak could take: raw, and Basic's base64 credential."""
    basic = base64.b64encode(f"{key}:".encode()).decode()
    return [key, basic, basic.rstrip("=")]


def _authorization(scheme: str, key: str) -> str:
    if scheme == "basic":
        return "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    return f"{scheme.title()} {key}"


def _leaks(text: str, key: str) -> list[str]:
    return [secret for secret in _secrets(key) if secret in text]


def _describe(exc: BaseException) -> str:
    """Everything a log or a crash report shows of an exception: str, repr, args, chain."""
    return "\n".join(
        [str(exc), repr(exc), repr(exc.args), "".join(traceback.format_exception(exc))]
    )


async def _close(client: AnyClient) -> None:
    """Close a client before the background server it talks to goes away."""
    await run(client.close() if isinstance(client, smarter.Client) else client.aclose())


class _Background:
    """An aiohttp.web app or low-level server on its own loop in a thread (for both clients).

    Takes a factory, called on that loop: a ``web.Server`` binds to the loop it is made on.
    """

    def __init__(
        self, factory: Callable[[], web.Application | web.Server], ssl_context: Any = None
    ) -> None:
        self._factory = factory
        self._ssl = ssl_context
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.BaseRunner[Any] | None = None
        self.port = 0

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    async def _start(self) -> None:
        handler = self._factory()
        runner: web.BaseRunner[Any] = (
            web.AppRunner(handler, access_log=None)
            if isinstance(handler, web.Application)
            else web.ServerRunner(handler, access_log=None)
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self._ssl)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def __enter__(self) -> _Background:
        self._thread.start()
        self._call(self._start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._call(self._stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()


@contextlib.contextmanager
def _smarter_log() -> Iterator[list[str]]:
    """The `smarter` logger at DEBUG, its formatted lines collected."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    logger = logging.getLogger("smarter")
    handler = Collect(logging.DEBUG)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


async def _everything(client: AnyClient, server: ReferenceServer) -> list[Any]:
    """A tour that logs, retries, fails and streams; what it returned and raised."""
    seen: list[Any] = [client, repr(client), client.with_options(max_retries=1)]

    async def step(call: Callable[[], Any]) -> None:
        try:
            seen.append(await run(call()))
        except smarter.SmarterError as exc:  # a platform behind no gateway refuses Bearer
            seen.append(exc)

    server.inject("*", "cli/whoami/", Fault.error(503, retry_after_ms="1"))
    await step(client.whoami)
    await step(lambda: client.files.create(file=io.BytesIO(b"data")))
    await step(lambda: client.files.list(limit=1))
    server.inject("POST", "v1/llm/completions-stream", Fault(cut_after=2, slow_body=0.01))
    stream = client.completions.stream(model="example-model", prompt="x", max_new_tokens=4)
    seen.append(stream)
    await step(lambda: collect(stream))  # cut short: IncompleteStreamError
    server.inject("*", "cli/whoami/", *[Fault.slow(2.0)] * 3)
    await step(lambda: client.files.get("missing"))
    await step(lambda: client.whoami(timeout=0.2))
    return seen


def _shown(objects: list[Any]) -> str:
    parts = []
    for obj in objects:
        parts.append(repr(obj))
        if isinstance(obj, BaseException):
            parts.append(_describe(obj))
        if hasattr(obj, "to_json"):
            parts.append(obj.to_json())
            parts.append(repr(obj.to_dict()))
    return "\n".join(parts)


class TestTheKeyStaysSecret:
    @pytest.mark.parametrize("scheme", SCHEMES)
    async def test_not_in_debug_logs_reprs_errors_or_to_dict(
        self, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer, scheme: str
    ) -> None:
        """Debug logs, reprs, errors and result dicts of a whole tour never show the key."""
        client = make_client(kind, auth_scheme=scheme)
        with _smarter_log() as lines:
            seen = await _everything(client, server)

        assert any("<redacted>" in line for line in lines)  # the headers were logged
        assert _leaks("\n".join(lines), server.api_key) == []
        assert _leaks(_shown(seen), server.api_key) == []

    @pytest.mark.parametrize(
        "scheme",
        [
            "token",
            "bearer",
            "basic",
        ],
    )
    @pytest.mark.parametrize("where", ["json-error", "html-page", "in-stream-error"])
    async def test_echoed_authorization_is_redacted(
        self,
        kind: str,
        make_client: Callable[..., AnyClient],
        server: ReferenceServer,
        scheme: str,
        where: str,
    ) -> None:
        """A server echoing the Authorization header into its error: the message hides it."""
        client = make_client(kind, auth_scheme=scheme, max_retries=0)
        echo = f"you sent Authorization: {_authorization(scheme, server.api_key)}"
        if where == "json-error":
            server.inject("*", "cli/whoami/", Fault.error(400, body={"error": echo}))
            call = client.whoami
        elif where == "html-page":
            page = f"<html><body>{echo}</body></html>"
            server.inject("*", "cli/whoami/", Fault.error(502, body=page, content_type="text/html"))
            call = client.whoami
        else:
            server.inject("POST", "v1/llm/completions-stream", Fault.stream_error(1, 400, echo))

            def call() -> Any:
                return collect(
                    client.completions.stream(model="example-model", prompt="x", max_new_tokens=4)
                )

        with _smarter_log() as lines, pytest.raises(smarter.APIStatusError) as caught:
            await run(call())

        assert "you sent Authorization" in str(caught.value)
        assert _leaks(_describe(caught.value) + "\n".join(lines), server.api_key) == []

    @pytest.mark.parametrize("where", ["chat-error-event", "invalid-field", "invalid-event"])
    async def test_echoed_key_in_other_errors_is_redacted(
        self, client: AnyClient, server: ReferenceServer, where: str
    ) -> None:
        """Errors that quote what the server sent (not only status errors) hide the key."""
        echo = f"Token {server.api_key}"
        stream = "text/event-stream"
        if where == "chat-error-event":
            error = {"error": {"message": echo, "type": "x", "code": "not-a-status"}}
            body = f"data: {json.dumps(error)}\n\n"
            server.inject(
                "POST", "chat/completions", Fault(status=200, body=body, content_type=stream)
            )
        elif where == "invalid-event":
            body = f"data: {{{echo}\n\n"
            server.inject(
                "POST", "chat/completions", Fault(status=200, body=body, content_type=stream)
            )
        else:
            server.inject("*", "cli/whoami/", Fault(status=200, body={"data": {"user": echo}}))

        def call() -> Any:
            # A sync client runs the call when it is made, so it is made inside the raises.
            if where == "invalid-field":
                return client.whoami()
            return collect(
                client.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": "x"}], stream=True
                )
            )

        with pytest.raises(smarter.APIError) as caught:
            await run(call())

        assert "<redacted>" in str(caught.value)
        assert _leaks(_describe(caught.value), server.api_key) == []


def _redirecting_app(target: Callable[[], str], seen: list[dict[str, str]]) -> web.Application:
    async def redirect(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        raise web.HTTPTemporaryRedirect(target())

    async def same_origin(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.json_response({"detail": "not here"}, status=404)

    app = web.Application()
    app.router.add_post("/api/v1/cli/whoami/", redirect)
    app.router.add_post("/same/api/v1/cli/whoami/", same_origin)
    return app


class TestRedirects:
    @pytest.mark.parametrize("host", ["localhost", "127.0.0.1"], ids=["other-host", "other-port"])
    async def test_authorization_is_dropped_for_another_origin(
        self, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer, host: str
    ) -> None:
        """A 307 to another host or port: the second server gets no Authorization at all."""
        seen: list[dict[str, str]] = []
        port = server.url.split(":")[2].split("/")[0]
        target = f"http://{host}:{port}/api/v1/cli/whoami/"
        with _Background(lambda: _redirecting_app(lambda: target, seen)) as first:
            client = make_client(
                kind, base_url=f"http://127.0.0.1:{first.port}/api/v1/", max_retries=0
            )
            with pytest.raises(smarter.AuthenticationError):
                await run(client.whoami())
            await _close(client)

        (followed,) = server.requests
        assert seen[0]["Authorization"] == f"Token {server.api_key}"
        assert "Authorization" not in followed.headers
        assert followed.headers["X-Smarter-RequestId"] == seen[0]["X-Smarter-RequestId"]

    async def test_credentials_of_a_location_are_never_shown(
        self, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """A Location with a user, a password and a fragment: the answer's URL shows neither."""
        port = server.url.split(":")[2].split("/")[0]
        target = f"http://user:s3cret@localhost:{port}/api/v1/cli/whoami/#frag"
        with _Background(lambda: _redirecting_app(lambda: target, [])) as first:
            client = make_client(
                kind, base_url=f"http://127.0.0.1:{first.port}/api/v1/", max_retries=0
            )
            with pytest.raises(smarter.AuthenticationError) as caught:
                await run(client.whoami())
            await _close(client)

        assert caught.value.response.url == f"http://localhost:{port}/api/v1/cli/whoami/"
        assert "s3cret" not in str(caught.value)

    async def test_authorization_is_kept_for_the_same_origin(
        self, kind: str, make_client: Callable[..., AnyClient]
    ) -> None:
        """A 307 within the same origin keeps the header (the rule above is not blanket)."""
        seen: list[dict[str, str]] = []
        holder: dict[str, int] = {}
        with _Background(
            lambda: _redirecting_app(
                lambda: f"http://127.0.0.1:{holder['port']}/same/api/v1/cli/whoami/", seen
            )
        ) as first:
            holder["port"] = first.port
            client = make_client(
                kind, base_url=f"http://127.0.0.1:{first.port}/api/v1/", api_key="sk-same"
            )
            with pytest.raises(smarter.NotFoundError):
                await run(client.whoami())
            await _close(client)

        assert [h.get("Authorization") for h in seen] == ["Token sk-same"] * 2


@pytest.fixture(scope="module")
def tls() -> tuple[Any, ssl.SSLContext]:
    """A trustme CA and a server context with a certificate for 127.0.0.1 it signed."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    return ca, server_context


def _tls_app(hits: list[str]) -> web.Application:
    async def get_file(request: web.Request) -> web.Response:
        hits.append(request.match_info["file_id"])
        return web.json_response({"id": request.match_info["file_id"], "filename": "f", "size": 1})

    app = web.Application()
    app.router.add_get("/v1/files/{file_id}", get_file)
    return app


class TestTLS:
    async def test_https_to_a_plain_http_server_says_so(
        self, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """https:// against a plain-HTTP server: the error says to use http://, not retried."""
        url = server.llm_engine_url.replace("http://", "https://")
        client = make_client(kind, llm_engine_url=url)

        with pytest.raises(smarter.APIConnectionError) as caught:
            await run(client.files.list())

        assert "use http:// in llm_engine_url (or LLM_ENGINE_BASE_PATH)" in str(caught.value)
        assert (_retry.testing_delays(), server.requests) == ([], [])

    async def test_self_signed_server_is_refused_by_default_and_not_retried(
        self, kind: str, make_client: Callable[..., AnyClient], tls: tuple[Any, ssl.SSLContext]
    ) -> None:
        """Without an ssl context, an unknown CA fails at once: not retried, nothing sent."""
        hits: list[str] = []
        with _Background(lambda: _tls_app(hits), tls[1]) as site:
            client = make_client(kind, llm_engine_url=f"https://127.0.0.1:{site.port}/")
            start = time.monotonic()
            with pytest.raises(smarter.APIConnectionError) as caught:
                await run(client.files.get("file-1"))
            elapsed = time.monotonic() - start
            await _close(client)

        assert type(caught.value) is smarter.APIConnectionError
        assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorCertificateError)
        assert "certificate" in str(caught.value).lower()
        assert not _retry.should_retry(caught.value)
        assert (_retry.testing_delays(), hits) == ([], [])
        assert elapsed < 2.0

    async def test_works_with_the_ca_in_an_ssl_context(
        self, kind: str, make_client: Callable[..., AnyClient], tls: tuple[Any, ssl.SSLContext]
    ) -> None:
        """With ssl= a context trusting the CA, the same server answers."""
        context = ssl.create_default_context()
        tls[0].configure_trust(context)
        hits: list[str] = []
        with _Background(lambda: _tls_app(hits), tls[1]) as site:
            client = make_client(
                kind, llm_engine_url=f"https://127.0.0.1:{site.port}/", ssl=context
            )
            got = await run(client.files.get("file-1"))
            await _close(client)

        assert (got.id, hits) == ("file-1", ["file-1"])

    def test_dropped_client_closes_its_tls_sockets(self, tls: tuple[Any, ssl.SSLContext]) -> None:
        """A blocking client over TLS dropped unclosed shuts its sockets: no unclosed transport."""
        context = ssl.create_default_context()
        tls[0].configure_trust(context)
        hits: list[str] = []
        unraisable: list[Any] = []
        with _Background(lambda: _tls_app(hits), tls[1]) as site:
            client = smarter.Client(
                llm_engine_url=f"https://127.0.0.1:{site.port}/", api_key="k", ssl=context
            )
            client.files.get("file-1")
            (thread,) = [t for t in threading.enumerate() if t.name.startswith("smarter-loop-")]
            hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    del client
                    thread.join(5)
                    gc.collect()  # what the loop left unclosed warns as it is collected
            finally:
                sys.unraisablehook = hook

        unclosed = [w for w in caught if issubclass(w.category, ResourceWarning)]
        assert (hits, thread.is_alive(), unclosed, unraisable) == (["file-1"], False, [], [])

    async def test_hostname_is_checked(
        self, kind: str, make_client: Callable[..., AnyClient], tls: tuple[Any, ssl.SSLContext]
    ) -> None:
        """A trusted CA is not enough: the certificate must name the host."""
        context = ssl.create_default_context()
        tls[0].configure_trust(context)
        wrong = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls[0].issue_cert("api.example.com").configure_cert(wrong)
        hits: list[str] = []
        with _Background(lambda: _tls_app(hits), wrong) as site:
            client = make_client(
                kind, llm_engine_url=f"https://127.0.0.1:{site.port}/", ssl=context
            )
            with pytest.raises(smarter.APIConnectionError) as caught:
                await run(client.files.get("file-1"))
            await _close(client)

        assert not _retry.should_retry(caught.value)
        assert hits == []


NASTY_IDS = {
    "../x": "..%2Fx",
    "a/b": "a%2Fb",
    "..": "%2E%2E",
    ".": "%2E",
    "x/../../cli/whoami/": "x%2F..%2F..%2Fcli%2Fwhoami%2F",
    "a?b=1": "a%3Fb%3D1",
    "a#b": "a%23b",
    "%2e%2e%2fx": "%252e%252e%252fx",
    "a b\u00e9": "a%20b%C3%A9",
}

ID_METHODS: dict[str, tuple[str, str, str, Callable[[Any, str], Any]]] = {
    "files.get": ("GET", "v1/files/", "", lambda c, i: c.files.get(i)),
    "files.content": ("GET", "v1/files/", "/content", lambda c, i: c.files.content(i)),
    "files.delete": ("DELETE", "v1/files/", "", lambda c, i: c.files.delete(i)),
    "jobs.get": ("GET", "v1/llm/fine-tunes/", "", lambda c, i: c.fine_tuning.jobs.get(i)),
    "jobs.cancel": (
        "PUT",
        "v1/llm/fine-tunes/",
        "/cancel",
        lambda c, i: c.fine_tuning.jobs.cancel(i),
    ),
    "jobs.events": (
        "GET",
        "v1/llm/fine-tunes/",
        "/events",
        lambda c, i: c.fine_tuning.jobs.events(i),
    ),
    "models.get": ("GET", "v1/llm/model-endpoints/", "", lambda c, i: c.models.get(i)),
    "models.delete": ("DELETE", "v1/llm/model-endpoints/", "", lambda c, i: c.models.delete(i)),
}


class TestPaths:
    @pytest.mark.parametrize("method_name", list(ID_METHODS))
    @pytest.mark.parametrize("nasty", list(NASTY_IDS))
    async def test_an_id_never_reaches_another_route(
        self, client: AnyClient, server: ReferenceServer, method_name: str, nasty: str
    ) -> None:
        """Every id-taking method sends the id as one encoded segment of its own route."""
        method, prefix, suffix, call = ID_METHODS[method_name]

        with pytest.raises(smarter.NotFoundError):
            await run(call(client, nasty))

        (sent,) = server.requests
        assert (sent.method, sent.path) == (method, prefix + NASTY_IDS[nasty] + suffix)
        assert dict(sent.query) == {}


BAD_VALUES = ["a\r\nX-Injected: 1", "a\nX-Injected: 1", "a\rX-Injected: 1", "a\0b"]


def _surface_calls(headers: dict[str, str]) -> dict[str, Callable[[AnyClient], Any]]:
    return {
        "json": lambda c: c.whoami(extra_headers=headers),
        "stream": lambda c: collect(
            c.completions.stream(model="example-model", prompt="x", extra_headers=headers)
        ),
        "upload": lambda c: c.files.create(file=b"x", extra_headers=headers),
        "list": lambda c: c.files.list(extra_headers=headers),
    }


class TestHeaderInjection:
    @pytest.mark.parametrize("value", BAD_VALUES, ids=["crlf", "lf", "cr", "nul"])
    @pytest.mark.parametrize("surface", ["json", "stream", "upload", "list"])
    async def test_bad_header_value_is_refused_before_sending(
        self, client: AnyClient, server: ReferenceServer, value: str, surface: str
    ) -> None:
        """A per-call header value with CR, LF or NUL: ValueError, and nothing is sent."""
        call = _surface_calls({"X-Trace": value})[surface]

        with pytest.raises(ValueError, match="X-Trace") as caught:
            await run(await run(call(client)))

        assert value not in str(caught.value)  # a header value may be a secret
        assert server.requests == []

    @pytest.mark.parametrize("name", ["X-A\r\nX-Injected", "X-A\nB", "X-A: 1", "X-A\0"])
    async def test_bad_header_name_is_refused_before_sending(
        self, client: AnyClient, server: ReferenceServer, name: str
    ) -> None:
        """A header name that could end the header line is refused, nothing sent."""
        with pytest.raises(ValueError, match="header name"):
            await run(client.whoami(extra_headers={name: "1"}))

        assert server.requests == []

    @pytest.mark.parametrize("value", BAD_VALUES, ids=["crlf", "lf", "cr", "nul"])
    def test_constructor_refuses_bad_values(self, kind: str, value: str) -> None:
        """default_headers and api_key with CR, LF or NUL are refused when the client is made."""
        cls = smarter.AsyncClient if kind == "async" else smarter.Client
        with pytest.raises(ValueError, match="X-Trace"):
            cls(api_key="k", default_headers={"X-Trace": value})
        with pytest.raises(ValueError, match="api_key") as caught:
            cls(api_key=value)

        assert value not in str(caught.value)

    async def test_query_values_cannot_split_the_request(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """CR/LF in a query value (or a model name) is percent-encoded, never a new header."""
        evil = "a\r\nX-Injected: 1\r\n\r\nGET /x HTTP/1.1"

        with pytest.raises(smarter.NotFoundError):
            await run(client.completions.create(model=evil, prompt="x", extra_query={"q": evil}))

        (sent,) = server.requests
        assert (sent.query["model_endpoint_name"], sent.query["q"]) == (evil, evil)
        assert "X-Injected" not in sent.headers


def _forward_proxy(log: list[tuple[str, str, bool]]) -> web.Server:
    """A plain HTTP forward proxy: takes absolute-form requests, forwards them, logs them."""
    hop = {"host", "proxy-connection", "connection", "keep-alive", "content-length",
           "transfer-encoding"}  # fmt: skip

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        log.append((request.method, request.raw_path, "Authorization" in request.headers))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in hop}
        body = await request.read()
        async with (
            aiohttp.ClientSession(auto_decompress=False) as session,
            session.request(
                request.method, request.raw_path, headers=headers, data=body or None,
                allow_redirects=False,
            ) as upstream,
        ):  # fmt: skip
            answer = web.StreamResponse(
                status=upstream.status,
                headers={k: v for k, v in upstream.headers.items() if k.lower() not in hop},
            )
            await answer.prepare(request)
            async for data in upstream.content.iter_any():
                await answer.write(data)
            await answer.write_eof()
            return answer

    return web.Server(handle)


class TestProxy:
    @pytest.mark.parametrize("how", ["argument", "environment"])
    async def test_requests_go_through_the_proxy(
        self,
        kind: str,
        make_client: Callable[..., AnyClient],
        server: ReferenceServer,
        monkeypatch: pytest.MonkeyPatch,
        how: str,
    ) -> None:
        """proxy= (or HTTP_PROXY) routes every call through the proxy, absolute-form."""
        log: list[tuple[str, str, bool]] = []
        with _Background(lambda: _forward_proxy(log)) as proxy:
            proxy_url = f"http://127.0.0.1:{proxy.port}"
            for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
                monkeypatch.delenv(name, raising=False)
            if how == "environment":
                monkeypatch.setenv("HTTP_PROXY", proxy_url)
                client = make_client(kind)
            else:
                client = make_client(kind, proxy=proxy_url)
            who = await run(client.whoami())
            chunks = await collect(
                client.completions.stream(model="example-model", prompt="x", max_new_tokens=3)
            )
            uploaded = await run(client.files.create(file=b"through the proxy"))
            await _close(client)

        assert (who.environment, len(chunks), server.state.files[uploaded.id].size) == (
            "reference",
            3,
            17,
        )
        assert [(m, p.split("?")[0]) for m, p, _ in log] == [
            ("POST", server.url + "cli/whoami/"),
            ("POST", server.llm_engine_url + "v1/llm/completions-stream"),
            ("POST", server.llm_engine_url + "v1/files"),
        ]
        assert all(auth for _, _, auth in log)
        assert len(server.requests) == 3
