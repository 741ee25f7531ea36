"""The Smarter cli/ routes: whoami, describe, prompt sessions, and the legacy switch."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from smarter.testing import ReferenceServer

from .conftest import ServerFactory, auth

UID = "host-0a1b2c"


async def prompt(
    http: aiohttp.ClientSession,
    text: str,
    *,
    name: str = "example",
    new_session: str | None = "false",
    key: str | None = None,
    route: str = "prompt",
    uid: str | None = UID,
) -> tuple[int, Any]:
    """Prompt a chatbot; returns the status and the JSON body."""
    params = {}
    if uid is not None:
        params["uid"] = uid
    if new_session is not None:
        params["new_session"] = new_session
    body: dict[str, Any] = {"prompt": text}
    if key is not None:
        body["session_key"] = key
    async with http.post(f"cli/{route}/{name}/", params=params, json=body) as r:
        return r.status, await r.json()


def reply(body: Any) -> str:
    """The assistant reply inside a prompt answer."""
    return str(body["data"]["response"]["data"]["body"]["choices"][0]["message"]["content"])


class TestWhoami:
    async def test_shape(self, http: aiohttp.ClientSession) -> None:
        """The whoami route answers the envelope with user, account and environment."""
        async with http.post("cli/whoami/") as r:
            body = await r.json()

        assert body["api"] == "smarter.sh/v1"
        assert body["metadata"] == {"command": "whoami", "thing": "None"}
        assert set(body["data"]["user"]) >= {
            "username", "email", "first_name", "last_name", "is_staff", "is_superuser",
        }  # fmt: skip
        assert body["data"]["account"]["account_number"] == "3141-5926-5359"
        assert body["data"]["environment"] == "reference"


class TestDescribe:
    @pytest.mark.parametrize("method", ["GET", "POST"])
    async def test_manifest(self, http: aiohttp.ClientSession, method: str) -> None:
        """The describe route answers the LLMClient manifest of a chatbot, by GET or POST."""
        async with http.request(method, "cli/describe/llmclient/", params={"name": "example"}) as r:
            body = await r.json()

        manifest = body["data"]
        assert body["metadata"] == {"command": "describe", "thing": "LLMClient"}
        assert manifest["apiVersion"] == "smarter.sh/v1"
        assert manifest["kind"] == "LLMClient"
        assert manifest["metadata"]["name"] == "example"
        assert {"description", "version"} <= set(manifest["metadata"])
        config_keys = {"provider", "defaultModel", "defaultSystemRole", "defaultTemperature",
                       "defaultMaxTokens", "appName", "appWelcomeMessage"}  # fmt: skip
        assert config_keys <= set(manifest["spec"]["config"])
        assert manifest["spec"]["plugins"] == []
        assert {
            "deployed",
            "defaultHost",
            "defaultUrl",
            "sandboxUrl",
            "created",
            "modified",
        } <= set(manifest["status"])

    async def test_unknown(self, http: aiohttp.ClientSession) -> None:
        """An unknown chatbot is a 404 in the Smarter error shape."""
        async with http.post("cli/describe/llmclient/", params={"name": "ghost"}) as r:
            body = await r.json()

        assert r.status == 404
        assert body["error"]["status"] == "404"

    async def test_extra_chatbots(self, make_server: ServerFactory) -> None:
        """Chatbots given by name or mapping exist next to 'example'."""
        server = await make_server(
            chatbots=[
                "plain",
                {"name": "fancy", "description": "Fancy", "version": "2.0.0", "defaultModel": "x"},
            ]
        )
        async with aiohttp.ClientSession(base_url=server.url, headers=auth(server)) as http:
            async with http.get("cli/describe/llmclient/", params={"name": "fancy"}) as r:
                manifest = (await r.json())["data"]
            async with http.get("cli/describe/llmclient/", params={"name": "plain"}) as r:
                assert r.status == 200

        assert set(server.state.chatbots) == {"example", "plain", "fancy"}
        assert manifest["metadata"]["description"] == "Fancy"
        assert manifest["metadata"]["version"] == "2.0.0"
        assert manifest["spec"]["config"]["defaultModel"] == "x"


class TestPrompt:
    async def test_continuity(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """Turn 1 opens a session; the key continues it as turn 2; new_session starts over."""
        status, first = await prompt(http, "Hello, World!", new_session="true")
        key = first["data"]["request"]["session_key"]
        _, second = await prompt(http, "And again", key=key)
        _, fresh = await prompt(http, "Start over", new_session="true", key=key)

        assert status == 200
        assert len(key) == 64
        assert reply(first).startswith("[example] turn 1: ")
        assert reply(second).startswith("[example] turn 2: ")
        assert second["data"]["request"]["session_key"] == key
        assert [m["role"] for m in second["data"]["request"]["messages"]] == [
            "system", "user", "assistant", "user",
        ]  # fmt: skip
        assert reply(fresh).startswith("[example] turn 1: ")
        assert fresh["data"]["request"]["session_key"] != key
        assert server.state.sessions[("example", UID, key)].turns == 2

    async def test_envelope(self, http: aiohttp.ClientSession) -> None:
        """The prompt answer nests the bot's chat completion in the Smarter envelopes."""
        _, body = await prompt(http, "Hi")

        inner = body["data"]["response"]["data"]
        assert body["metadata"] == {"command": "prompt", "thing": "Prompt"}
        assert inner["statusCode"] == 200
        assert inner["isBase64Encoded"] is False
        assert inner["body"]["object"] == "chat.completion"
        assert inner["body"]["id"].startswith("chatcmpl-")
        assert inner["body"]["choices"][0]["finish_reason"] == "stop"
        assert set(inner["body"]["usage"]) >= {"prompt_tokens", "completion_tokens", "total_tokens"}

    async def test_deterministic(self, http: aiohttp.ClientSession) -> None:
        """The same prompt in a fresh session gets the same reply."""
        _, one = await prompt(http, "Same words")
        _, two = await prompt(http, "Same words")

        assert reply(one) == reply(two)

    @pytest.mark.parametrize(
        ("kwargs", "status"),
        [
            ({"uid": None}, 400),
            ({"new_session": "yes"}, 400),
            ({"key": "abc"}, 400),
            ({"key": "f" * 64}, 404),
            ({"name": "ghost"}, 404),
        ],
    )
    async def test_errors(
        self, http: aiohttp.ClientSession, kwargs: dict[str, Any], status: int
    ) -> None:
        """Missing uid, a bad flag or key, an unknown key or bot are errors in Smarter shape."""
        got, body = await prompt(http, "Hi", **kwargs)

        assert got == status
        assert body["error"]["status"] == str(status)

    async def test_prompt_required(self, http: aiohttp.ClientSession) -> None:
        """A body without prompt is a 400."""
        async with http.post("cli/prompt/example/", params={"uid": UID}, json={}) as r:
            assert r.status == 400

    async def test_session_is_per_uid(self, http: aiohttp.ClientSession) -> None:
        """A session key is not valid under another uid."""
        _, first = await prompt(http, "Hi")
        status, _ = await prompt(
            http, "Hi", key=first["data"]["request"]["session_key"], uid="other"
        )

        assert status == 404


