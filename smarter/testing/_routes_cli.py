"""Smarter platform ``cli/`` routes that no broker serves: whoami, version, status, prompt.

Success bodies are the envelope of :mod:`smarter.testing._platform`; errors the journaled
error of the profile's generation. The ``smarter`` profile speaks v0.14.19
(``cli/prompt/<name>/``, camelCase whoami); ``smarter-legacy`` v0.13.223 and ``smarter-v0.10``
v0.10.21 the names before the June 2026 rename (``cli/chat/<name>/``; v0.10 answers whoami in
snake_case). Describing a chatbot is the manifest routes' (:mod:`._routes_manifests`), which
build its manifest with :func:`chatbot_manifest`.
"""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from smarter.testing._http import CONTEXT, SMARTER_API, ApiError, json_body
from smarter.testing._model import count_words, generate
from smarter.testing._platform import VERSIONS, envelope
from smarter.testing._profiles import Generation
from smarter.testing._state import Chatbot, ChatSession, new_id

__all__ = ["ACCOUNT_NUMBER", "chatbot_manifest", "make_chatbot", "routes"]

ACCOUNT_NUMBER = "3141-5926-5359"
_SESSION_KEY = re.compile(r"[0-9a-fA-F]{64}")
_REPLY_WORDS = 8


def make_chatbot(spec: str | Mapping[str, Any]) -> Chatbot:
    """Build a chatbot from a name or a mapping.

    Args:
        spec: ``"my-bot"`` or ``{"name", "description", "version", ...}``; a ``config``
            mapping and any other key go into the manifest's ``spec.config``.

    Returns:
        The chatbot.
    """
    fields: dict[str, Any] = {"name": spec} if isinstance(spec, str) else dict(spec)
    name = fields.pop("name", None)
    if not isinstance(name, str) or not name:
        raise ValueError(f"a chatbot needs a name: {spec!r}")
    description = str(fields.pop("description", f"The {name} chatbot of the reference server."))
    version = str(fields.pop("version", "1.0.0"))
    config: dict[str, Any] = {
        "subdomain": name,
        "customDomain": None,
        "deployed": True,
        "provider": "openai",
        "defaultModel": "gpt-4o-mini",
        "defaultSystemRole": "You are a helpful assistant.",
        "defaultTemperature": 0.5,
        "defaultMaxTokens": 256,
        "appName": name.replace("-", " ").title(),
        "appAssistant": "Reference",
        "appWelcomeMessage": f"Welcome to {name}!",
        "appExamplePrompts": ["Hello, World!", "What can you do?"],
        "appPlaceholder": "Type a message...",
        "appInfoUrl": "https://smarter.sh",
        "appBackgroundImageUrl": None,
        "appLogoUrl": None,
        "appFileAttachment": False,
    }
    config.update(fields.pop("config", None) or {})
    config.update(fields)
    return Chatbot(name=name, description=description, version=version, config=config)


_USER = {
    "id": 4,
    "username": "reference",
    "email": "reference@example.com",
    "first_name": "Ada",
    "last_name": "Reference",
    # The account's admin, as on a self-hosted platform: every verb of every kind is allowed
    # (the brokers refuse most writes to users who are not staff).
    "is_staff": True,
    "is_superuser": True,
}
_ACCOUNT = {
    "id": 2,
    "account_number": ACCOUNT_NUMBER,
    "company_name": "Smarter Reference Server",
    "phone_number": "+1 555 0100",
    "address1": "1 Loopback Lane",
    "city": "Localhost",
    "country": "US",
    "language": "en-US",
    "timezone": "UTC",
    "currency": "USD",
    "is_active": True,
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


async def whoami(request: web.Request) -> web.Response:
    """``POST cli/whoami/``: camelCase since v0.13 (a camel-casing serializer), snake before."""
    snake = request.app[CONTEXT].profile.platform == "v0.10"
    user, account = dict(_USER), dict(_ACCOUNT)
    if not snake:
        user = {_camel(key): value for key, value in user.items()}
        account = {_camel(key): value for key, value in account.items()}
    data = {"user": user, "account": account, "environment": "reference"}
    return envelope(request, data, None, "whoami", "None")


def _iso(stamp: float) -> str:
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).isoformat()


def chatbot_manifest(request: web.Request, bot: Chatbot, kind: str) -> dict[str, Any]:
    """The manifest ``describe`` answers for a chatbot, status included."""
    context = request.app[CONTEXT]
    host = f"{bot.name}.{ACCOUNT_NUMBER}.api.smarter.sh"
    path = "llm-clients" if kind == "LLMClient" else "chatbots"
    sandbox = f"{context.root}api/v1/{path}/{bot.name}/"
    return {
        "apiVersion": SMARTER_API,
        "kind": kind,
        "metadata": {
            "name": bot.name,
            "description": bot.description,
            "version": bot.version,
            "tags": list(bot.tags),
            "annotations": list(bot.annotations),
        },
        "spec": {
            "config": dict(bot.config),
            "plugins": list(bot.plugins),
            "functions": list(bot.functions),
            "apiKey": bot.api_key,
        },
        "status": {
            "accountNumber": ACCOUNT_NUMBER,
            "username": "reference",
            "created": _iso(bot.created_at),
            "modified": _iso(bot.modified_at),
            "deployed": bool(bot.config.get("deployed", True)),
            "defaultHost": host,
            "defaultUrl": f"https://{host}/",
            "customUrl": None,
            "sandboxHost": context.root.split("/")[2] if context.root else None,
            "sandboxUrl": sandbox,
            "hostname": host,
            "url": f"https://{host}/",
            "urlChatapp": f"{sandbox}chatapp/",
            "dnsVerificationStatus": "Verified",
        },
    }


