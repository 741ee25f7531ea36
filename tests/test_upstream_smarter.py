"""Smarter platform bodies shaped as upstream code shapes them, served raw, read through the client.

The bodies live in ``tests/upstream/smarter/``; ``tests/upstream/SOURCES.txt`` names, for each,
the ``smarter-sh/smarter`` view code (v0.14.19, v0.13.223, v0.10.21) that fixes its shape; the
values are invented. Each test serves bodies with the reference server's ``Fault(status=...,
body=...)`` over a real socket and checks where a user reads them: ``whoami()`` fields, chatbot
manifests and replies, and the exception, message and attempts of each journaled error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import run

import smarter
from smarter.testing import Fault, ReferenceServer

AnyClient = smarter.AsyncClient | smarter.Client

UPSTREAM = Path(__file__).parent / "upstream"
HERE = UPSTREAM / "smarter"
BOT = "harbor-helper"
MISSING = "tugboat-dispatch"
CURRENT = "cli/describe/llmclient/"
LEGACY = "cli/describe/chatbot/"
BUG_REPORT = "This is a bug. Please contact"


def body(name: str) -> Any:
    """The decoded JSON body of ``tests/upstream/smarter/<name>``."""
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def sources() -> dict[str, tuple[str, str]]:
    """``SOURCES.txt``: file -> (upstream source, note)."""
    rows = {}
    for line in (UPSTREAM / "SOURCES.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            file, source, note = line.split("\t")
            rows[file] = (source, note)
    return rows


def status_of(name: str) -> int:
    """The HTTP status SOURCES.txt gives for the body ``name`` (200 when it names none)."""
    found = re.search(r"HTTP (\d{3})", sources()[f"smarter/{name}"][1])
    return int(found.group(1)) if found else 200


def serve(server: ReferenceServer, method: str, route: str, name: str, times: int = 1) -> None:
    """Answer the next ``times`` requests to ``route`` with the file ``name`` and its status."""
    fault = Fault(
        status=status_of(name), body=(HERE / name).read_bytes(), content_type="application/json"
    )
    server.inject(method, route, *[fault] * times)


def count(server: ReferenceServer, route: str) -> int:
    """How many POSTs reached ``route``."""
    return len(server.requests_to("POST", route))


def test_sources_list_every_body_once() -> None:
    """SOURCES.txt has a line per body file here, each citing lines of a tagged smarter file."""
    listed = {file: row for file, row in sources().items() if file.startswith("smarter/")}
    present = {f"smarter/{path.name}" for path in HERE.iterdir()}
    pattern = (
        r"smarter-sh/smarter@v0\.(14\.19|13\.223|10\.21):smarter/smarter/[\w/.-]+#L\d+(-L\d+)?"
    )
    assert (sorted(listed), all(re.fullmatch(pattern, s) for s, _ in listed.values())) == (
        sorted(present),
        True,
    )


def test_error_bodies_carry_their_status() -> None:
    """Each error body's error.status is the HTTP status its note gives (an int from v0.14 only)."""
    for path in HERE.glob("error-*.json"):
        status = body(path.name)["error"]["status"]
        expected = status_of(path.name)
        assert status == (expected if "v0.14" in path.name else str(expected)), path.name
    journaled = body("error-500-chatbot-describe-v0.10-journal.json")
    assert journaled["error"] == body("error-500-chatbot-describe-v0.10.json")["error"]


