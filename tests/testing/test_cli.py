"""The Smarter cli/ routes: whoami, describe, prompt sessions, per platform generation.

The generation rules come from the real views, read at each tag:
smarter-sh/smarter@v0.14.19:smarter/smarter/apps/api/v1/cli/views/base.py (and the same file
at v0.13.223 and v0.10.21).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from smarter.testing import ReferenceServer

from .conftest import CLI, ServerFactory, session_for

UID = "host-0a1b2c"
ACCOUNT = "3141-5926-5359"
# What dispatch() puts before a 400, 500 or 503 description (v0.14.19 cli/views/base.py).
BUG_REPORT = (
    "Encountered an unexpected error. This is a bug. Please contact the maintainers and/or "
    "report to https://github.com/smarter-sh/smarter/issues.."
)
NO_BROKER = (
    "Smarter api v1 command-line interface error: Could not find broker for <-- Missing --> "
    "manifest."
)
# profile: (kind slug, chat route, kind, status as the generation writes it)
GENERATIONS: dict[str, tuple[str, str, str, Any]] = {
    "smarter": ("llmclient", "prompt", "LLMClient", int),
    "smarter-legacy": ("chatbot", "chat", "Chatbot", str),
    "smarter-v0.10": ("chatbot", "chat", "Chatbot", str),
}


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
    async with http.post(f"{CLI}{route}/{name}/", params=params, json=body) as r:
        return r.status, await r.json()


async def describe(http: aiohttp.ClientSession, slug: str, name: str | None) -> tuple[int, Any]:
    """Describe a chatbot by kind slug and name; returns the status and the JSON body."""
    params = {} if name is None else {"name": name}
    async with http.post(f"{CLI}describe/{slug}/", params=params) as r:
        return r.status, await r.json()


def reply(body: Any) -> str:
    """The assistant reply inside a prompt answer."""
    return str(body["data"]["response"]["data"]["body"]["choices"][0]["message"]["content"])


@pytest.fixture(params=list(GENERATIONS))
async def each(
    request: pytest.FixtureRequest, make_server: ServerFactory
) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    """A server of each platform profile in turn, with a raw session to it."""
    server = await make_server(profile=request.param)
    async with session_for(server) as session:
        yield request.param, session


class TestWhoami:
    async def test_shape(self, http: aiohttp.ClientSession) -> None:
        """v0.14 answers the envelope with camelCase user and account, and no message."""
        async with http.post(CLI + "whoami/") as r:
            body = await r.json()

        assert set(body) == {"data", "api", "metadata"}
        assert body["api"] == "smarter.sh/v1"
        assert body["metadata"] == {"command": "whoami", "thing": "None"}
        assert set(body["data"]["user"]) >= {
            "username", "email", "firstName", "lastName", "isStaff", "isSuperuser",
        }  # fmt: skip
        assert body["data"]["account"]["accountNumber"] == ACCOUNT
        assert body["data"]["environment"] == "reference"

    async def test_casing_and_envelope(self, each: tuple[str, aiohttp.ClientSession]) -> None:
        """Whoami: camelCase on v0.14 and v0.13, snake_case on v0.10; thing on top before v0.14."""
        profile, http = each
        async with http.post(CLI + "whoami/") as r:
            body = await r.json()

        user, account = body["data"]["user"], body["data"]["account"]
        if profile == "smarter-v0.10":
            assert (user["first_name"], account["account_number"]) == ("Ada", ACCOUNT)
            assert "firstName" not in user
        else:
            assert (user["firstName"], account["accountNumber"]) == ("Ada", ACCOUNT)
            assert "first_name" not in user
        if profile == "smarter":
            assert body["metadata"] == {"command": "whoami", "thing": "None"}
            assert "thing" not in body
        else:
            assert (body["thing"], body["metadata"]) == ("None", {"command": "whoami"})


class TestDescribe:
    @pytest.mark.parametrize("method", ["GET", "POST"])
    async def test_manifest(self, http: aiohttp.ClientSession, method: str) -> None:
        """The describe route answers the LLMClient manifest of a chatbot, by GET or POST."""
        async with http.request(
            method, CLI + "describe/llmclient/", params={"name": "example"}
        ) as r:
            body = await r.json()

        manifest = body["data"]
        assert body["message"] == "LLMClient example described successfully"
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

    @pytest.mark.parametrize(
        ("slug", "status"),
        [("llmclient", 200), ("LLMClient", 200), ("llm_client", 200), ("llmclients", 200),
         ("llm-client", 500)],
    )  # fmt: skip
    async def test_kind_slugs(self, http: aiohttp.ClientSession, slug: str, status: int) -> None:
        """A kind slug matches case-insensitively, snake_case and plural too, not kebab-case."""
        got, _ = await describe(http, slug, "example")

        assert got == status

    async def test_unknown_kind(self, each: tuple[str, aiohttp.ClientSession]) -> None:
        """An unknown kind: 500 'Could not find broker' (v0.14, v0.13), 400 on v0.10.

        smarter-sh/smarter@v0.14.19:smarter/smarter/apps/api/v1/cli/views/base.py: initial()
        returns a SAMBadRequestError answer that DRF ignores, so the BrokerClass lookup raises
        APIV1CLIViewError, a 500 that dispatch() prefixes with the bug report. At v0.10.21 the
        same check sits in dispatch(), whose returned 400 is the answer.
        """
        profile, http = each
        status, body = await describe(http, "widget", "x")

        error = body["error"]
        as_written = GENERATIONS[profile][3]
        if profile == "smarter-v0.10":
            assert (status, error["status"]) == (400, as_written(400))
            assert error["errorClass"] == "SAMBadRequestError"
            assert error["description"] == (
                "Unsupported manifest kind: None. should be one of ['Plugin', 'Account', "
                "'SmarterAuthToken', 'User', 'Chat', 'ChatHistory', 'ChatPluginUsage', "
                "'ChatToolCall', 'Chatbot', 'SqlConnection', 'PluginDataApiConnection']"
            )
        else:
            assert (status, error["status"]) == (500, as_written(500))
            assert error["errorClass"] == "APIV1CLIViewError"
            assert error["description"] == (
                f"<class 'smarter.lib.APIV1CLIViewError'>: {BUG_REPORT} {NO_BROKER}"
            )

    async def test_missing_chatbot(self, each: tuple[str, aiohttp.ClientSession]) -> None:
        """A missing chatbot: 503 SAMBrokerErrorNotReady (v0.14, v0.13), 500 AttributeError (v0.10).

        smarter-sh/smarter@v0.14.19:smarter/smarter/apps/api/v1/cli/views/base.py dispatch()
        maps SAMBrokerErrorNotReady to 503 and prefixes the bug report.
        """
        profile, http = each
        slug, _, kind, as_written = GENERATIONS[profile]
        status, body = await describe(http, slug, "ghost")

        error = body["error"]
        if profile == "smarter-v0.10":
            assert (status, error["status"], error["errorClass"]) == (500, "500", "AttributeError")
        else:
            assert (status, error["status"]) == (503, as_written(503))
            assert error["errorClass"] == "SAMBrokerErrorNotReady"
            assert error["description"] == (
                f"<class 'smarter.lib.SAMBrokerErrorNotReady'>: {BUG_REPORT} Smarter API {kind} "
                f"manifest broker: describe() not ready error.  {kind} ghost not found: "
                f"{kind} ghost not found"
            )

    async def test_name_required(self, http: aiohttp.ClientSession) -> None:
        """Describe without a name is the broker's 503: the name property is not set."""
        status, body = await describe(http, "llmclient", None)

        assert (status, body["error"]["errorClass"]) == (503, "SAMBrokerErrorNotReady")
        assert body["error"]["description"].endswith("LLMClient name property is not set.")

    async def test_error_envelope(self, http: aiohttp.ClientSession) -> None:
        """A v0.14 error names its thing and command inside the error and in metadata."""
        _, body = await describe(http, "llmclient", "ghost")

        assert (body["error"]["thing"], body["error"]["command"]) == ("LLMClient", "describe")
        assert body["metadata"] == {"command": "describe", "thing": "LLMClient"}
        assert body["error"]["context"] == "thing=LLMClient, command=describe"

    async def test_extra_chatbots(self, make_server: ServerFactory) -> None:
        """Chatbots given by name or mapping exist next to 'example'."""
        server = await make_server(
            chatbots=[
                "plain",
                {"name": "fancy", "description": "Fancy", "version": "2.0.0", "defaultModel": "x"},
            ]
        )
        async with session_for(server) as http:
            _, fancy = await describe(http, "llmclient", "fancy")
            plain, _ = await describe(http, "llmclient", "plain")

        manifest = fancy["data"]
        assert plain == 200
        assert set(server.state.chatbots) == {"example", "plain", "fancy"}
        assert manifest["metadata"]["description"] == "Fancy"
        assert manifest["metadata"]["version"] == "2.0.0"
        assert manifest["spec"]["config"]["defaultModel"] == "x"
        assert manifest["status"]["sandboxUrl"] == f"{server.url}llm-clients/fancy/"


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
        assert body["message"] == "Prompt sent to example"
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
        assert body["error"]["status"] == status
        assert body["metadata"]["command"] == "prompt"

    async def test_unknown_chatbot(self, http: aiohttp.ClientSession) -> None:
        """An unknown chatbot is the client lookup's DoesNotExist, a 404 (nonbrokered/prompt.py)."""
        _, body = await prompt(http, "Hi", name="ghost")

        assert (body["error"]["errorClass"], body["error"]["description"]) == (
            "DoesNotExist",
            f"post() LLMClient ghost not found for account {ACCOUNT}",
        )

    async def test_prompt_required(self, http: aiohttp.ClientSession) -> None:
        """A body without prompt is a 400."""
        async with http.post(CLI + "prompt/example/", params={"uid": UID}, json={}) as r:
            assert r.status == 400

    async def test_session_is_per_uid(self, http: aiohttp.ClientSession) -> None:
        """A session key is not valid under another uid."""
        _, first = await prompt(http, "Hi")
        status, _ = await prompt(
            http, "Hi", key=first["data"]["request"]["session_key"], uid="other"
        )

        assert status == 404


