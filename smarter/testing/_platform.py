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
- a missing LLM client (chatbot) is the broker's ``SAMBrokerErrorNotReady``: 503;
- a broker's error on v0.10 is journaled as a string (``errorClass: "str"``), and a broker
  error that is not one of the four mapped ones is a 400 there (``isinstance`` mapping), not
  the 500 of later generations (exact-type mapping);
- ``apply`` reads its body by ``Content-Type`` (DRF parsers, ``smarter/smarter/settings/
  base.py``): JSON, or YAML as ``application/x-yaml``; YAML sent as JSON is DRF's 400
  ``{"detail": "JSON parse error - ..."}``. v0.10 reads the raw body as JSON, else YAML.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from smarter.testing._http import CONTEXT, SMARTER_API, ApiError, json_response
from smarter.testing._profiles import Generation

__all__ = [
    "VERSIONS",
    "broker_error",
    "chatbot_kind",
    "drf_error",
    "envelope",
    "manifest_body",
    "resolve_kind",
    "unknown_kind",
]

#: The platform version each generation reports (``cli/version/``).
VERSIONS: dict[Generation, str] = {"v0.14": "0.14.19", "v0.13": "0.13.223", "v0.10": "0.10.21"}


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


def unknown_kind(generation: Generation, kinds: list[str], named: str | None = None) -> ApiError:
    """The error of a kind the server has no broker for (*named*: the kind of an apply body)."""
    if generation == "v0.10":
        return ApiError(
            400,
            f"Unsupported manifest kind: {named}. should be one of {kinds}",
            error_class="SAMBadRequestError",
        )
    return ApiError(
        500,
        "Smarter api v1 command-line interface error: Could not find broker for "
        f"{named or '<-- Missing -->'} manifest.",
        error_class="APIV1CLIViewError",
    )


def broker_error(
    generation: Generation, status: int, error_class: str, message: str, thing: str
) -> ApiError:
    """A broker's exception as the generation's ``dispatch()`` answers it."""
    if generation == "v0.10" and error_class.startswith("SAM"):
        # smarter-sh/smarter@v0.10.21:smarter/smarter/apps/api/v1/cli/views/base.py: broker
        # errors are passed on as their formatted message (a str), and any SAMBrokerError
        # but the four mapped ones is a 400.
        return ApiError(400 if status == 500 else status, message, error_class="str", thing=thing)
    return ApiError(status, message, error_class=error_class, thing=thing)


async def manifest_body(request: web.Request, generation: Generation) -> Any:
    """The body of an apply, parsed as the generation parses it (None when empty)."""
    raw = await request.read()
    if not raw.strip():
        return None
    text = raw.decode("utf-8", errors="replace")
    media = request.content_type
    if generation != "v0.10" and media == "application/json":
        try:
            return json.loads(text)
        except ValueError as exc:
            # DRF's JSONParser raises ParseError, which DRF answers itself (not journaled).
            raise _DrfParseError(f"JSON parse error - {exc}") from None
    if generation != "v0.10" and media not in ("application/x-yaml", "application/json"):
        raise _DrfParseError(f'Unsupported media type "{media}" in request.', status=415)
    try:
        return json.loads(text)
    except ValueError:
        pass
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        if generation == "v0.10":
            raise ApiError(
                400,
                "Could not parse manifest. Valid formats: yaml, json.",
                error_class="APIV1CLIViewError",
            ) from None
        # lib/drf/parsers.py catches only ValueError: PyYAML's own error is a journaled 500.
        raise ApiError(500, str(exc), error_class=type(exc).__name__) from None


class _DrfParseError(ApiError):
    """A DRF-native error: ``{"detail": ...}``, not journaled (rendered by the route)."""

    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(status, detail)


def drf_error(error: ApiError) -> web.Response | None:
    """The DRF-native answer of *error*, if it is one."""
    if isinstance(error, _DrfParseError):
        return json_response({"detail": error.message}, status=error.status)
    return None
