"""API key checks per service, error shapes per route family, x-request-id and literal paths."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import pytest
from yarl import URL

from smarter.testing import ReferenceServer

from .conftest import CLI, OPENAI, ServerFactory, auth

NOT_AUTHENTICATED = "Smarter api v1 command-line interface error: authentication failed"


def basic(user: str, password: str = "") -> str:
    """An HTTP Basic authorization header."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def answer(url: str, header: str | None, method: str = "GET") -> tuple[int, Any, Any]:
    """Send one request with this Authorization header (or none); status, headers and JSON."""
    headers = {} if header is None else {"Authorization": header}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, headers=headers, json={}) as r,
    ):
        return r.status, r.headers.copy(), await r.json()


async def whoami(server: ReferenceServer, header: str | None) -> tuple[int, Any]:
    """Ask the platform's whoami with this Authorization header; status and JSON body."""
    status, _, body = await answer(server.url + "cli/whoami/", header, "POST")
    return status, body


def error_of(body: Any) -> tuple[Any, str, str]:
    """The status, errorClass and description of a platform error body."""
    error = body["error"]
    return error["status"], error["errorClass"], error["description"]


class TestPlatformAuth:
    async def test_token_accepted(self, server: ReferenceServer) -> None:
        """The platform takes 'Authorization: Token <key>'."""
        status, body = await whoami(server, f"Token {server.api_key}")

        assert (status, body["data"]["environment"]) == (200, "reference")

    async def test_wrong_token(self, server: ReferenceServer) -> None:
        """A wrong Token key is the token middleware's 401 (lib/drf/middleware.py)."""
        status, body = await whoami(server, "Token wrong")

        assert status == 401
        assert error_of(body) == (401, "SmarterTokenAuthenticationError", "Authentication failed.")

    async def test_missing_key(self, server: ReferenceServer) -> None:
        """No Authorization header is the view's 403, NotAuthenticated.

        smarter-sh/smarter@v0.14.19:smarter/smarter/apps/api/v1/cli/views/base.py initial()
        raises SmarterAPIV1CLIViewErrorNotAuthenticated and dispatch() maps it to 403.
        """
        status, body = await whoami(server, None)

        assert status == 403
        assert error_of(body) == (
            403,
            "SmarterAPIV1CLIViewErrorNotAuthenticated",
            NOT_AUTHENTICATED,
        )

    @pytest.mark.parametrize("scheme", ["Bearer", "Basic"])
    async def test_other_schemes_refused(self, server: ReferenceServer, scheme: str) -> None:
        """The right key under Bearer or Basic is still a 403: the platform reads only Token."""
        header = basic(server.api_key) if scheme == "Basic" else f"Bearer {server.api_key}"
        status, body = await whoami(server, header)

        assert status == 403
        assert error_of(body) == (
            403,
            "SmarterAPIV1CLIViewErrorNotAuthenticated",
            NOT_AUTHENTICATED + " due to an unexpected error",
        )

    async def test_legacy_wrong_token(self, make_server: ServerFactory) -> None:
        """On v0.13 the middleware never fires: a wrong Token key is a 403, status a string."""
        server = await make_server(profile="smarter-legacy")
        status, body = await whoami(server, "Token wrong")

        assert status == 403
        assert error_of(body)[:2] == ("403", "SmarterAPIV1CLIViewErrorNotAuthenticated")

    async def test_v010_missing_and_wrong_key(self, make_server: ServerFactory) -> None:
        """On v0.10 a missing key is 'Unauthorized access attempted.', a wrong one a 401."""
        server = await make_server(profile="smarter-v0.10")
        missing = await whoami(server, None)
        wrong = await whoami(server, "Token wrong")

        assert (missing[0], wrong[0]) == (403, 401)
        assert error_of(missing[1]) == (
            "403",
            "APIV1CLIViewError",
            "Unauthorized access attempted.",
        )
        assert error_of(wrong[1]) == (
            "401",
            "SmarterTokenAuthenticationError",
            "Authentication failed.",
        )


