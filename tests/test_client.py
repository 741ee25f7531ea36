"""The client's options, request headers, URLs and lifecycle, against the reference server."""

from __future__ import annotations

import base64
import platform
import uuid
from collections.abc import Callable

import pytest
import yarl
from helpers import run, settle

import smarter
from smarter.testing import Fault, ReferenceServer

AnyClient = smarter.AsyncClient | smarter.Client


class TestConstruction:
    def test_api_key_from_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without api_key the client takes SMARTER_API_KEY."""
        monkeypatch.setenv("SMARTER_API_KEY", "sk-from-env")

        client = smarter.AsyncClient()

        assert client.api_key == "sk-from-env"

    def test_missing_api_key_names_the_variable(
        self, monkeypatch: pytest.MonkeyPatch, server: ReferenceServer
    ) -> None:
        """No key anywhere: the first platform call says which variable to set, unsent."""
        monkeypatch.delenv("SMARTER_API_KEY", raising=False)

        with (
            smarter.Client(base_url=server.url) as client,
            pytest.raises(smarter.SmarterError, match="SMARTER_API_KEY"),
        ):
            client.whoami()

        assert server.requests == []

    def test_base_url_default_and_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The base URL is the platform's unless SMARTER_BASE_URL says otherwise."""
        monkeypatch.delenv("SMARTER_BASE_URL", raising=False)
        default = smarter.AsyncClient(api_key="k").base_url
        monkeypatch.setenv("SMARTER_BASE_URL", "http://localhost:9357/api/v1")

        from_env = smarter.AsyncClient(api_key="k").base_url

        assert (str(default), str(from_env)) == (
            "https://platform.smarter.sh/api/v1/",
            "http://localhost:9357/api/v1/",
        )

    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("http://h:8083/v1", "http://h:8083/v1/"),
            ("http://h:8083/v1/", "http://h:8083/v1/"),
            (yarl.URL("https://h"), "https://h/"),
        ],
    )
    def test_base_url_ends_in_slash(self, given: str | yarl.URL, expected: str) -> None:
        """The base URL is normalised once to end in '/'."""
        assert str(smarter.AsyncClient(api_key="k", base_url=given).base_url) == expected

    @pytest.mark.parametrize("bad", ["ftp://h/", "/relative/", "http://h/v1?x=1"])
    def test_bad_base_url_is_named(self, bad: str) -> None:
        """A base URL that cannot work is refused at once, and quoted."""
        with pytest.raises(ValueError, match="base_url"):
            smarter.AsyncClient(api_key="k", base_url=bad)

    def test_max_retries_none_is_a_type_error(self) -> None:
        """max_retries=None is refused with a message explaining 0."""
        with pytest.raises(TypeError, match="pass 0"):
            smarter.Client(api_key="k", max_retries=None)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            (20, smarter.Timeout(20.0)),
            (None, smarter.Timeout(None)),
            (smarter.Timeout(60, read=5, connect=2), smarter.Timeout(60.0, read=5.0, connect=2.0)),
        ],
    )
    def test_timeout_forms(self, given: float | smarter.Timeout | None, expected: object) -> None:
        """A float, a Timeout or None becomes a Timeout."""
        assert smarter.AsyncClient(api_key="k", timeout=given).timeout == expected

    def test_default_timeout(self) -> None:
        """The default is 600 s for a call and 5 s to connect."""
        assert smarter.AsyncClient(api_key="k").timeout == smarter.Timeout(600.0, connect=5.0)

    @pytest.mark.parametrize("bad", [-1, 0, float("nan"), "10"])
    def test_bad_timeout(self, bad: object) -> None:
        """Negative, zero, NaN or non-numeric timeouts are refused."""
        with pytest.raises((TypeError, ValueError), match=r"[Tt]imeout"):
            smarter.AsyncClient(api_key="k", timeout=bad)  # type: ignore[arg-type]

    def test_bad_auth_scheme(self) -> None:
        """An unknown auth scheme is refused, naming the choices."""
        with pytest.raises(ValueError, match="token"):
            smarter.AsyncClient(api_key="k", auth_scheme="digest")  # type: ignore[arg-type]

    def test_header_with_newline_is_refused(self) -> None:
        """A default header value with CR/LF could split a request: refused at once."""
        with pytest.raises(ValueError, match="X-Test"):
            smarter.AsyncClient(api_key="k", default_headers={"X-Test": "a\r\nEvil: 1"})

    def test_repr_hides_the_key(self) -> None:
        """Neither client's repr shows the API key."""
        key = "sk-secret-" + uuid.uuid4().hex
        with smarter.Client(api_key=key) as sync:
            shown = repr(sync) + repr(smarter.AsyncClient(api_key=key)) + repr(sync.files)

        assert key not in shown

    def test_aliases(self) -> None:
        """The names of the original README still work."""
        assert (smarter.Smarter, smarter.AsyncSmarter) == (smarter.Client, smarter.AsyncClient)


