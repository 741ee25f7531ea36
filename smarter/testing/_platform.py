"""What the platform's ``cli/`` routes share: envelopes, kind slugs and errors, per generation.

Read from ``smarter-sh/smarter`` at v0.14.19 (``smarter/smarter/lib/journal/http.py``,
``smarter/smarter/apps/api/v1/cli/brokers.py``, ``.../cli/views/base.py``) and at the tags
v0.13.223 and v0.10.21:

- a success is ``{"data", "message", "api": "smarter.sh/v1", "metadata": {"command",
  "thing"}}``; before v0.14, ``thing`` is at the top level and ``metadata`` holds only
  ``command``;
- a kind slug is matched case-insensitively, snake_case turned camelCase and one trailing
  ``s`` dropped: ``llm_client``, ``LLMClient`` and ``llmclients`` name one kind, ``llm-client``
  none;
- an unknown kind is a 500 ``APIV1CLIViewError`` ("Could not find broker") from v0.13 on (DRF
  ignores what ``initial()`` returns), and a 400 ``SAMBadRequestError`` ("Unsupported
  manifest kind") on v0.10;
- a missing LLM client (chatbot) is the broker's ``SAMBrokerErrorNotReady``: 503.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from smarter.testing._http import CONTEXT, SMARTER_API, ApiError, json_response
from smarter.testing._profiles import Generation

__all__ = ["chatbot_kind", "envelope", "resolve_kind", "unknown_kind"]


def chatbot_kind(generation: Generation) -> str:
    """The kind of a chatbot: ``LLMClient`` since the June 2026 rename, ``Chatbot`` before."""
    return "LLMClient" if generation == "v0.14" else "Chatbot"


def resolve_kind(slug: str, kinds: list[str]) -> str | None:
    """The kind of *kinds* a URL slug names, as the platform's broker lookup matches it."""
    wanted = slug.lower().replace("_", "")
    if wanted.endswith("s"):
        wanted = wanted[:-1]
    return next((kind for kind in kinds if kind.lower() == wanted), None)


def envelope(
    request: web.Request, data: Any, message: str | None, command: str, thing: str
) -> web.Response:
    """A success answer in the envelope of the server's generation."""
    body: dict[str, Any] = {}
    if data is not None:
        body["data"] = data
    if message:
        body["message"] = message
    body["api"] = SMARTER_API
    if request.app[CONTEXT].profile.platform == "v0.14":
        body["metadata"] = {"command": command, "thing": thing}
    else:
        body["thing"] = thing
        body["metadata"] = {"command": command}
    return json_response(body)


def unknown_kind(generation: Generation, kinds: list[str]) -> ApiError:
    """The error of a kind slug the server has no broker for."""
    if generation == "v0.10":
        return ApiError(
            400,
            f"Unsupported manifest kind: None. should be one of {kinds}",
            error_class="SAMBadRequestError",
        )
    return ApiError(
        500,
        "Smarter api v1 command-line interface error: Could not find broker for "
        "<-- Missing --> manifest.",
        error_class="APIV1CLIViewError",
    )