class TestEngineAuth:
    @pytest.mark.parametrize("scheme", ["Bearer", "Basic", "BasicWithPassword"])
    async def test_accepted(self, server: ReferenceServer, scheme: str) -> None:
        """The LLM Engine takes Bearer and HTTP Basic (key as user name, any password)."""
        header = {
            "Bearer": f"Bearer {server.api_key}",
            "Basic": basic(server.api_key),
            "BasicWithPassword": basic(server.api_key, "ignored"),
        }[scheme]
        status, _, body = await answer(server.llm_engine_url + "v1/files", header)

        assert (status, body) == (200, {"files": []})

    @pytest.mark.parametrize("scheme", [None, "Token", "Digest", "Bare"])
    async def test_no_credentials(self, server: ReferenceServer, scheme: str | None) -> None:
        """No header, Token (the platform's scheme) or another scheme: 401, Bearer challenge.

        scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/dependencies.py
        verify_authentication() reads only HTTP Basic and OAuth2 Bearer.
        """
        header = {
            None: None,
            "Token": f"Token {server.api_key}",
            "Digest": "Digest abc",
            "Bare": server.api_key,
        }[scheme]
        status, headers, body = await answer(server.llm_engine_url + "v1/files", header)

        assert status == 401
        assert body == {"detail": "No authentication was passed in"}
        assert headers["WWW-Authenticate"] == "Bearer"

    @pytest.mark.parametrize("scheme", ["Bearer", "Basic", "BasicKeyAsPassword"])
    async def test_wrong_key(self, server: ReferenceServer, scheme: str) -> None:
        """A wrong key under Bearer or Basic (or the key as the password) is refused.

        scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/dependencies.py
        verify_authentication(): "Could not authenticate user", challenged in the scheme used.
        """
        header = {
            "Bearer": "Bearer wrong",
            "Basic": basic("wrong"),
            "BasicKeyAsPassword": basic("user", server.api_key),
        }[scheme]
        status, headers, body = await answer(server.llm_engine_url + "v1/files", header)

        assert (status, body) == (401, {"detail": "Could not authenticate user"})
        assert headers["WWW-Authenticate"] == ("Bearer" if scheme == "Bearer" else "Basic")

    @pytest.mark.parametrize(
        ("header", "detail", "challenge"),
        [
            ("Bearer", "No authentication was passed in", "Bearer"),
            ("Basic !!!", "Not authenticated", "Basic"),
            ("Basic " + base64.b64encode(b"no-colon").decode(), "Not authenticated", "Basic"),
        ],
    )
    async def test_garbled(
        self, server: ReferenceServer, header: str, detail: str, challenge: str
    ) -> None:
        """Bearer without a token, or Basic that does not decode to a pair: FastAPI's 401."""
        status, headers, body = await answer(server.llm_engine_url + "v1/files", header)

        assert (status, body, headers["WWW-Authenticate"]) == (401, {"detail": detail}, challenge)

    async def test_downloads_need_no_key(self, server: ReferenceServer) -> None:
        """Download URLs are open, like the signed object-store URLs they stand for."""
        url = server.llm_engine_url + "v1/downloads/example-model/config.json"
        async with aiohttp.ClientSession() as http, http.get(url) as r:
            assert (r.status, len(await r.read())) == (200, 1024)


class TestOpenAIAuth:
    async def test_bearer_accepted(self, server: ReferenceServer) -> None:
        """The OpenAI-compatible server takes Bearer."""
        body = {"model": "m", "input": "hi"}
        async with (
            aiohttp.ClientSession(headers=auth(server)) as http,
            http.post(server.openai_base_url + "responses", json=body) as r,
        ):
            assert (r.status, (await r.json())["object"]) == (200, "response")

    @pytest.mark.parametrize("scheme", [None, "Token", "Basic", "Wrong"])
    async def test_refused(self, server: ReferenceServer, scheme: str | None) -> None:
        """Anything but the right Bearer key is a 401 OpenAI error, code invalid_api_key."""
        header = {
            None: None,
            "Token": f"Token {server.api_key}",
            "Basic": basic(server.api_key),
            "Wrong": "Bearer wrong",
        }[scheme]
        status, _, body = await answer(server.openai_base_url + "chat/completions", header, "POST")

        assert status == 401
        assert body["error"]["type"] == "authentication_error"
        assert body["error"]["code"] == "invalid_api_key"
        assert body["error"]["message"]

    async def test_chosen_key(self, make_server: ServerFactory) -> None:
        """A key given to the constructor is the one enforced; the default looks like sk-test-."""
        chosen = await make_server(api_key="my-key")
        default = await make_server()
        status, _ = await whoami(chosen, "Token my-key")

        assert chosen.api_key == "my-key"
        assert status == 200
        assert default.api_key.startswith("sk-test-")
        assert len(default.api_key) == len("sk-test-") + 32


