"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from hypothesis import strategies as st

from smarter._sse import ServerSentEvent

__all__ = ["EventStream", "chunkings", "event_streams"]

# A CR or LF inside a value would end its line; NUL would make an id be ignored.
_line_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)
_id_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\0"), max_size=6)
_data_text = st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=30)


@dataclass(frozen=True)
class EventStream:
    """The bytes of an event stream and the events a decoder must find in them."""

    body: bytes
    events: list[ServerSentEvent]


def _field(draw: st.DrawFn, name: str, value: str) -> str:
    # The one space after the colon is optional unless the value itself starts with one.
    if value.startswith(" ") or draw(st.booleans()):
        return f"{name}: {value}"
    return f"{name}:{value}"


@st.composite
def event_streams(draw: st.DrawFn) -> EventStream:
    """Blocks of comments, ids, retries, unknown fields and events, each with its own line end.

    A line end is drawn per block, not per line: a CR ending one line followed by an empty
    line ended by LF would read as a single CRLF, changing the events.
    """
    last_id: str | None = None
    retry: int | None = None
    events: list[ServerSentEvent] = []
    text = ""
    for _ in range(draw(st.integers(0, 6))):
        end = draw(st.sampled_from(["\n", "\r", "\r\n"]))
        lines = [":" + c for c in draw(st.lists(_line_text, max_size=2))]
        if draw(st.booleans()):
            new_id = draw(_id_text)
            lines.append(_field(draw, "id", new_id))
            last_id = new_id or None
        if draw(st.booleans()):
            retry = draw(st.integers(0, 10**6))
            lines.append(f"retry: {retry}")
        if draw(st.booleans()):
            lines.append(_field(draw, draw(st.sampled_from(["retry", "x-unknown"])), "1.5 s"))
        data_lines: list[str] = []
        if draw(st.booleans()):
            name = draw(st.none() | _line_text)
            if name is not None:
                lines.append(_field(draw, "event", name))
            data = draw(_data_text)
            data_lines = [_field(draw, "data", part) for part in data.split("\n")]
            event = ServerSentEvent(data, event=name or "message", id=last_id, retry=retry)
            events.append(event)
        # Any order of lines within a block gives the same event, as long as data lines keep
        # their own order.
        others = list(draw(st.permutations(lines)))
        block = [
            data_lines.pop(0)
            if data_lines and (not others or draw(st.booleans()))
            else others.pop()
            for _ in range(len(others) + len(data_lines))
        ]
        if block:
            text += end.join(block) + end + end
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return EventStream(bom + text.encode(), events)


@st.composite
def chunkings(draw: st.DrawFn, body: bytes) -> list[bytes]:
    """Split ``body`` into chunks at random points, empty chunks included."""
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=12)))
    bounds = [0, *cuts, len(body)]
    return [body[a:b] for a, b in pairwise(bounds)]