class TestLegacy:
    async def test_only_old_routes(self, make_server: ServerFactory) -> None:
        """legacy_chatbots=True serves describe/chatbot and chat/<name>, and 404s the new ones."""
        server = await make_server(legacy_chatbots=True)
        async with aiohttp.ClientSession(base_url=server.url, headers=auth(server)) as http:
            async with http.post("cli/describe/llmclient/", params={"name": "example"}) as r:
                new_describe = r.status
            async with http.post("cli/describe/chatbot/", params={"name": "example"}) as r:
                old = await r.json()
            new_prompt, _ = await prompt(http, "Hi")
            status, chat = await prompt(http, "Hi", route="chat")

        assert (new_describe, new_prompt, status) == (404, 404, 200)
        assert old["data"]["kind"] == "Chatbot"
        assert old["thing"] == "Chatbot"
        assert reply(chat).startswith("[example] turn 1: ")
        assert chat["metadata"]["command"] == "chat"

    async def test_new_server_has_no_old_routes(self, http: aiohttp.ClientSession) -> None:
        """By default the pre-rename routes are 404s."""
        async with http.post("cli/describe/chatbot/", params={"name": "example"}) as r:
            describe = r.status
        status, _ = await prompt(http, "Hi", route="chat")

        assert (describe, status) == (404, 404)
