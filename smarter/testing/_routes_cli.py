"""Smarter platform ``cli/`` routes: whoami, describe a chatbot, prompt a chatbot.

Success bodies are the Smarter envelope ``{"data", "message", "api", "metadata"}``; errors
are the Smarter error shape ``{"error": {"description", "errorClass", "status"}, ...}``.

Two generations of the API exist. By default the server speaks the current one
(``cli/describe/llmclient/``, ``cli/prompt/<name>/``, kind ``LLMClient``, ``thing`` inside
``metadata``); with ``legacy_chatbots=True`` it speaks only the one before the June 2026
rename (``cli/describe/chatbot/``, ``cli/chat/<name>/``, kind ``Chatbot``, ``thing`` at the
top level), so a client's fallback from one to the other can be tested.
"""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from smarter.testing._http import CONTEXT, SMARTER_API, ApiError, json_body, json_response
from smarter.testing._model import count_words, generate
from smarter.testing._state import Chatbot, ChatSession, new_id

__all__ = ["ACCOUNT_NUMBER", "make_chatbot", "routes"]

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


def _envelope(
    request: web.Request, data: Any, message: str, command: str, thing: str
) -> web.Response:
    body: dict[str, Any] = {"data": data, "message": message, "api": SMARTER_API}
    if request.app[CONTEXT].legacy_chatbots:
        # Servers before the rename put ``thing`` at the top level.
        body["thing"] = thing
        body["metadata"] = {"command": command}
    else:
        body["metadata"] = {"command": command, "thing": thing}
    return json_response(body)


async def whoami(request: web.Request) -> web.Response:
    """``POST cli/whoami/``."""
    data = {
        "user": {
            "username": "reference",
            "email": "reference@example.com",
            "first_name": "Ada",
            "last_name": "Reference",
            "is_staff": False,
            "is_superuser": False,
        },
        "account": {
            "account_number": ACCOUNT_NUMBER,
            "company_name": "Smarter Reference Server",
            "phone_number": "+1 555 0100",
            "address1": "1 Loopback Lane",
            "city": "Localhost",
            "country": "US",
            "language": "en-US",
            "timezone": "UTC",
            "currency": "USD",
        },
        "environment": "reference",
    }
    return _envelope(request, data, "whoami", "whoami", "None")


def _iso(stamp: float) -> str:
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).isoformat()


def _manifest(request: web.Request, bot: Chatbot, kind: str) -> dict[str, Any]:
    context = request.app[CONTEXT]
    host = f"{bot.name}.{ACCOUNT_NUMBER}.api.smarter.sh"
    path = "chatbots" if context.legacy_chatbots else "llm-clients"
    sandbox = f"{context.url}{path}/{bot.name}/"
    return {
        "apiVersion": SMARTER_API,
        "kind": kind,
        "metadata": {
            "name": bot.name,
            "description": bot.description,
            "version": bot.version,
            "tags": [],
            "annotations": [],
        },
        "spec": {"config": dict(bot.config), "plugins": [], "functions": [], "apiKey": None},
        "status": {
            "accountNumber": ACCOUNT_NUMBER,
            "username": "reference",
            "created": _iso(bot.created_at),
            "modified": _iso(bot.created_at),
            "deployed": bool(bot.config.get("deployed", True)),
            "defaultHost": host,
            "defaultUrl": f"https://{host}/",
            "customUrl": None,
            "sandboxHost": context.url.split("/")[2] if context.url else None,
            "sandboxUrl": sandbox,
            "hostname": host,
            "url": f"https://{host}/",
            "urlChatapp": f"{sandbox}chatapp/",
            "dnsVerificationStatus": "Verified",
        },
    }


async def describe(request: web.Request) -> web.Response:
    """``GET|POST cli/describe/llmclient/?name=`` (legacy: ``cli/describe/chatbot/``)."""
    context = request.app[CONTEXT]
    # Smarter resolves the kind slug loosely: case, snake_case and a plural all work.
    slug = request.match_info["kind"].lower().replace("_", "").removesuffix("s")
    kind = "Chatbot" if context.legacy_chatbots else "LLMClient"
    if slug != kind.lower():
        raise ApiError(404, f"Unknown kind {request.match_info['kind']!r}.")
    name = request.query.get("name")
    if not name:
        raise ApiError(400, "The query parameter 'name' is required.")
    bot = context.state.chatbots.get(name)
    if bot is None:
        raise ApiError(404, f"{kind} {name!r} not found.")
    message = f"{kind} {name} described successfully"
    return _envelope(request, _manifest(request, bot, kind), message, "describe", kind)


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
    legacy = context.legacy_chatbots
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
        raise ApiError(404, f"Chatbot {name!r} not found.")
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
    return _envelope(request, data, f"Prompt sent to {name}", command, thing)


def routes(base: str, *, legacy: bool) -> list[web.RouteDef]:
    """The route table under ``base`` (``"/api/v1/"``) for one generation of the API."""
    chat = "cli/chat/{name}/" if legacy else "cli/prompt/{name}/"
    return [
        web.post(base + "cli/whoami/", whoami),
        web.get(base + "cli/describe/{kind}/", describe),
        web.post(base + "cli/describe/{kind}/", describe),
        web.post(base + chat, prompt),
    ]