class TestErrorShapes:
    async def test_cli_shape(self, server: ReferenceServer) -> None:
        """cli/ routes answer the journaled v0.14 error: status an int, thing and command inside."""
        _, body = await whoami(server, None)

        assert body["api"] == "smarter.sh/v1"
        assert body["metadata"] == {"command": "whoami", "thing": "None"}
        assert set(body["error"]) == {
            "errorClass", "stacktrace", "description", "status", "args", "cause", "context",
            "thing", "command",
        }  # fmt: skip
        assert (body["error"]["thing"], body["error"]["command"]) == ("None", "whoami")
        assert body["error"]["args"] == f"url={server.url}cli/whoami/"
        assert "thing" not in body

    @pytest.mark.parametrize("profile", ["smarter-legacy", "smarter-v0.10"])
    async def test_legacy_cli_shape(self, make_server: ServerFactory, profile: str) -> None:
        """Before v0.14 the error's status is a string and thing sits at the top level."""
        server = await make_server(profile=profile)
        _, body = await whoami(server, None)

        assert body["error"]["status"] == "403"
        assert (body["thing"], body["metadata"]) == ("None", {"command": "whoami"})
        assert "thing" not in body["error"]

    async def test_openai_shape(self, server: ReferenceServer) -> None:
        """The OpenAI mount answers errors in the OpenAI shape."""
        _, _, body = await answer(server.openai_base_url + "chat/completions", None, "POST")

        assert set(body["error"]) == {"message", "type", "param", "code"}

    async def test_unknown_route(self, http: aiohttp.ClientSession) -> None:
        """An unknown route is a 404 in the family's shape."""
        async with http.get("v1/llm/nothing-here") as r:
            assert (r.status, await r.json()) == (404, {"detail": "Not Found"})

    async def test_wrong_method(self, http: aiohttp.ClientSession) -> None:
        """A known route with the wrong method is a 405."""
        async with http.delete("v1/llm/fine-tunes") as r:
            assert r.status == 405


class TestRequestIds:
    async def test_only_openai_by_default(self, http: aiohttp.ClientSession) -> None:
        """By default only the OpenAI mount sends x-request-id; the engine and platform do not."""
        seen = {}
        for name, method, path in [
            ("engine", "GET", "v1/files"),
            ("engine 404", "GET", "v1/files/nope"),
            ("platform", "POST", CLI + "whoami/"),
            ("openai", "POST", OPENAI + "responses"),
            ("openai 404", "GET", OPENAI + "nope"),
        ]:
            body = {"model": "m", "input": "hi"} if method == "POST" else None
            async with http.request(method, path, json=body) as r:
                seen[name] = (r.status, "x-request-id" in r.headers)

        assert seen == {
            "engine": (200, False),
            "engine 404": (404, False),
            "platform": (200, False),
            "openai": (200, True),
            "openai 404": (404, True),
        }

    async def test_every_response_when_extended(self, extended: ReferenceServer) -> None:
        """The extended profile stamps every answer, 401s included: req_ and 24 hex digits."""
        ids = []
        async with aiohttp.ClientSession(headers=auth(extended)) as http:
            for url in (extended.llm_engine_url + "v1/files", extended.llm_engine_url + "v1/nope"):
                async with http.get(url) as r:
                    ids.append(r.headers["x-request-id"])
        async with aiohttp.ClientSession() as bare:
            async with bare.get(extended.llm_engine_url + "v1/files") as r:
                ids.append(r.headers["x-request-id"])
            async with bare.post(extended.url + "cli/whoami/") as r:
                ids.append(r.headers["x-request-id"])

        assert all(len(i) == 28 and i.startswith("req_") and int(i[4:], 16) >= 0 for i in ids)
        assert len(set(ids)) == 4

    @pytest.mark.parametrize(
        ("request_ids", "expected"), [(False, (False, False)), (True, (True, True))]
    )
    async def test_switch_overrides_profile(
        self, make_server: ServerFactory, request_ids: bool, expected: tuple[bool, bool]
    ) -> None:
        """request_ids= overrides the profile: on every mount (True) or on none (False)."""
        server = await make_server(request_ids=request_ids)
        async with aiohttp.ClientSession(headers=auth(server)) as http:
            async with http.get(server.llm_engine_url + "v1/files") as r:
                engine = "x-request-id" in r.headers
            async with http.post(
                server.openai_base_url + "responses", json={"model": "m", "input": "x"}
            ) as r:
                openai = "x-request-id" in r.headers

        assert (engine, openai) == expected