class TestWhoAmI:
    @pytest.mark.parametrize(
        ("name", "staff"),
        [
            ("whoami-v0.14.json", False),
            ("whoami-v0.14-journal.json", False),
            ("whoami-v0.13.json", False),
            ("whoami-v0.10.json", True),
        ],
    )
    async def test_body(
        self, name: str, staff: bool, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A whoami body (nonbrokered/whoami.py): camelCase on v0.14/v0.13, snake_case on v0.10."""
        wire = body(name)
        serve(server, "POST", "cli/whoami/", name)

        me = await run(client.whoami())

        user, account = me.user, me.account
        names = (user.username, user.first_name, user.last_name, user.email)
        assert names == ("mkowalski", "Marta", "Kowalski", "marta.kowalski@harbor.example")
        assert (user.is_staff, user.is_superuser) == (staff, False)
        assert account is not None
        assert (account.account_number, account.company_name) == (
            "4207-1618-0339",
            "Harbor Freight Analytics",
        )
        assert (me.environment, me.to_dict()) == (wire["data"]["environment"], wire["data"])
        # Fields the client does not model stay readable: the user's id, the account's currency.
        assert (user.id, account.currency) == (57, "USD")
        assert user.model_fields_set == {
            "username",
            "email",
            "first_name",
            "last_name",
            "is_staff",
            "is_superuser",
        }


class TestChatbots:
    async def test_describe_current(self, client: AnyClient, server: ReferenceServer) -> None:
        """An LLMClient manifest (llm_client.py#L992-L1000) lands on the chatbot, in one call."""
        wire = body("describe-llmclient-v0.14.json")["data"]
        serve(server, "POST", CURRENT, "describe-llmclient-v0.14.json")

        bot = await run(client.resources.chatbots.get(name=BOT))

        assert (bot.name, bot.kind, bot.version, bot.description) == (
            BOT,
            "LLMClient",
            "0.3.1",
            "Answers questions about the harbor schedule",
        )
        assert (
            bot.spec["config"]["defaultModel"],
            bot.spec["apiKey"],
            bot.status["urlLLMClient"],
        ) == (
            "gpt-4o-mini",
            None,
            "https://platform.smarter.sh/api/v1/llm-clients/rMTAwMDA0Mgx/prompt/",
        )
        assert (bot.to_dict(), bot.manifest.api_version) == (wire, "smarter.sh/v1")
        assert (count(server, CURRENT), count(server, LEGACY)) == (1, 0)

    async def test_describe_legacy(self, client: AnyClient, server: ReferenceServer) -> None:
        """On v0.13 describe/llmclient/ is an unknown kind (500): describe/chatbot/ answers."""
        serve(server, "POST", CURRENT, "error-500-unknown-kind-v0.13.json")
        serve(server, "POST", LEGACY, "describe-chatbot-v0.13.json")

        bot = await run(client.resources.chatbots.get(name=BOT))

        assert (bot.name, bot.kind, bot.status["urlChatbot"]) == (
            BOT,
            "Chatbot",
            "https://platform.smarter.sh/api/v1/chatbots/rMTAwMDA0Mgx/chat/",
        )
        assert bot.to_dict() == body("describe-chatbot-v0.13.json")["data"]
        assert (count(server, CURRENT), count(server, LEGACY)) == (1, 1)

    async def test_prompt_current(self, client: AnyClient, server: ReferenceServer) -> None:
        """prompt/<name>/ (prompt.py#L386-L500): str(reply) and session_key; the next continues."""
        wire = body("prompt-v0.14.json")["data"]
        serve(server, "POST", CURRENT, "describe-llmclient-v0.14.json")
        serve(server, "POST", f"cli/prompt/{BOT}/", "prompt-v0.14.json", times=2)
        bot = await run(client.resources.chatbots.get(name=BOT))

        reply = await run(bot.prompt("When is high tide today?"))
        await run(bot.prompt("And tomorrow?"))

        session = wire["request"]["session_key"]
        assert (
            str(reply)
            == "High tide at Portland Head is at 11:42, 3.1 m; berth 4 is free from noon."
        )
        assert (reply.session_key, bot.session_key, reply.to_dict()) == (session, session, wire)
        sent = server.requests_to("POST", f"cli/prompt/{BOT}/")
        assert [(r.query["new_session"], json.loads(r.body).get("session_key")) for r in sent] == [
            ("true", None),
            ("false", session),
        ]
        assert count(server, f"cli/chat/{BOT}/") == 0

    async def test_prompt_legacy(self, client: AnyClient, server: ReferenceServer) -> None:
        """A chatbot described by v0.13 prompts cli/chat/<name>/ (chat.py#L378-L490) directly."""
        wire = body("chat-v0.13.json")["data"]
        serve(server, "POST", CURRENT, "error-500-unknown-kind-v0.13.json")
        serve(server, "POST", LEGACY, "describe-chatbot-v0.13.json")
        serve(server, "POST", f"cli/chat/{BOT}/", "chat-v0.13.json")
        bot = await run(client.resources.chatbots.get(name=BOT))

        reply = await run(bot.prompt("When is high tide today?"))

        assert (str(reply), reply.session_key) == (
            "High tide at Portland Head is at 11:42, 3.1 m; berth 4 is free from noon.",
            wire["request"]["session_key"],
        )
        assert (reply.response["thing"], reply.to_dict()) == ("Chatbot", wire)
        assert (count(server, f"cli/prompt/{BOT}/"), count(server, f"cli/chat/{BOT}/")) == (0, 1)


AUTH_ERRORS = [
    "error-401-bad-key-v0.14.json",
    "error-401-bad-key-v0.10.json",
    "error-403-bad-key-v0.13.json",
    "error-403-missing-key-v0.14.json",
    "error-403-missing-key-v0.13.json",
    "error-403-missing-key-v0.10.json",
]


@pytest.mark.parametrize("name", AUTH_ERRORS)
async def test_auth_error(
    name: str, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
) -> None:
    """401/403 journaled auth errors (middleware.py, cli/views/base.py) are AuthenticationError."""
    serve(server, "POST", "cli/whoami/", name, times=3)
    client = make_client(kind, max_retries=2)

    with pytest.raises(smarter.APIStatusError) as caught:
        await run(client.whoami())

    error = caught.value
    assert (type(error), error.status_code) == (smarter.AuthenticationError, status_of(name))
    # The description, then which service refused which key (make_client passes api_key=).
    said = body(name)["error"]["description"]
    assert (error.message, error.body) == (
        f"{said} (the Smarter platform refused the key given as api_key=)",
        body(name),
    )
    assert count(server, "cli/whoami/") == 1


# (current route's body, legacy route's body or None, what the message names)
MISSING_BOTS = [
    ("error-503-llmclient-not-found-v0.14.json", None, f"LLMClient {MISSING} not found"),
    (
        "error-500-unknown-kind-v0.13.json",
        "error-503-chatbot-not-found-v0.13.json",
        f"Chatbot {MISSING} not found",
    ),
    (
        "error-400-unknown-kind-v0.10.json",
        "error-500-chatbot-describe-v0.10.json",
        f"No chatbot named '{MISSING}'",
    ),
]


@pytest.mark.parametrize(
    ("current", "legacy", "named"), MISSING_BOTS, ids=["v0.14", "v0.13", "v0.10"]
)
async def test_missing_chatbot(
    current: str,
    legacy: str | None,
    named: str,
    kind: str,
    make_client: Callable[..., AnyClient],
    server: ReferenceServer,
) -> None:
    """A missing chatbot (503 NotReady; v0.10: 500 AttributeError) is NotFoundError, not retried."""
    serve(server, "POST", CURRENT, current, times=3)
    if legacy is not None:
        serve(server, "POST", LEGACY, legacy, times=3)
    client = make_client(kind, max_retries=2)

    with pytest.raises(smarter.NotFoundError) as caught:
        await run(client.resources.chatbots.get(name=MISSING))

    message = caught.value.message
    assert named in message
    assert BUG_REPORT not in message
    assert "Encountered an unexpected error" not in message
    assert (count(server, CURRENT), count(server, LEGACY)) == (1, 0 if legacy is None else 1)


UNKNOWN_KINDS = [
    ("error-500-unknown-kind-v0.14.json", "Could not find broker"),
    ("error-500-unknown-kind-v0.13.json", "Could not find broker"),
    ("error-400-unknown-kind-v0.10.json", "Unsupported manifest kind"),
]


@pytest.mark.parametrize(("name", "says"), UNKNOWN_KINDS, ids=["v0.14", "v0.13", "v0.10"])
async def test_unknown_kind(
    name: str, says: str, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
) -> None:
    """A server that knows neither kind (cli/views/base.py) answers NotFoundError, not retried."""
    serve(server, "POST", CURRENT, name, times=3)
    serve(server, "POST", LEGACY, name, times=3)
    client = make_client(kind, max_retries=2)

    with pytest.raises(smarter.NotFoundError) as caught:
        await run(client.resources.chatbots.get(name=MISSING))

    error = caught.value
    assert (says in error.message, BUG_REPORT in error.message, error.status_code) == (
        True,
        False,
        status_of(name),
    )
    assert (count(server, CURRENT), count(server, LEGACY)) == (1, 1)


async def test_missing_chatbot_journaled_v010(
    kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
) -> None:
    """v0.10 journaled (lib/journal/http.py#L112-L148): a missing chatbot is NotFoundError."""
    serve(server, "POST", CURRENT, "error-400-unknown-kind-v0.10.json", times=3)
    serve(server, "POST", LEGACY, "error-500-chatbot-describe-v0.10-journal.json", times=3)
    client = make_client(kind, max_retries=2)

    with pytest.raises(smarter.NotFoundError) as caught:
        await run(client.resources.chatbots.get(name=MISSING))

    assert f"No chatbot named '{MISSING}'" in caught.value.message
    assert (count(server, CURRENT), count(server, LEGACY)) == (1, 1)
