"""API key checks, error shapes per route family, x-request-id and literal path segments."""

from __future__ import annotations

import base64

import aiohttp
import pytest
from yarl import URL

from smarter.testing import ReferenceServer

from .conftest import ServerFactory, auth


def basic(user: str, password: str = "") -> str:
    """An HTTP Basic authorization header."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class TestSchemes:
    @pytest.mark.parametrize("scheme", ["Token", "Bearer", "Basic", "BasicWithPassword"])
    async def test_accepted(self, server: ReferenceServer, scheme: str) -> None:
        """Token, Bearer and Basic (key as user, any password) are all accepted."""
        header = {
            "Token": f"Token {server.api_key}",
            "Bearer": f"Bearer {server.api_key}",
            "Basic": basic(server.api_key),
            "BasicWithPassword": basic(server.api_key, "ignored"),
        }[scheme]
        async with (
            aiohttp.ClientSession() as http,
            http.get(server.url + "files", headers={"Authorization": header}) as r,
        ):
            assert r.status == 200

    @pytest.mark.parametrize(
        "header", [None, "Token wrong", "Bearer", "Basic !!!", "Digest abc", "sk-test-1"]
    )
    async def test_refused(self, server: ReferenceServer, header: str | None) -> None:
        """A missing, wrong or garbled Authorization header is a 401."""
        headers = {} if header is None else {"Authorization": header}
        async with (
            aiohttp.ClientSession() as http,
            http.get(server.url + "files", headers=headers) as r,
        ):
            body = await r.json()

        assert r.status == 401
        assert isinstance(body["detail"], str)

    async def test_basic_with_key_as_password_is_refused(self, server: ReferenceServer) -> None:
        """Basic auth wants the key as the user name, not as the password."""
        headers = {"Authorization": basic("user", server.api_key)}
        async with (
            aiohttp.ClientSession() as http,
            http.get(server.url + "files", headers=headers) as r,
        ):
            assert r.status == 401

    async def test_chosen_key(self, make_server: ServerFactory) -> None:
        """A key given to the constructor is the one enforced; the default looks like sk-test-."""
        chosen = await make_server(api_key="my-key")
        default = await make_server()

        assert chosen.api_key == "my-key"
        assert default.api_key.startswith("sk-test-")
        assert len(default.api_key) == len("sk-test-") + 32


class TestErrorShapes:
    async def test_cli_shape(self, server: ReferenceServer) -> None:
        """cli/ routes answer errors in the Smarter shape, status as a string."""
        async with aiohttp.ClientSession() as http, http.post(server.url + "cli/whoami/") as r:
            body = await r.json()

        assert r.status == 401
        assert body["error"]["status"] == "401"
        assert body["error"]["description"]
        assert body["error"]["errorClass"]
        assert body["api"] == "smarter.sh/v1"

    async def test_openai_shape(self, server: ReferenceServer) -> None:
        """chat/completions answers errors in the OpenAI shape."""
        async with (
            aiohttp.ClientSession() as http,
            http.post(server.url + "chat/completions", json={}) as r,
        ):
            body = await r.json()

        assert r.status == 401
        assert body["error"]["type"] == "authentication_error"
        assert "message" in body["error"]
        assert "code" in body["error"]

    async def test_unknown_route(self, http: aiohttp.ClientSession) -> None:
        """An unknown route is a 404 in the family's shape."""
        async with http.get("llm/nothing-here") as r:
            assert (r.status, await r.json()) == (404, {"detail": "Not Found"})

    async def test_wrong_method(self, http: aiohttp.ClientSession) -> None:
        """A known route with the wrong method is a 405."""
        async with http.delete("llm/fine-tunes") as r:
            assert r.status == 405


class TestRequestIds:
    async def test_every_response(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """Successes, errors and 401s all carry x-request-id: req_ and 24 hex digits."""
        ids = []
        async with http.get("files") as r:
            ids.append(r.headers["x-request-id"])
        async with http.get("files/nope") as r:
            ids.append(r.headers["x-request-id"])
        async with aiohttp.ClientSession() as bare, bare.get(server.url + "files") as r:
            ids.append(r.headers["x-request-id"])

        assert all(len(i) == 28 and i.startswith("req_") and int(i[4:], 16) >= 0 for i in ids)
        assert len(set(ids)) == 3

    async def test_switched_off(self, make_server: ServerFactory) -> None:
        """request_ids=False leaves the header out."""
        server = await make_server(request_ids=False)
        async with (
            aiohttp.ClientSession(headers=auth(server)) as http,
            http.get(server.url + "files") as r,
        ):
            assert "x-request-id" not in r.headers


class TestPaths:
    async def test_encoded_slash_is_literal(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """files/..%2Fadmin looks up the literal id '../admin' and is a 404, not another route."""
        url = URL(server.url + "files/..%2Fadmin", encoded=True)
        async with http.get(url) as r:
            body = await r.json()

        assert r.status == 404
        assert "../admin" in body["detail"]
        assert server.requests[-1].path == "files/..%2Fadmin"

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
        async with http.post("cli/whoami") as r:
            assert r.status == 404


class TestRequestLog:
    async def test_records_everything(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """Every request is recorded in order with method, path, query, headers, body, status."""
        async with http.get("files", params={"limit": "2"}) as r:
            await r.read()
        async with http.post("llm/fine-tunes", json={"model": "m"}) as r:
            await r.read()
        async with aiohttp.ClientSession() as bare, bare.get(server.url + "files") as r:
            await r.read()

        log = server.requests
        assert [(e.method, e.path, e.status) for e in log] == [
            ("GET", "files", 200),
            ("POST", "llm/fine-tunes", 422),
            ("GET", "files", 401),
        ]
        assert log[0].query["limit"] == "2"
        assert log[1].body == b'{"model": "m"}'
        assert log[1].body_size == len(log[1].body)
        assert log[1].headers["content-type"] == "application/json"
        assert log[0].time <= log[1].time <= log[2].time
        assert [e.path for e in server.requests_to("GET", "files*")] == ["files", "files"]
        assert server.requests_to("*", "llm/*") == [log[1]]

    async def test_clear(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """clear_requests empties the log, and later requests are recorded afresh."""
        async with http.get("files") as r:
            await r.read()
        server.clear_requests()
        async with http.get("llm/fine-tunes") as r:
            await r.read()

        assert [(e.path, e.status) for e in server.requests] == [("llm/fine-tunes", 200)]