class TestPaths:
    async def test_encoded_slash_is_literal(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """v1/files/..%2Fadmin looks up the literal id '../admin': a 404, not another route."""
        url = URL(server.llm_engine_url + "v1/files/..%2Fadmin", encoded=True)
        async with http.get(url) as r:
            body = await r.json()

        assert r.status == 404
        assert "../admin" in body["detail"]
        assert server.requests[-1].path == "v1/files/..%2Fadmin"

    async def test_encoded_slash_in_chatbot_name(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """A chatbot name with an encoded slash stays one segment."""
        url = URL(server.url + "cli/prompt/a%2Fb/?uid=u", encoded=True)
        async with http.post(url, json={"prompt": "hi"}) as r:
            assert r.status == 404
            assert "a/b" in (await r.json())["error"]["description"]

    async def test_trailing_slash_required(self, http: aiohttp.ClientSession) -> None:
        """The cli routes exist only with their trailing slash."""
        async with http.post(CLI + "whoami") as r:
            assert r.status == 404

    async def test_mounts(self, server: ReferenceServer) -> None:
        """The three base URLs share one port: /api/v1/, the root and /openai/v1/."""
        root = server.llm_engine_url

        assert root.startswith("http://127.0.0.1:")
        assert (server.url, server.openai_base_url) == (root + "api/v1/", root + "openai/v1/")
        assert server.client_kwargs() == {
            "base_url": server.url,
            "api_key": server.api_key,
            "llm_engine_url": root,
            "openai_base_url": server.openai_base_url,
        }


class TestRequestLog:
    async def test_records_everything(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """Every request is recorded in order with method, path, query, headers, body, status."""
        async with http.get("v1/files", params={"limit": "2"}) as r:
            await r.read()
        async with http.post("v1/llm/fine-tunes", json={"model": "m"}) as r:
            await r.read()
        async with (
            aiohttp.ClientSession() as bare,
            bare.get(server.llm_engine_url + "v1/files") as r,
        ):
            await r.read()

        log = server.requests
        assert [(e.method, e.path, e.status) for e in log] == [
            ("GET", "v1/files", 200),
            ("POST", "v1/llm/fine-tunes", 422),
            ("GET", "v1/files", 401),
        ]
        assert log[0].query["limit"] == "2"
        assert log[1].body == b'{"model": "m"}'
        assert log[1].body_size == len(log[1].body)
        assert log[1].headers["content-type"] == "application/json"
        assert log[0].time <= log[1].time <= log[2].time
        assert [e.path for e in server.requests_to("GET", "v1/files*")] == ["v1/files"] * 2
        assert server.requests_to("*", "v1/llm/*") == [log[1]]

    async def test_paths_relative_to_mount(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """Logged paths are relative to their service's mount."""
        async with http.post(CLI + "whoami/") as r:
            await r.read()
        async with http.post(OPENAI + "responses", json={"model": "m", "input": "hi"}) as r:
            await r.read()
        async with http.get("v1/llm/fine-tunes") as r:
            await r.read()

        assert [(e.path, e.status) for e in server.requests] == [
            ("cli/whoami/", 200),
            ("responses", 200),
            ("v1/llm/fine-tunes", 200),
        ]

    async def test_clear(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """clear_requests empties the log, and later requests are recorded afresh."""
        async with http.get("v1/files") as r:
            await r.read()
        server.clear_requests()
        async with http.get("v1/llm/fine-tunes") as r:
            await r.read()

        assert [(e.path, e.status) for e in server.requests] == [("v1/llm/fine-tunes", 200)]
