"""``resources.chatbots.get`` and ``chatbot.prompt`` of both clients, current and legacy routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from helpers import bound_client, run

import smarter
from smarter import AsyncChatbot, Chatbot
from smarter.testing import ReferenceServer
from smarter.testing._model import generate
from smarter.types import ChatbotResponse

from .conftest import AnyClient, body_of, client_request_id

DESCRIBE = "cli/describe/llmclient/"
PROMPT = "cli/prompt/example/"


def reply(message: str, turn: int, bot: str = "example") -> str:
    """The reference server's reply to ``message`` at ``turn`` of a conversation."""
    return f"[{bot}] turn {turn}: {generate(message, 8, choice=turn).text.strip()}"


class TestGet:
    async def test_describes_the_bot(self, client: AnyClient, kind: str) -> None:
        """get(name=) returns a chatbot with the manifest's name, description, version, kind."""
        bot = await run(client.resources.chatbots.get(name="example"))

        assert type(bot) is (AsyncChatbot if kind == "async" else Chatbot)
        assert (bot.name, bot.description, bot.version, bot.kind) == (
            "example",
            "The example chatbot of the reference server.",
            "1.0.0",
            "LLMClient",
        )
        assert (bot.spec["config"]["subdomain"], bot.status["accountNumber"]) == (
            "example",
            "3141-5926-5359",
        )

    async def test_to_dict_is_the_manifest(self, client: AnyClient) -> None:
        """to_dict() is the manifest as sent: apiVersion, kind, metadata, spec, status."""
        bot = await run(client.resources.chatbots.get(name="example"))

        manifest = bot.to_dict()
        assert (sorted(manifest), manifest["apiVersion"], manifest["metadata"]["name"]) == (
            ["apiVersion", "kind", "metadata", "spec", "status"],
            "smarter.sh/v1",
            "example",
        )
        assert (manifest["spec"], manifest["status"]) == (bot.spec, bot.status)

    async def test_request(self, client: AnyClient, server: ReferenceServer) -> None:
        """Describing is one POST to cli/describe/llmclient/ with the name in the query."""
        await run(client.resources.chatbots.get(name="example"))

        (request,) = server.requests
        assert (request.method, request.path, dict(request.query)) == (
            "POST",
            DESCRIBE,
            {"name": "example"},
        )

    async def test_missing_bot_is_not_found(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A chatbot that does not exist raises NotFoundError at get() already, not retried.

        smarter v0.14.19 answers describe with 503, the broker's SAMBrokerErrorNotReady
        (smarter-sh/smarter@v0.14.19:smarter/smarter/apps/llm_client/manifest/brokers/llm_client.py).
        """
        with pytest.raises(smarter.NotFoundError, match="no-such-bot") as caught:
            await run(client.resources.chatbots.get(name="no-such-bot"))

        assert caught.value.status_code == 503
        assert [r.status for r in server.requests] == [503]


class TestPrompt:
    async def test_conversation_continues(self, client: AnyClient, server: ReferenceServer) -> None:
        """A second prompt continues the first one's session: turn 1, then turn 2."""
        bot = await run(client.resources.chatbots.get(name="example"))

        first = await run(bot.prompt("Hello, World!"))
        second = await run(bot.prompt("And then?"))

        assert (str(first), str(second)) == (reply("Hello, World!", 1), reply("And then?", 2))
        assert first.session_key == second.session_key == bot.session_key
        assert len(first.session_key) == 64

    async def test_requests_carry_the_session(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """The first prompt says new_session=true without a key; the next sends false and it."""
        bot = await run(client.resources.chatbots.get(name="example"))
        first = await run(bot.prompt("one"))
        await run(bot.prompt("two"))

        sent = [
            (dict(request.query), body_of(request))
            for request in server.requests_to("POST", PROMPT)
        ]
        assert sent == [
            ({"uid": bot.uid, "new_session": "true"}, {"prompt": "one"}),
            (
                {"uid": bot.uid, "new_session": "false"},
                {"prompt": "two", "session_key": first.session_key},
            ),
        ]

    async def test_new_session_starts_over(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """new_session=True starts a conversation afresh: turn 1 and a new key."""
        bot = await run(client.resources.chatbots.get(name="example"))
        first = await run(bot.prompt("one"))
        await run(bot.prompt("two"))

        fresh = await run(bot.prompt("three", new_session=True))
        after = await run(bot.prompt("four"))

        last = server.requests_to("POST", PROMPT)[-2]
        assert (str(fresh), str(after)) == (reply("three", 1), reply("four", 2))
        assert fresh.session_key != first.session_key
        assert after.session_key == fresh.session_key
        assert (last.query["new_session"], body_of(last)) == ("true", {"prompt": "three"})

    async def test_response(self, client: AnyClient, server: ReferenceServer) -> None:
        """str(response) and .text are the reply; to_dict() is the envelope's data."""
        bot = await run(client.resources.chatbots.get(name="example"))

        response = await run(bot.prompt("Hi"))

        assert isinstance(response, ChatbotResponse)
        assert str(response) == response.text == reply("Hi", 1)
        wire = response.to_dict()
        assert wire["request"]["session_key"] == response.session_key
        assert wire["response"]["data"]["body"]["choices"][0]["message"]["content"] == str(response)
        # The platform sends no x-request-id: the id is the call's own.
        assert response._request_id == server.requests[-1].headers["X-Smarter-RequestId"]

    async def test_request_id(self, bare_client: AnyClient, bare_server: ReferenceServer) -> None:
        """_request_id of a reply is the id of its response (the X-Smarter-RequestId sent)."""
        bot = await run(bare_client.resources.chatbots.get(name="example"))

        response = await run(bot.prompt("Hi"))

        assert response._request_id == client_request_id(bare_server, "POST", PROMPT)

    async def test_two_bots_keep_their_own_sessions(
        self, make_client: Callable[..., AnyClient]
    ) -> None:
        """Two chatbot objects of one client hold separate conversations."""
        client = make_client("sync")
        one = client.resources.chatbots.get(name="example")
        two = client.resources.chatbots.get(name="example")

        replies = [str(one.prompt("a")), str(two.prompt("b")), str(one.prompt("c"))]

        assert replies == [reply("a", 1), reply("b", 1), reply("c", 2)]


class TestUid:
    async def test_one_per_client(
        self, client: AnyClient, make_client: Callable[..., AnyClient], kind: str
    ) -> None:
        """Every chatbot of one client prompts with the same uid; another client has another."""
        first = await run(client.resources.chatbots.get(name="example"))
        second = await run(client.resources.chatbots.get(name="example"))
        other = await run(make_client(kind).resources.chatbots.get(name="example"))

        assert first.uid == second.uid == client.resources.chatbots.uid != other.uid
        assert len(first.uid) == 32

    async def test_shared_by_copies(self, client: AnyClient) -> None:
        """A with_options() copy prompts as the same session owner as its client."""
        copy = client.with_options(timeout=30)
        bot = await run(copy.resources.chatbots.get(name="example"))

        assert bot.uid == copy.resources.chatbots.uid == client.resources.chatbots.uid

    async def test_overridable(self, client: AnyClient, server: ReferenceServer) -> None:
        """get(name=, uid=) prompts with the caller's uid."""
        bot = await run(client.resources.chatbots.get(name="example", uid="user-42"))
        await run(bot.prompt("hi"))

        assert (bot.uid, server.requests_to("POST", PROMPT)[-1].query["uid"]) == (
            "user-42",
            "user-42",
        )


@pytest.fixture(params=["smarter-legacy", "smarter-v0.10"])
def legacy_server(request: pytest.FixtureRequest) -> Iterator[ReferenceServer]:
    """A platform from before the June 2026 rename: v0.13.223, then v0.10.21."""
    with ReferenceServer.in_thread(profile=request.param) as server:
        yield server


@pytest.fixture
async def legacy_client(kind: str, legacy_server: ReferenceServer) -> AsyncIterator[AnyClient]:
    """A client of the parametrised kind bound to :func:`legacy_server`."""
    async with bound_client(kind, legacy_server) as client:
        yield client


class TestLegacyServer:
    async def test_falls_back_and_stays(
        self, legacy_client: AnyClient, legacy_server: ReferenceServer
    ) -> None:
        """One answer naming the unknown kind, then only legacy routes, conversation kept.

        v0.13.x answers the kind it lacks with 500 "Could not find broker" (DRF ignores what
        initial() returns:
        smarter-sh/smarter@v0.13.223:smarter/smarter/apps/api/v1/cli/views/base.py), v0.10.x
        with 400; neither is retried.
        """
        bot = await run(legacy_client.resources.chatbots.get(name="example"))
        first = await run(bot.prompt("one"))
        second = await run(bot.prompt("two"))

        log = [(request.path, request.status) for request in legacy_server.requests]
        unknown_kind = 500 if legacy_server.profile.platform == "v0.13" else 400
        assert log == [
            (DESCRIBE, unknown_kind),
            ("cli/describe/chatbot/", 200),
            ("cli/chat/example/", 200),
            ("cli/chat/example/", 200),
        ]
        assert (bot.kind, str(first), str(second)) == ("Chatbot", reply("one", 1), reply("two", 2))
        assert first.session_key == second.session_key

    async def test_missing_bot_is_not_found(
        self, legacy_client: AnyClient, legacy_server: ReferenceServer
    ) -> None:
        """A missing bot on a legacy server is a NotFoundError naming it, not retried.

        v0.13.223 answers 503 NotReady; v0.10.21 a 500 AttributeError with no description
        (smarter-sh/smarter@v0.10.21:smarter/smarter/apps/chatbot/manifest/brokers/chatbot.py,
        describe()).
        """
        with pytest.raises(smarter.NotFoundError, match="no-such-bot"):
            await run(legacy_client.resources.chatbots.get(name="no-such-bot"))

        v013 = legacy_server.profile.platform == "v0.13"
        log = [(request.path, request.status) for request in legacy_server.requests]
        assert log == [
            (DESCRIBE, 500 if v013 else 400),
            ("cli/describe/chatbot/", 503 if v013 else 500),
        ]


class TestResumeASession:
    async def test_session_key_continues_a_conversation(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """get(session_key=) continues an earlier conversation from a fresh chatbot object."""
        first = await run(client.resources.chatbots.get(name="example"))
        reply = await run(first.prompt("hello"))

        again = await run(
            client.resources.chatbots.get(name="example", session_key=reply.session_key)
        )
        second = await run(again.prompt("more"))

        assert (second.session_key, "turn 2" in second.text) == (reply.session_key, True)
        assert server.requests[-1].query["new_session"] == "false"
