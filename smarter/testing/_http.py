"""What every route shares: the server context, mounts, error shapes, JSON and pagination.

One server serves three services on one port (PROTOCOL.md, "Services and base URLs"): the
Smarter platform under ``/api/v1/``, an LLM Engine at the root (``/v1/...``, ``/v2/...``),
and an OpenAI-compatible server under ``/openai/v1/``. A request's path is read relative to
its service's mount (``cli/whoami/``, ``v1/files``, ``chat/completions``): faults and the
request log use that path.

Each family answers errors in the shape of the real server it stands for, so that a client
meets every shape of PROTOCOL.md "Every response":

- ``cli/*`` (Smarter platform): the journaled error of the profile's generation,
  ``{"error": {"errorClass", "stacktrace", "description", "status", ...}, "api", ...}``;
- ``v1/*``, ``v2/*`` (LLM Engine, FastAPI): ``{"detail": str}`` or, for validation errors
  (422), ``{"detail": [{"loc", "msg", "type"}]}``;
- ``chat/completions``, ``responses`` (OpenAI-compatible): ``{"error": {"message", "type",
  "code"}}``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import json
from collections.abc import Callable, Sequence
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from aiohttp import web

from smarter.testing._faults import Fault, FaultQueue
from smarter.testing._profiles import Generation, Profile
from smarter.testing._state import RequestLog, ServerState

if TYPE_CHECKING:
    from smarter.testing._limits import Limits

__all__ = [
    "CONTEXT",
    "ENGINE_PATH",
    "OPENAI_PATH",
    "PLATFORM_PATH",
    "FAULT",
    "LOG_HANDLE",
    "REQUEST_ID",
    "SMARTER_API",
    "ApiError",
    "Context",
    "Invalid",
    "error_body",
    "error_response",
    "family_of",
    "json_body",
    "json_response",
    "paginate",
    "reason",
    "relative_path",
    "service_of",
]

SMARTER_API = "smarter.sh/v1"
PLATFORM_PATH = "/api/v1/"
OPENAI_PATH = "/openai/v1/"
ENGINE_PATH = "/"
# What the platform puts before a 400, 500 or 503 description (cli/views/base.py dispatch()).
_BUG_REPORT = (
    "Encountered an unexpected error. This is a bug. Please contact the maintainers and/or "
    "report to https://github.com/smarter-sh/smarter/issues.."
)

_CLI_ERROR_CLASSES = {
    400: "SmarterValueError",
    401: "SmarterTokenAuthenticationError",
    403: "SmarterPermissionError",
    404: "SAMBrokerErrorNotFound",
    405: "SAMBrokerReadOnlyError",
    501: "SAMBrokerErrorNotImplemented",
    503: "SAMBrokerErrorNotReady",
}
_OPENAI_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


_T = TypeVar("_T")


@dataclasses.dataclass
class Context:
    """The server's settings and memory, shared by the middleware and every route."""

    state: ServerState
    log: RequestLog
    faults: FaultQueue
    api_key: str
    profile: Profile
    upload_dir: Path
    keepalive_interval: float
    token_delay: float
    job_step: float
    root: str = ""
    """The server's root URL (``http://127.0.0.1:<port>/``), known once it listens."""
    stopping: asyncio.Event | None = None
    """Set when the server stops, so that sleeping handlers end at once."""
    limits: Limits | None = None
    """The rate and concurrency limits, and the count of requests in flight."""

    async def sleep(self, seconds: float) -> None:
        """Sleep, or raise :class:`asyncio.CancelledError` early when the server stops."""
        if seconds <= 0:
            return
        if self.stopping is None:
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(self.stopping.wait(), seconds)
        except asyncio.TimeoutError:
            return
        raise asyncio.CancelledError


def _request_key(name: str, kind: type[_T]) -> web.RequestKey[_T]:
    # aiohttp warns about plain string keys on a request since it has typed keys; older
    # versions (before RequestKey) take the plain string silently.
    factory = getattr(web, "RequestKey", None)
    if factory is None:
        return cast("web.RequestKey[_T]", name)
    return cast("web.RequestKey[_T]", factory(name, kind))