def _session(
    request: web.Request, bot: Chatbot, uid: str, new_session: bool, key: str | None
) -> ChatSession:
    state = request.app[CONTEXT].state
    if new_session or key is None:
        system = {"role": "system", "content": str(bot.config.get("defaultSystemRole", ""))}
        session = ChatSession(bot.name, uid, secrets.token_hex(32), [system])
        state.sessions[(bot.name, uid, session.key)] = session
        return session
    found = state.sessions.get((bot.name, uid, key))
    if found is None:
        raise ApiError(404, f"Session {key!r} not found for this chatbot and uid.")
    return found


async def prompt(request: web.Request) -> web.Response:
    """``POST cli/prompt/{name}/?uid=&new_session=`` (legacy: ``cli/chat/{name}/``)."""
    context = request.app[CONTEXT]
    legacy = context.profile.legacy
    uid = request.query.get("uid")
    if not uid:
        raise ApiError(400, "The query parameter 'uid' is required.")
    flag = request.query.get("new_session", "false").lower()
    if flag not in ("true", "false"):
        raise ApiError(400, f"new_session must be 'true' or 'false', not {flag!r}.")
    body = await json_body(request)
    text = body.get("prompt")
    if not isinstance(text, str) or not text:
        raise ApiError(400, "The body field 'prompt' is required.")
    key = body.get("session_key")
    if key is not None and (not isinstance(key, str) or not _SESSION_KEY.fullmatch(key)):
        raise ApiError(400, "session_key must be 64 hexadecimal characters.")
    name = request.match_info["name"]
    bot = context.state.chatbots.get(name)
    if bot is None:
        # cli/views/nonbrokered/prompt.py post(): the client lookup's DoesNotExist, 404.
        noun = "ChatBot" if legacy else "LLMClient"
        raise ApiError(
            404,
            f"post() {noun} {name} not found for account {ACCOUNT_NUMBER}",
            error_class="DoesNotExist",
            thing="Chat" if legacy else "Prompt",
        )
    with context.state.lock:
        session = _session(request, bot, uid, flag == "true", key)
        session.messages.append({"role": "user", "content": text})
        sent = [dict(message) for message in session.messages]
        words = generate(text, _REPLY_WORDS, choice=session.turns).text.strip()
        reply = f"[{name}] turn {session.turns}: {words}"
        session.messages.append({"role": "assistant", "content": reply})
    prompt_tokens = sum(count_words(message["content"]) for message in sent)
    completion_tokens = count_words(reply)
    model = str(bot.config.get("defaultModel", "gpt-4o-mini"))
    completion = {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(datetime.datetime.now().timestamp()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": reply, "tool_calls": None},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "metadata": {
            "tool_calls": None,
            "model": model,
            "temperature": bot.config.get("defaultTemperature"),
            "max_completion_tokens": bot.config.get("defaultMaxTokens"),
            "input_text": text,
        },
    }
    command = "chat" if legacy else "prompt"
    data = {
        "request": {"session_key": session.key, "messages": sent},
        "response": {
            "data": {
                "isBase64Encoded": False,
                "statusCode": 200,
                "headers": {"Content-Type": "application/json"},
                "body": completion,
            },
            "api": SMARTER_API,
            "thing": "Chatbot" if legacy else "LLMClient",
            "metadata": {"command": command},
        },
    }
    thing = "Chat" if legacy else "Prompt"
    return envelope(request, data, f"Prompt sent to {name}", command, thing)


async def version(request: web.Request) -> web.Response:
    """``POST cli/version/``: the platform's version and its Python packages."""
    generation = request.app[CONTEXT].profile.platform
    python = {"django": "6.0.4", "pydantic": "2.12.5", "python": "3.13.5",
              "rest_framework": "3.17.1", "openai": "2.8.1"}  # fmt: skip
    data = {"api": {"version": VERSIONS[generation], "python": python}, "cli": {"version": "0.2.1"}}
    return envelope(request, data, None, "version", "None")


async def status(request: web.Request) -> web.Response:
    """``POST cli/status/``: the platform's infrastructure and compute."""
    data = {
        "infrastructures": {
            "kubernetes": {"version": "reference"},
            "mysql": {"version": "8.4", "host": "127.0.0.1"},
            "redis": {"redis_version": "7.4.1", "os": "Linux"},
        },
        "compute": {"machine": "x86_64", "platform": "reference", "system": "Linux"},
    }
    return envelope(request, data, None, "status", "None")


def routes(base: str, *, generation: Generation) -> list[web.RouteDef]:
    """The route table under ``base`` (``"/api/v1/"``) for one generation of the API."""
    chat = "cli/prompt/{name}/" if generation == "v0.14" else "cli/chat/{name}/"
    return [
        web.post(base + "cli/whoami/", whoami),
        web.post(base + "cli/version/", version),
        web.post(base + "cli/status/", status),
        web.post(base + chat, prompt),
    ]
