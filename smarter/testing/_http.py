"""What every route shares: the server context, error shapes, JSON bodies and pagination.

Each route family answers errors in the shape of the real server it stands for, so that a
client meets every shape of PROTOCOL.md "Every response":

- ``cli/*`` (Smarter platform): ``{"error": {"description", "errorClass", "status"}, ...}``;
- ``llm/*``, ``files*`` (LLM Engine, FastAPI): ``{"detail": str}`` or, for validation
  errors (422), ``{"detail": [{"loc", "msg", "type"}]}``;
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
from typing import Any, Protocol, TypeVar, cast

from aiohttp import web

from smarter.testing._faults import Fault, FaultQueue
from smarter.testing._state import RequestLog, ServerState

__all__ = [
    "CONTEXT",
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
]

SMARTER_API = "smarter.sh/v1"

_CLI_ERROR_CLASSES = {
    400: "SmarterValueError",
    401: "SmarterTokenAuthenticationError",
    403: "SmarterPermissionError",
    404: "NotFound",
    405: "ReadOnly",
    501: "NotImplemented",
    503: "NotReady",
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
    base_path: str
    upload_dir: Path
    keepalive_interval: float
    token_delay: float
    job_step: float
    legacy_chatbots: bool
    paginate: bool
    request_ids: bool
    url: str = ""
    """The base URL, known once the server listens."""
    stopping: asyncio.Event | None = None
    """Set when the server stops, so that sleeping handlers end at once."""

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


def relative_path(request: web.BaseRequest, base_path: str) -> str:
    """The request path relative to the base URL, percent-encoding kept, without query."""
    raw = request.raw_path.partition("?")[0]
    if raw.startswith(base_path):
        return raw[len(base_path) :]
    return raw.lstrip("/")


def family_of(path: str) -> str:
    """The error-shape family of a relative path: ``cli``, ``openai`` or ``llm``."""
    if path.startswith("cli/"):
        return "cli"
    if path.split("/", 2)[:2] == ["chat", "completions"] or path.split("/", 1)[0] == "responses":
        return "openai"
    return "llm"


class ApiError(Exception):
    """An error answer, raised by a route and rendered in its family's shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        detail: Sequence[dict[str, Any]] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail
        self.code = code


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
) -> dict[str, Any]:
    """Build the error body of a route family.

    Args:
        family: ``cli``, ``openai`` or ``llm``.
        status: The HTTP status.
        message: The human message.
        detail: FastAPI validation errors (``llm`` family only).
        code: The OpenAI error code (``openai`` family only).
        command: The Smarter command name (``cli`` family only).

    Returns:
        The JSON body.
    """
    if family == "cli":
        return {
            "error": {
                "errorClass": _CLI_ERROR_CLASSES.get(status, "SmarterException"),
                "description": message,
                "status": str(status),
                "args": None,
                "cause": None,
                "context": None,
            },
            "api": SMARTER_API,
            "thing": "None",
            "metadata": {"command": command or "unknown", "thing": "None"},
        }
    if family == "openai":
        error_type = _OPENAI_ERROR_TYPES.get(status, "server_error" if status >= 500 else "error")
        return {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    if detail is not None:
        return {"detail": list(detail)}
    return {"detail": message}


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


def error_response(family: str, error: ApiError, command: str | None = None) -> web.Response:
    """Render an :class:`ApiError` in the shape of its route family."""
    body = error_body(
        family,
        error.status,
        error.message,
        detail=error.detail,
        code=error.code,
        command=command,
    )
    return json_response(body, status=error.status)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or an error in the route's shape.

    Raises:
        ApiError: 422 on LLM Engine routes (FastAPI), 400 elsewhere.
    """
    raw = await request.read()
    fastapi = family_of(relative_path(request, request.app[CONTEXT].base_path)) == "llm"
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
    valid when that item is deleted in between. Without pagination (``paginate=False``)
    the body holds every item and no ``next_cursor`` key.

    Raises:
        ApiError: 422 for a bad ``limit``, 400 for a bad cursor.
    """
    if not request.app[CONTEXT].paginate:
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