class TestHeaders:
    async def test_every_request_header(self, client: AnyClient, server: ReferenceServer) -> None:
        """A call carries the auth, client, request id, retry count and accept headers."""
        await run(client.whoami())

        headers = server.requests[-1].headers
        assert {
            "Authorization": headers["Authorization"],
            "User-Agent": headers["User-Agent"],
            "X-Smarter-Client": headers["X-Smarter-Client"],
            "X-Smarter-ClientVersion": headers["X-Smarter-ClientVersion"],
            "X-Smarter-Retry-Count": headers["X-Smarter-Retry-Count"],
            "Accept": headers["Accept"],
        } == {
            "Authorization": f"Token {server.api_key}",
            "User-Agent": (
                f"smarter-python/{smarter.__version__} (Python {platform.python_version()}; "
                f"{platform.system()}; {platform.machine()})"
            ),
            "X-Smarter-Client": "smarter-python",
            "X-Smarter-ClientVersion": smarter.__version__,
            "X-Smarter-Retry-Count": "0",
            "Accept": "application/json",
        }
        assert uuid.UUID(headers["X-Smarter-RequestId"])

    @pytest.mark.parametrize(
        ("scheme", "prefix"), [("bearer", "Bearer "), ("basic", "Basic "), ("token", "Token ")]
    )
    async def test_auth_schemes(
        self,
        scheme: str,
        prefix: str,
        kind: str,
        make_client: Callable[..., AnyClient],
        server: ReferenceServer,
    ) -> None:
        """Each platform auth scheme sends its Authorization form; the platform reads Token.

        Bearer and Basic are for a gateway in front of the platform: the platform itself
        refuses them (smarter-sh/smarter@v0.14.19:smarter/smarter/lib/drf/token_authentication.py).
        """
        client = make_client(kind, auth_scheme=scheme)

        try:
            await run(client.whoami())
            error: smarter.SmarterError | None = None
        except smarter.SmarterError as exc:
            error = exc

        sent = server.requests[-1].headers["Authorization"]
        key = server.api_key
        expected = base64.b64encode(f"{key}:".encode()).decode() if scheme == "basic" else key
        assert sent == prefix + expected
        if scheme == "token":
            assert error is None
        else:
            assert isinstance(error, smarter.AuthenticationError), error

    async def test_idempotency_key_on_non_get_only(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """POST and DELETE carry an Idempotency-Key, GET does not."""
        uploaded = await run(client.files.create(file=b"x"))
        await run(client.files.get(uploaded.id))
        await run(client.files.delete(uploaded.id))

        keys = [r.headers.get("Idempotency-Key") for r in server.requests]
        assert [key is not None for key in keys] == [True, False, True]
        assert len({keys[0], keys[2]}) == 2

    async def test_idempotency_key_is_the_request_id(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """One UUID names a call: its Idempotency-Key is its X-Smarter-RequestId."""
        await run(client.completions.create(model="example-model", prompt="hi"))

        headers = server.requests[-1].headers
        assert uuid.UUID(headers["Idempotency-Key"]).version == 4
        assert headers["Idempotency-Key"] == headers["X-Smarter-RequestId"]

    async def test_callers_idempotency_key_wins(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """An Idempotency-Key in extra_headers replaces the client's own."""
        await run(client.files.create(file=b"x", extra_headers={"Idempotency-Key": "mine"}))

        assert server.requests[-1].headers["Idempotency-Key"] == "mine"

    async def test_request_id_and_key_stay_across_retries(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """Retries of one call share its request id and idempotency key; the count grows."""
        server.inject("POST", "v1/files", Fault.error(503), Fault.error(503))

        await run(client.with_options(retry_creates=True).files.create(file=b"x"))

        sent = [r.headers for r in server.requests_to("POST", "v1/files")]
        assert [h["X-Smarter-Retry-Count"] for h in sent] == ["0", "1", "2"]
        assert len({h["X-Smarter-RequestId"] for h in sent}) == 1
        assert len({h["Idempotency-Key"] for h in sent}) == 1

    async def test_each_call_gets_fresh_ids(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """Two calls never share a request id or an idempotency key."""
        await run(client.files.create(file=b"x"))
        await run(client.files.create(file=b"x"))

        first, second = (r.headers for r in server.requests)
        assert first["X-Smarter-RequestId"] != second["X-Smarter-RequestId"]
        assert first["Idempotency-Key"] != second["Idempotency-Key"]
        assert len(server.state.files) == 2

    async def test_default_and_extra_headers_and_query(
        self, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """default_headers/default_query go everywhere; extra_* per call, winning."""
        client = make_client(
            kind, default_headers={"X-Team": "a", "X-Keep": "1"}, default_query={"trace": "on"}
        )

        await run(
            client.models.get(
                "example-model", extra_headers={"X-Team": "b"}, extra_query={"q": "1"}
            )
        )

        sent = server.requests[-1]
        assert (sent.headers["X-Team"], sent.headers["X-Keep"]) == ("b", "1")
        assert (sent.query["trace"], sent.query["q"]) == ("on", "1")

    async def test_extra_header_with_newline_is_refused(self, client: AnyClient) -> None:
        """A per-call header that could split the request is refused before sending."""
        with pytest.raises(ValueError, match="X-Bad"):
            await run(client.whoami(extra_headers={"X-Bad": "1\nHost: evil"}))

    async def test_extra_body(self, client: AnyClient, server: ReferenceServer) -> None:
        """extra_body adds fields to the JSON body."""
        await run(
            client.completions.create(model="example-model", prompt="hi", extra_body={"x": 1})
        )

        assert b'"x":1' in server.requests[-1].body


class TestPaths:
    @pytest.mark.parametrize(
        ("file_id", "path"),
        [("../admin", "v1/files/..%2Fadmin"), ("a/b", "v1/files/a%2Fb"), ("..", "v1/files/%2E%2E")],
    )
    async def test_ids_stay_one_segment(
        self, client: AnyClient, server: ReferenceServer, file_id: str, path: str
    ) -> None:
        """An id with slashes or dots is percent-encoded and reaches no other route."""
        with pytest.raises(smarter.NotFoundError):
            await run(client.files.get(file_id))

        assert server.requests[-1].path == path

    async def test_base_url_path_is_kept(self, kind: str, server: ReferenceServer) -> None:
        """Paths are relative to the base URL's path, whether or not it ends in '/'."""
        with smarter.Client(api_key=server.api_key, base_url=server.url.rstrip("/")) as client:
            assert client.whoami().environment == "reference"

    @pytest.mark.parametrize("bad", ["", None])
    async def test_empty_id_is_refused(self, client: AnyClient, bad: object) -> None:
        """An empty or missing id is a clear error naming the argument."""
        with pytest.raises(ValueError, match="file_id"):
            await run(client.files.get(bad))  # type: ignore[arg-type]


class TestWithOptions:
    async def test_copy_overrides_and_shares_the_pool(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """with_options changes options of a copy that shares the connection pool."""
        copy = client.with_options(max_retries=5, timeout=3.0, default_headers={"X-Copy": "1"})

        await run(copy.whoami())

        inner = getattr(client, "_async", client)
        inner_copy = getattr(copy, "_async", copy)
        assert (copy.max_retries, copy.timeout, client.max_retries) == (
            5,
            smarter.Timeout(3.0),
            2,
        )
        assert inner_copy._transport is inner._transport
        assert server.requests[-1].headers["X-Copy"] == "1"

    async def test_copy_retries_per_its_options(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A copy with max_retries=0 gives up on the first failure; the original retries."""
        server.inject("POST", "cli/whoami/", Fault.error(503), Fault.error(503))

        with pytest.raises(smarter.InternalServerError):
            await run(client.with_options(max_retries=0).whoami())
        await run(client.whoami())

        assert len(server.requests) == 3

    async def test_closing_the_original_closes_copies(self, client: AnyClient) -> None:
        """Copies share the pool: once the original is closed, they refuse to send."""
        copy = client.with_options(timeout=5.0)
        await run(client.close() if isinstance(client, smarter.Client) else client.aclose())

        with pytest.raises(smarter.SmarterError, match="closed"):
            await run(copy.whoami())

    async def test_closing_a_copy_leaves_the_original_working(self, client: AnyClient) -> None:
        """A closed copy refuses to send; the original and its pool carry on."""
        copy = client.with_options(timeout=5.0)
        await run(copy.close() if isinstance(copy, smarter.Client) else copy.aclose())

        with pytest.raises(smarter.SmarterError, match="closed"):
            await run(copy.whoami())
        assert (await run(client.whoami())).environment == "reference"

    async def test_closing_the_last_copy_of_a_dropped_original_closes_the_pool(
        self, server: ReferenceServer, kind: str
    ) -> None:
        """``with Client().with_options(...) as c:`` closes the pool at the end of the block."""
        options = {**server.client_kwargs()}
        if kind == "async":
            async with smarter.AsyncClient(**options).with_options(timeout=5.0) as copy:
                await copy.whoami()
            transport = copy._transport
        else:
            with smarter.Client(**options).with_options(timeout=5.0) as sync_copy:
                sync_copy.whoami()
            transport = sync_copy._async._transport

        assert transport.closed
        assert await settle(lambda: server.open_connections, 0) == 0


class TestLifecycle:
    async def test_closed_client_refuses(self, client: AnyClient) -> None:
        """A closed client raises a SmarterError saying it is closed."""
        await run(client.whoami())
        await run(client.close() if isinstance(client, smarter.Client) else client.aclose())

        with pytest.raises(smarter.SmarterError, match="closed"):
            await run(client.whoami())
        assert client.is_closed

    async def test_close_is_idempotent(self, client: AnyClient) -> None:
        """Closing twice is fine."""
        for _ in range(2):
            await run(client.close() if isinstance(client, smarter.Client) else client.aclose())

        assert client.is_closed

    async def test_context_managers(self, server: ReferenceServer) -> None:
        """Both clients close at the end of their with block."""
        options = {**server.client_kwargs()}
        async with smarter.AsyncClient(**options) as aclient:
            await aclient.whoami()
        with smarter.Client(**options) as client:
            client.whoami()

        assert (aclient.is_closed, client.is_closed) == (True, True)

    async def test_async_client_is_bound_to_its_loop(self, server: ReferenceServer) -> None:
        """An AsyncClient used from a second event loop says so instead of misbehaving."""
        import asyncio
        import threading

        client = smarter.AsyncClient(**server.client_kwargs())
        await client.whoami()
        errors: list[BaseException] = []

        def other_loop() -> None:
            try:
                asyncio.run(client.whoami())
            except smarter.SmarterError as exc:
                errors.append(exc)

        thread = threading.Thread(target=other_loop)
        thread.start()
        thread.join()
        await client.aclose()

        assert "event loop" in str(errors[0])

    async def test_caller_owned_session_is_not_closed(self, server: ReferenceServer) -> None:
        """http_session is used as is and left open for its owner."""
        import aiohttp

        async with aiohttp.ClientSession() as session:
            async with smarter.AsyncClient(
                **server.client_kwargs(), http_session=session
            ) as client:
                await client.whoami()
            assert not session.closed

    async def test_session_factory(self, kind: str, make_client: Callable[..., AnyClient]) -> None:
        """session_factory makes the session, on the loop that will use it."""
        import aiohttp

        made: list[aiohttp.ClientSession] = []

        def factory() -> aiohttp.ClientSession:
            session = aiohttp.ClientSession(headers={"X-From-Factory": "yes"})
            made.append(session)
            return session

        client = make_client(kind, session_factory=factory)

        await run(client.whoami())
        await run(client.whoami())

        assert len(made) == 1
