"""Error answers: which exception an answer of 400 or more is, and what its message says.

The message is the first that is present of the body shapes of PROTOCOL.md ("Every
response"): Smarter's ``error.description``, ``error.message``, ``{"error": str}``, FastAPI's
``detail`` (a validation list joined by ``; ``), ``message``; else ``Error code: <status>``
and the start of the text. The class is the status's (PROTOCOL.md), with what the real
servers' bodies say on top (``smarter-sh/smarter`` v0.14.19,
``smarter/smarter/apps/api/v1/cli/views/base.py`` ``dispatch()``, and the older generations):

- an authentication failure answered with 403 (a missing key, or any key on v0.13.x) is an
  :class:`AuthenticationError`, as a 401 is;
- a kind the server does not know (v0.13.x and later: 500 ``APIV1CLIViewError`` "Could not
  find broker"; v0.10.x: 400 ``SAMBadRequestError`` "Unsupported manifest kind") is a
  :class:`NotFoundError`, and is not retried;
- a missing object the broker reports as not ready (503 ``SAMBrokerErrorNotReady``: "...
  not found", "No connection found", "... is not ready") or not initialized (500), or the
  User broker's 500 about a manifest of ``NoneType``, is a :class:`NotFoundError`, and is
  not retried;
- an apply the kind's pydantic model refused (a 500 ``ValidationError``) is a
  :class:`BadRequestError`, and a 501 (a kind that refuses a verb) is not retried;
- the bug-report boilerplate the platform puts before 400/500/503 descriptions is dropped;
- a 404 or an answer that is not JSON names the method and the full URL, so that a wrong base
  URL is obvious; the error of a call that creates something says when the server may have
  acted.
"""

from __future__ import annotations

import re
from typing import Final

from smarter._exceptions import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    may_have_acted,
)
from smarter._fastpath import loads_json
from smarter._request import SERVICE_NAMES, SERVICE_SETTINGS
from smarter._response import HTTPResponse

__all__ = ["error_message", "make_status_error", "status_error_class"]

#: How much of an unrecognised error body ends up in the message.
_TEXT_LIMIT: Final = 500

_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

# The platform's errorClass values of a failed authentication (cli/views/base.py dispatch()
# maps them to 403; the token middleware answers 401).
_AUTH_CLASSES: Final = frozenset(
    {
        "SmarterAPIV1CLIViewErrorNotAuthenticated",
        "SmarterTokenAuthenticationError",
        "SmarterInvalidApiKeyError",
        "SmarterTokenError",
        "NotAuthenticated",
        "AuthenticationFailed",
    }
)
# "<class '...'>: Encountered an unexpected error. This is a bug. Please contact ... issues.. "
_BUG_REPORT = re.compile(
    r"^<class '[^']*'>: Encountered an unexpected error\. This is a bug\..*?\.\. "
)


def status_error_class(status: int) -> type[APIStatusError]:
    """The exception class of an HTTP status of 400 or more."""
    if status >= 500:
        return InternalServerError
    return _BY_STATUS.get(status, APIStatusError)


def _detail_message(detail: object) -> str | None:
    if isinstance(detail, str):
        # An empty detail (LLM Engine's unreadable-endpoint 404) says nothing: fall back.
        return detail or None
    if isinstance(detail, dict):
        # LLM Engine v2 passes an upstream (vLLM) error object through as its detail.
        message = detail.get("message")
        return message if isinstance(message, str) and message else None
    if isinstance(detail, list):
        msgs = [item["msg"] for item in detail if isinstance(item, dict) and "msg" in item]
        if msgs and all(isinstance(m, str) for m in msgs):
            return "; ".join(msgs)
    return None


def _known_message(body: object) -> str | None:
    """The message of a body in one of the shapes of PROTOCOL.md, else None."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        for key in ("description", "message"):
            value = error.get(key)
            if isinstance(value, str) and value:
                return _BUG_REPORT.sub("", value, count=1)
        if isinstance(error.get("errorClass"), str):
            # The platform journals an exception without a message (an AttributeError, say)
            # with an empty or null description.
            return f"{error['errorClass']} (the server gave no description)"
    elif isinstance(error, str):
        return error
    detail = _detail_message(body.get("detail"))
    if detail is not None:
        return detail
    message = body.get("message")
    return message if isinstance(message, str) else None


def error_message(status: int, content: bytes) -> tuple[str, object | None]:
    """The message and decoded body of an error response.

    Returns:
        ``(message, body)``: the body is the parsed JSON when it is JSON, else its text (or
        None when empty).
    """
    text = content.decode("utf-8", errors="replace")
    try:
        # Bounded nesting: a body nested a thousand deep is kept as text, not a RecursionError.
        body: object = loads_json(text)
    except ValueError:
        body = text or None
    message = _known_message(body)
    if message is None:
        snippet = text.strip()[:_TEXT_LIMIT]
        message = f"Error code: {status} - {snippet}" if snippet else f"Error code: {status}"
    return message, body


def _platform_error(body: object) -> tuple[str, str] | None:
    """The errorClass and description of a Smarter journaled error body, else None."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("errorClass"), str):
        return None
    description = error.get("description")
    return error["errorClass"], description if isinstance(description, str) else ""


_UNKNOWN_KIND: Final = "the server does not know this kind of resource"
_NO_CHATBOT: Final = "how a v0.10 platform answers for a chatbot that does not exist"


