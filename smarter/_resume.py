"""What a stream that broke does next: resume it, or say what was lost.

A stream whose events carry ids is resumed with ``Last-Event-ID`` (PROTOCOL.md, "Stream
resume"). Two things a hostile or careless server does are guarded here: an id that cannot
be sent back in a header (a control character in it) makes the stream one that cannot
resume, rather than a request that fails mid-stream; and a server that answers a resume by
replaying from an earlier point has the events the caller already had (numeric ids at or
below the resume point) read past, not delivered twice.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from smarter._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    IncompleteStreamError,
)
from smarter._sse import ServerSentEvent

if TYPE_CHECKING:
    from smarter._request import Request

__all__ = ["lost", "past_resume_point", "resume_point", "sendable_id"]

# Control characters (tab aside): an id holding one cannot be a header value.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def sendable_id(event_id: str) -> bool:
    """Whether *event_id* can be sent back as ``Last-Event-ID``."""
    return _CONTROL.search(event_id) is None


def resume_point(last_id: str | None) -> int | None:
    """The numeric id through which a resumed body replays what was had (None: not known)."""
    return int(last_id) if last_id and last_id.isdigit() else None


def past_resume_point(events: list[Any], through: int | None) -> tuple[list[Any], int | None]:
    """The events of a resumed body after *through*, and the point still to pass (or None).

    Events are ``ServerSentEvent`` objects (a resumed body is decoded with ids); once an
    event beyond the point arrives, every later one is kept.
    """
    kept = []
    for event in events:
        if through is not None:
            event_id = event.id if isinstance(event, ServerSentEvent) else None
            if event_id is not None and event_id.isdigit() and int(event_id) <= through:
                continue
            through = None
        kept.append(event)
    return kept, through


def lost(error: APIError, request: Request) -> APIConnectionError:
    """The error of a stream that broke after chunks were delivered and cannot go on."""
    if isinstance(error, APITimeoutError):
        return APITimeoutError(
            "The stream had no chunk for longer than the read timeout.", request=request
        )
    if isinstance(error, IncompleteStreamError):
        return error
    return IncompleteStreamError(
        "The stream ended before its final event and could not be resumed.", request=request
    )