CONTEXT = web.AppKey("smarter_testing_context", Context)
REQUEST_ID = _request_key("smarter_testing_request_id", str)
FAULT = _request_key("smarter_testing_fault", Fault)
LOG_HANDLE: web.RequestKey[tuple[int, int]] = _request_key("smarter_testing_log_handle", tuple)


def reason(status: int) -> str:
    """The reason phrase of a status (``"Error"`` for an unknown one)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def service_of(request: web.BaseRequest) -> str:
    """The service a request is for: ``platform``, ``openai`` or ``llm_engine``."""
    raw = request.raw_path
    if raw.startswith(PLATFORM_PATH):
        return "platform"
    if raw.startswith(OPENAI_PATH):
        return "openai"
    return "llm_engine"


def relative_path(request: web.BaseRequest) -> str:
    """The request path relative to its service's mount, percent-encoding kept, no query."""
    raw = request.raw_path.partition("?")[0]
    for mount in (PLATFORM_PATH, OPENAI_PATH):
        if raw.startswith(mount):
            return raw[len(mount) :]
    return raw.lstrip("/")


def family_of(path: str) -> str:
    """The error-shape family of a relative path: ``cli``, ``llm`` or ``openai``."""
    if path.startswith("cli/"):
        return "cli"
    if path.startswith(("v1/", "v2/")):
        return "llm"
    return "openai"


class ApiError(Exception):
    """An error answer, raised by a route and rendered in its family's shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        detail: Sequence[dict[str, Any]] | None = None,
        code: str | None = None,
        error_class: str | None = None,
        thing: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail
        self.code = code
        self.error_class = error_class
        self.thing = thing


class Invalid:
    """Collects FastAPI-style validation errors, then raises them as one 422."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []

    def add(self, loc: Sequence[str | int], msg: str, kind: str = "value_error") -> None:
        """Record one error at ``loc`` (for example ``("body", "prompt")``)."""
        self.errors.append({"loc": list(loc), "msg": msg, "type": kind})

    def raise_if_any(self) -> None:
        """Raise the 422 if any error was recorded."""
        if self.errors:
            message = "; ".join(str(error["msg"]) for error in self.errors)
            raise ApiError(422, message, detail=self.errors)