class TestGenerations:
    async def test_each_serves_its_routes(self, each: tuple[str, aiohttp.ClientSession]) -> None:
        """Each generation describes and chats under its own names, with its envelope."""
        profile, http = each
        slug, route, kind, _ = GENERATIONS[profile]
        described, manifest = await describe(http, slug, "example")
        status, chat = await prompt(http, "Hi", route=route)

        assert (described, status) == (200, 200)
        assert manifest["data"]["kind"] == kind
        assert reply(chat).startswith("[example] turn 1: ")
        thing = "Prompt" if profile == "smarter" else "Chat"
        if profile == "smarter":
            assert manifest["metadata"] == {"command": "describe", "thing": kind}
            assert chat["metadata"] == {"command": route, "thing": thing}
        else:
            assert (manifest["thing"], manifest["metadata"]) == (kind, {"command": "describe"})
            assert (chat["thing"], chat["metadata"]) == (thing, {"command": route})

    async def test_legacy_has_no_new_routes(self, make_server: ServerFactory) -> None:
        """v0.13 has no LLMClient broker (a 500) and no prompt route (a 404)."""
        server = await make_server(profile="smarter-legacy")
        async with session_for(server) as http:
            new_describe, body = await describe(http, "llmclient", "example")
            new_prompt, _ = await prompt(http, "Hi")

        assert (new_describe, new_prompt) == (500, 404)
        assert body["error"]["errorClass"] == "APIV1CLIViewError"

    async def test_current_has_no_old_routes(self, http: aiohttp.ClientSession) -> None:
        """v0.14 has no Chatbot broker (a 500) and no chat route (a 404)."""
        describe_status, _ = await describe(http, "chatbot", "example")
        status, _ = await prompt(http, "Hi", route="chat")

        assert (describe_status, status) == (500, 404)

    async def test_legacy_chatbots_flag(self, make_server: ServerFactory) -> None:
        """legacy_chatbots=True is the smarter-legacy profile."""
        server = await make_server(legacy_chatbots=True)
        async with session_for(server) as http:
            status, body = await prompt(http, "Hi", route="chat")

        assert server.profile.name == "smarter-legacy"
        assert (status, body["metadata"]) == (200, {"command": "chat"})