def _about(body: object) -> tuple[object, object]:
    """The (thing, command) a platform error body is about."""
    if not isinstance(body, dict):
        return None, None
    metadata = body.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    thing, command = body.get("thing", metadata.get("thing")), metadata.get("command")
    if thing is None or command is None:
        # With the platform's journal switch on, the metadata is a journal key instead
        # (smarter-sh/smarter@v0.10.21:smarter/smarter/lib/journal/http.py); the error's
        # context says the same: "thing=Chatbot, command=describe".
        error = body.get("error")
        context = error.get("context") if isinstance(error, dict) else None
        if isinstance(context, str):
            pairs = dict(part.strip().partition("=")[::2] for part in context.split(","))
            thing = thing if thing is not None else pairs.get("thing")
            command = command if command is not None else pairs.get("command")
    return thing, command


_Refined = tuple[type[APIStatusError], bool, str | None]


def _refine(status: int, cls: type[APIStatusError], body: object) -> _Refined:
    """What the platform's body says beyond its status: (class, permanent, note)."""
    found = _platform_error(body)
    if found is None:
        return cls, False, None
    error_class, description = found
    lowered = description.lower()
    if status in (401, 403) and (
        error_class in _AUTH_CLASSES or "unauthorized access attempted" in lowered
    ):
        return AuthenticationError, False, None
    missing = _missing(status, error_class, lowered, _about(body))
    if missing is not None:
        return missing
    if status == 500 and error_class == "ValidationError" and _about(body)[1] == "apply":
        # The kind's pydantic model refused the manifest; the platform answers any exception
        # it does not know with 500 (cli/views/base.py dispatch()). It will refuse it again.
        return (
            BadRequestError,
            True,
            "the platform refused the manifest: manifests.validate() checks it locally",
        )
    if (
        status == 500
        and error_class in ("DoesNotExist", "TypeError")
        and "prompt" in str(_about(body)[1])
    ):
        # smarter v0.14.19's cli/prompt/ route fails on every prompt (the June 2026 rename
        # left a lookup where the prompt text was: cli/views/nonbrokered/prompt.py).
        return (
            InternalServerError,
            True,
            (
                "the platform's prompt route failed (a known fault of smarter v0.14.19); "
                "retrying cannot help"
            ),
        )
    return cls, False, None


def _missing(
    status: int, error_class: str, lowered: str, about: tuple[object, object]
) -> _Refined | None:
    """A platform answer meaning "no such thing" or "no such kind": retrying cannot help."""
    if status == 500 and error_class == "AttributeError" and about == ("Chatbot", "describe"):
        # smarter-sh/smarter@v0.10.21:smarter/smarter/apps/chatbot/manifest/brokers/chatbot.py
        # describe() builds its "not ready" error from a manifest that is None.
        return NotFoundError, True, _NO_CHATBOT
    if (status == 500 and "could not find broker" in lowered) or (
        status == 400 and "unsupported manifest kind" in lowered
    ):
        return NotFoundError, True, _UNKNOWN_KIND
    if (
        error_class.startswith("SAM")
        and status in (500, 503)
        and ("not found" in lowered or "not initialized" in lowered)
    ):
        return NotFoundError, True, None
    command = about[1]
    if (
        status == 503
        and (error_class == "SAMBrokerErrorNotReady" or "not ready error" in lowered)
        and command in (None, "None", "describe", "delete", "deploy", "undeploy", "logs")
    ):
        # A broker that cannot load the object it is asked about says "not ready": "No
        # connection found", "SmarterAuthToken x is not ready", and on v0.10 (errorClass
        # "str") "describe() not ready error" (smarter-sh/smarter@v0.14.19:smarter/smarter/
        # apps/connection/manifest/brokers/api_connection.py, lib/drf/manifest/brokers/
        # auth_token.py; @v0.10.21: .../apps/api/v1/cli/views/base.py).
        return NotFoundError, True, None
    if status == 500 and error_class == "SAMUserBrokerError" and "nonetype" in lowered:
        # describe of a missing user: "Manifest must be of type SAMUser to describe, got
        # <class 'NoneType'>: None" (smarter-sh/smarter@v0.14.19:smarter/smarter/apps/
        # account/manifest/brokers/user.py describe()).
        return NotFoundError, True, None
    return None


def make_status_error(response: HTTPResponse) -> APIStatusError:
    """The exception of an error response, with its message extracted from the body."""
    status = response.status_code
    message, body = error_message(status, response.content)
    cls, permanent, note = _refine(status, status_error_class(status), body)
    request = response.request
    if note is not None:
        message = f"{message} ({note})"
    no_route = not isinstance(body, dict) or message.strip(" .").lower() == "not found"
    if request is not None and (no_route or message.startswith("Error code: ")):
        # A wrong base URL answers a bare 404, or a page that is not JSON; a body with no
        # message says nothing either: say where the request went (PROTOCOL.md, "Services
        # and base URLs").
        where = f"{request.method} {response.url}"
        if status == 404 and no_route:
            argument, variable = SERVICE_SETTINGS[request.service]
            where += f": no such route; check {argument} (or {variable})"
        message = f"{message} ({where})"
    if (
        request is not None
        and request.creates is not None
        and status >= 500
        and response.headers.get("x-should-retry") != "true"
    ):
        message = f"{message}. {may_have_acted(request)}"
    if cls is AuthenticationError and request is not None and request.key_from:
        message = f"{message} ({SERVICE_NAMES[request.service]} refused the key {request.key_from})"
    error = cls(message, response=response, body=body)
    # 501: the server does not implement it (a kind that refuses a verb); it never will.
    error._permanent = permanent or status == 501
    error._unknown_route = note == _UNKNOWN_KIND or (status == 404 and no_route)
    return error