def error_body(
    family: str,
    status: int,
    message: str,
    *,
    detail: Sequence[dict[str, Any]] | None = None,
    code: str | None = None,
    command: str | None = None,
    error_class: str | None = None,
    thing: str | None = None,
    generation: Generation = "v0.14",
    url: str = "",
) -> dict[str, Any]:
    """Build the error body of a route family.

    Args:
        family: ``cli``, ``openai`` or ``llm``.
        status: The HTTP status.
        message: The human message.
        detail: FastAPI validation errors (``llm`` family only).
        code: The OpenAI error code (``openai`` family only).
        command: The Smarter command name (``cli`` family only).
        error_class: The Smarter ``errorClass`` (default: the status's).
        thing: The Smarter kind the command was about.
        generation: The Smarter platform generation whose envelope to use.
        url: The request URL (the Smarter error's ``args``).

    Returns:
        The JSON body.
    """
    if family == "cli":
        return _platform_error(
            status,
            message,
            error_class=error_class or _CLI_ERROR_CLASSES.get(status, "SmarterException"),
            command=command or "None",
            thing=thing or "None",
            generation=generation,
            url=url,
        )
    if family == "openai":
        error_type = _OPENAI_ERROR_TYPES.get(status, "server_error" if status >= 500 else "error")
        return {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    if detail is not None:
        return {"detail": list(detail)}
    return {"detail": message}


def _platform_error(
    status: int,
    message: str,
    *,
    error_class: str,
    command: str,
    thing: str,
    generation: Generation,
    url: str,
) -> dict[str, Any]:
    """The journaled error of the platform (lib/journal/http.py), as each generation has it."""
    description = message
    if generation != "v0.10" and status in (400, 500, 503):
        # smarter-sh/smarter@v0.14.19:smarter/smarter/apps/api/v1/cli/views/base.py
        # dispatch(): "<class>: <bug report> <message>" for every error of these statuses.
        description = f"<class 'smarter.lib.{error_class}'>: {_BUG_REPORT} {message}"
    error: dict[str, Any] = {
        "errorClass": error_class,
        "stacktrace": "No stack trace available.",
        "description": description,
        "status": status if generation == "v0.14" else str(status),
        "args": f"url={url}",
        "cause": "Python Exception",
        "context": f"thing={thing}, command={command}",
    }
    if generation == "v0.14":
        error["thing"] = thing
        error["command"] = command
        return {
            "error": error,
            "api": SMARTER_API,
            "metadata": {"command": command, "thing": thing},
        }
    return {"error": error, "api": SMARTER_API, "thing": thing, "metadata": {"command": command}}


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer, serialised compactly like the real servers do."""
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def error_response(
    family: str,
    error: ApiError,
    command: str | None = None,
    *,
    generation: Generation = "v0.14",
    url: str = "",
) -> web.Response:
    """Render an :class:`ApiError` in the shape of its route family."""
    body = error_body(
        family,
        error.status,
        error.message,
        detail=error.detail,
        code=error.code,
        command=command,
        error_class=error.error_class,
        thing=error.thing,
        generation=generation,
        url=url,
    )
    return json_response(body, status=error.status)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or an error in the route's shape.

    Raises:
        ApiError: 422 on LLM Engine routes (FastAPI), 400 elsewhere.
    """
    raw = await request.read()
    fastapi = family_of(relative_path(request)) == "llm"
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        body = _NOT_JSON
    if isinstance(body, dict):
        return body
    message = "JSON decode error" if body is _NOT_JSON else "Input should be a valid dictionary"
    if fastapi:
        invalid = Invalid()
        invalid.add(("body",), message, "json_invalid" if body is _NOT_JSON else "dict_type")
        invalid.raise_if_any()
    raise ApiError(400, f"The request body must be a JSON object ({message}).")


_NOT_JSON = object()


class _Sequenced(Protocol):
    @property
    def seq(self) -> int: ...


_Item = TypeVar("_Item", bound=_Sequenced)


def _encode_cursor(key: str, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{key}:{seq}".encode()).decode().rstrip("=")


def _decode_cursor(key: str, cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error) as exc:  # UnicodeDecodeError is a ValueError
        raise ApiError(400, f"Invalid pagination cursor: {cursor!r}") from exc
    cursor_key, _, seq = text.partition(":")
    if cursor_key != key or not seq.isdigit():
        raise ApiError(400, f"Invalid pagination cursor: {cursor!r}")
    return int(seq)


def paginate(
    request: web.Request,
    key: str,
    items: Sequence[_Item],
    render: Callable[[_Item], dict[str, Any]],
) -> dict[str, Any]:
    """Cut one page out of ``items`` (in creation order) and build the list body.

    Query ``limit`` (1..100, default 20) and ``after`` (a cursor from the previous page).
    The cursor names the creation sequence number of the last item served, so it stays
    valid when that item is deleted in between. Without pagination (the real servers, every
    profile but ``extended``) the body holds every item and no ``next_cursor`` key, and
    ``limit`` and ``after`` are not read.

    Raises:
        ApiError: 422 for a bad ``limit``, 400 for a bad cursor.
    """
    if not request.app[CONTEXT].profile.paginate:
        return {key: [render(item) for item in items]}
    raw_limit = request.query.get("limit", "20")
    try:
        limit = int(raw_limit)
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        invalid = Invalid()
        invalid.add(("query", "limit"), "limit must be an integer from 1 to 100")
        invalid.raise_if_any()
    after = request.query.get("after")
    if after is not None:
        last = _decode_cursor(key, after)
        items = [item for item in items if item.seq > last]
    page = list(items[:limit])
    next_cursor = _encode_cursor(key, page[-1].seq) if len(items) > limit else None
    return {key: [render(item) for item in page], "next_cursor": next_cursor}
