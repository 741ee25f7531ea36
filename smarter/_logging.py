"""The ``smarter`` logger: one line per attempt, switched on by ``SMARTER_LOG``.

Nothing here ever formats a header value it was not told is safe: the Authorization header
and the API key never reach a log line.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import TYPE_CHECKING

from smarter._exceptions import APIError, APIStatusError

if TYPE_CHECKING:
    from smarter._request import Request

__all__ = ["log_attempt", "log_headers", "log_retry", "logger", "setup_from_env"]

logger = logging.getLogger("smarter")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
_configured = False


def setup_from_env() -> None:
    """Honour ``SMARTER_LOG=info|debug`` once per process (the first client made)."""
    global _configured  # noqa: PLW0603 (a once-per-process switch)
    if _configured:
        return
    _configured = True
    value = os.environ.get("SMARTER_LOG", "").strip().lower()
    level = _LEVELS.get(value)
    if level is None:
        if value:
            warnings.warn(
                f"SMARTER_LOG={value!r} is not 'info' or 'debug': the smarter logger stays off",
                RuntimeWarning,
                stacklevel=3,
            )
        return
    logger.setLevel(level)
    if not logger.handlers:
        handler = _UnlessRootHandles()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s"))
        logger.addHandler(handler)


class _UnlessRootHandles(logging.StreamHandler):  # type: ignore[type-arg]
    """Prints a record only when the root logger would not print it.

    A program that configured logging (``logging.basicConfig()``, before or after the
    first client) sees each line once, in its own format.
    """

    def emit(self, record: logging.LogRecord) -> None:
        if not logging.getLogger().handlers:
            super().emit(record)


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, APIStatusError):
        return str(exc.status_code)
    return type(exc).__name__ if exc is not None else "-"


def _ids(request_id: str | None, server_request_id: str | None) -> str:
    """The call's own request id, and the server's when it sent another."""
    if server_request_id is None or server_request_id == request_id:
        return f"request_id={request_id}"
    return f"request_id={request_id} server_request_id={server_request_id}"


def log_attempt(
    request: Request, status: int | str, attempt: int, server_request_id: str | None
) -> None:
    """Log the final attempt of a call: what it answered and how many attempts it took.

    The request id is the call's own (the same on every attempt); the server's, when it
    sent another, follows as ``server_request_id``.
    """
    if logger.isEnabledFor(logging.INFO):
        ids = _ids(request.request_id, server_request_id)
        logger.info("%s -> %s attempt=%d delay=0.00s %s", request.label, status, attempt, ids)


def log_retry(label: str, exc: BaseException | None, attempt: int, delay: float) -> None:
    """Log an attempt that failed and will be retried after *delay* seconds."""
    if logger.isEnabledFor(logging.INFO):
        request = exc.request if isinstance(exc, APIError) else None
        server_id = exc.request_id if isinstance(exc, APIError) else None
        ids = _ids(request.request_id if request is not None else None, server_id)
        logger.info(
            "%s -> %s attempt=%d delay=%.2fs %s", label, _describe(exc), attempt, delay, ids
        )


def log_headers(request: Request) -> None:
    """At debug level, the headers of a request with every secret replaced."""
    if logger.isEnabledFor(logging.DEBUG):
        shown = {
            name: ("<redacted>" if name.lower() in _SECRET_HEADERS else value)
            for name, value in request.headers.items()
        }
        logger.debug("%s headers=%s", request.label, shown)
