r"""Scripted faults: what the reference server does instead of (or on top of) a normal answer.

A test queues faults with ``ReferenceServer.inject(method, route, *faults)``; each request
that matches takes the next one. The fields combine: ``Fault(cut_after=3, ids=False)`` cuts a
stream whose events carry no ids, ``Fault(chunk_size=1, line_ending="\r")`` writes a normal
stream one byte at a time with bare CR line ends.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import threading
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Literal

__all__ = ["Fault", "FaultQueue", "route_matches"]

_EMPTY: Mapping[str, str] = {}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


@dataclasses.dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour, consumed by one matching request.

    A fault with none of ``status``, ``drop``, ``cut_after``, ``error_after`` or
    ``malformed`` set only shapes the normal answer (``delay``, ``chunk_size``,
    ``slow_body``, ``ids``, ``line_ending``).

    .. versionadded:: 0.2.0
    """

    status: int | None = None
    """Answer this status instead of acting; the body is ``body`` or the route's error shape."""
    headers: Mapping[str, str] = dataclasses.field(default_factory=lambda: _EMPTY)
    """Extra headers on the answer (``Retry-After``, ``retry-after-ms``, ``x-should-retry``)."""
    body: str | bytes | Mapping[str, Any] | None = None
    """The body of a ``status`` answer: text, bytes, or a mapping sent as JSON."""
    content_type: str | None = None
    """The content type of ``body`` (default: JSON for a mapping, else ``text/plain``)."""
    delay: float = 0.0
    """Seconds to sleep before anything else: before the action and before the headers."""
    drop: Literal["before", "after"] | None = None
    """``"before"``: close the connection without acting; ``"after"``: act (state changes and
    the idempotency record included), then close the connection without answering."""
    cut_after: int | None = None
    """Streams: end the response after this many events."""
    abort: bool = True
    """With ``cut_after``: close the TCP connection mid-body (True) or end the HTTP response
    cleanly without the final event (False)."""
    error_after: int | None = None
    """Streams: after this many events send an in-stream error event, then end cleanly."""
    error_status: int = 500
    """The status carried by the in-stream error event."""
    error_message: str = "Internal error occurred."
    """The message carried by the in-stream error event."""
    malformed: bool = False
    """Answer 200 with a body that is not valid JSON, without acting."""
    chunk_size: int | None = None
    """Write the body in pieces of this many bytes, one network write each."""
    slow_body: float = 0.0
    """Seconds to sleep between those pieces, or between the events of a stream."""
    ids: bool | None = None
    """Streams: events carry ``id:`` lines (True) or not (False); None: as the profile says
    (only ``extended`` sends them)."""
    line_ending: str = "\r\n"
    """The SSE line terminator: ``"\\n"``, ``"\\r\\n"`` or ``"\\r"``."""

    def __post_init__(self) -> None:
        if self.line_ending not in ("\n", "\r\n", "\r"):
            raise ValueError(f"line_ending must be LF, CRLF or CR, not {self.line_ending!r}")
        if self.drop not in (None, "before", "after"):
            raise ValueError(f"drop must be 'before', 'after' or None, not {self.drop!r}")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        for name in ("cut_after", "error_after"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative")
        # A private copy, so that a caller's dict changed later cannot change the fault.
        object.__setattr__(self, "headers", dict(self.headers))

    @property
    def paced(self) -> bool:
        """Whether the body must be written piece by piece rather than in batches."""
        return self.chunk_size is not None or self.slow_body > 0

    @classmethod
    def error(
        cls,
        status: int,
        *,
        retry_after: str | float | None = None,
        retry_after_ms: str | float | None = None,
        should_retry: bool | None = None,
        body: str | bytes | Mapping[str, Any] | None = None,
        content_type: str | None = None,
    ) -> Fault:
        """An error answer with optional retry hints.

        Args:
            status: The HTTP status.
            retry_after: The ``Retry-After`` header (seconds or an HTTP date).
            retry_after_ms: The ``retry-after-ms`` header (milliseconds).
            should_retry: The ``x-should-retry`` header (``true`` / ``false``).
            body: The body; by default ``{"error": {"status_code": N, "message": reason}}``.
            content_type: The content type of ``body``.

        Returns:
            The fault.
        """
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(retry_after_ms)
        if should_retry is not None:
            headers["x-should-retry"] = "true" if should_retry else "false"
        if body is None:
            body = {"error": {"status_code": status, "message": _reason(status)}}
        return cls(status=status, headers=headers, body=body, content_type=content_type)

    @classmethod
    def html(cls, status: int = 502) -> Fault:
        """An HTML error page, as a proxy in front of the API would answer.

        Args:
            status: The HTTP status.

        Returns:
            The fault.
        """
        title = f"{status} {_reason(status)}"
        page = (
            f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
            "<hr><center>nginx</center></body></html>\n"
        )
        return cls(status=status, body=page, content_type="text/html")

    @classmethod
    def slow(cls, delay: float) -> Fault:
        """A normal answer whose headers come ``delay`` seconds late.

        Args:
            delay: Seconds to wait before acting and answering.

        Returns:
            The fault.
        """
        return cls(delay=delay)

    @classmethod
    def drop_before(cls) -> Fault:
        """Close the connection without acting or answering.

        Returns:
            The fault.
        """
        return cls(drop="before")

    @classmethod
    def drop_after(cls) -> Fault:
        """Act, then close the connection without answering.

        Returns:
            The fault.
        """
        return cls(drop="after")

    @classmethod
    def cut(cls, after: int, *, abort: bool = True, ids: bool | None = None) -> Fault:
        """End a stream after ``after`` events.

        Args:
            after: How many events to send first.
            abort: Close the TCP connection (True) or end the HTTP response cleanly (False).
            ids: Whether the events carry ``id:`` lines (None: as the profile says).

        Returns:
            The fault.
        """
        return cls(cut_after=after, abort=abort, ids=ids)

    @classmethod
    def stream_error(
        cls, after: int, status: int = 500, message: str = "Internal error occurred."
    ) -> Fault:
        """Send an in-stream error event after ``after`` events, then end the stream.

        Args:
            after: How many events to send first.
            status: The status carried by the error event.
            message: The message carried by the error event.

        Returns:
            The fault.
        """
        return cls(error_after=after, error_status=status, error_message=message)

    @classmethod
    def malformed_json(cls) -> Fault:
        """Answer 200 with truncated JSON, without acting.

        Returns:
            The fault.
        """
        return cls(malformed=True)

    @classmethod
    def split(cls, chunk_size: int, *, line_ending: str = "\r\n", slow_body: float = 0.0) -> Fault:
        """Write a normal answer in pieces of ``chunk_size`` bytes.

        Args:
            chunk_size: Bytes per network write.
            line_ending: The SSE line terminator of a stream.
            slow_body: Seconds to sleep between two pieces.

        Returns:
            The fault.
        """
        return cls(chunk_size=chunk_size, line_ending=line_ending, slow_body=slow_body)


def route_matches(method: str, route: str, request_method: str, path: str) -> bool:
    """Tell whether a request matches a ``(method, route)`` filter.

    Args:
        method: The filter's method, upper case, or ``"*"`` for any.
        route: An fnmatch pattern over the path relative to its service's mount, no query.
        request_method: The request's method.
        path: The request's path relative to its service's mount.

    Returns:
        True when both match.
    """
    if method != "*" and method.upper() != request_method.upper():
        return False
    return fnmatch.fnmatchcase(path, route)


class FaultQueue:
    """Faults waiting for their requests, in the order they were injected; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[tuple[str, str, Fault]] = []

    def add(self, method: str, route: str, faults: tuple[Fault, ...]) -> None:
        """Queue faults for the requests that will match ``method`` and ``route``."""
        for fault in faults:
            if not isinstance(fault, Fault):
                raise TypeError(f"expected a Fault, got {type(fault).__name__}")
        with self._lock:
            self._queue.extend((method.upper(), route, fault) for fault in faults)

    def pop(self, method: str, path: str) -> Fault | None:
        """Take the first queued fault that matches this request, if any."""
        with self._lock:
            for index, (want_method, route, fault) in enumerate(self._queue):
                if route_matches(want_method, route, method, path):
                    del self._queue[index]
                    return fault
        return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._queue.clear()
