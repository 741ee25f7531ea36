"""A sans-IO decoder for Server-Sent Events: bytes in, events out.

:class:`SSEDecoder` follows the WHATWG event-stream interpretation rules
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation)
and knows nothing about sockets, so the stream classes feed it whatever chunks the transport
hands over and tests feed it any chunking they like. It runs in time linear in the input
however the input is split.
"""

from __future__ import annotations

import contextlib
from typing import Any, final

from smarter._fastpath import loads_json

__all__ = ["EventTooLargeError", "SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"
# The most of an unfinished event kept as bytes for the next chunk (see SSEDecoder._blocks).
_RAW = 64 * 1024
_CR = 13
_LF = 10


@final
class ServerSentEvent:
    """One dispatched event.

    Attributes:
        event: The event type; ``"message"`` when the event carried no ``event`` field.
        data: The ``data`` lines of the event joined with newlines.
        id: The last event id in effect when the event was dispatched; ``None`` when no id has
            been set, or the last ``id`` field was empty (which the spec treats as "no id").
        retry: The reconnection time in milliseconds in effect when the event was dispatched,
            or ``None`` when the stream never set one.
    """

    __slots__ = ("data", "event", "id", "retry")

    def __init__(
        self,
        data: str = "",
        *,
        event: str = "message",
        id: str | None = None,
        retry: int | None = None,
    ) -> None:
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry

    def json(self) -> Any:
        """Return ``data`` parsed as JSON.

        Raises:
            ValueError: ``data`` is not a JSON document (or is nested over 128 deep).
        """
        return loads_json(self.data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (self.data, self.event, self.id, self.retry) == (
            other.data,
            other.event,
            other.id,
            other.retry,
        )

    def __hash__(self) -> int:
        return hash((self.data, self.event, self.id, self.retry))

    def __repr__(self) -> str:
        return (
            f"ServerSentEvent(event={self.event!r}, data={self.data!r}, "
            f"id={self.id!r}, retry={self.retry!r})"
        )


class EventTooLargeError(ValueError):
    """An event (or a line) of the stream grew past the decoder's ``max_event`` bytes."""


def _lone_cr(data: bytes) -> bool:
    """Whether a CR ends a line in *data* on its own (a last CR may be half a CRLF)."""
    crs = data.count(b"\r")
    return bool(crs) and crs - data.count(b"\r\n") - (data[-1] == _CR) > 0


def _line_end(chunk: bytes) -> bytes | None:
    """The line end *chunk* uses, CRLF or LF; None when lone CRs end lines too."""
    if b"\r\n" in chunk:
        return b"\r\n"
    return None if _CR in chunk[:-1] else b"\n"


def _keepable(tail: bytes, eol: bytes) -> bool:
    """Whether *tail* may wait for the next chunk as bytes: short, and no event ended in it.

    Its line ends must all be *eol* (any other could have ended an event already).
    """
    if len(tail) > _RAW or _lone_cr(tail):
        return False
    return eol == b"\n" or tail.count(b"\n") == tail.count(eol)


class SSEDecoder:
    """Turn the bytes of a ``text/event-stream`` body into :class:`ServerSentEvent` objects.

    Feed it chunks as they arrive and call :meth:`close` at the end of the body. The last
    event id and the reconnection time survive :meth:`close`, as the spec's reconnection
    wants; a byte order mark is stripped again at the start of each body. The client's
    streams use a new decoder per body and keep the id to resume from themselves.
    """

    __slots__ = (
        "_comments",
        "_compact",
        "_data",
        "_dispatched_id",
        "_event",
        "_held",
        "_id",
        "_in_event",
        "_max_event",
        "_partial",
        "_raw",
        "_retry",
        "_skip_lf",
        "_start",
    )

    def __init__(self, *, compact: bool = False, max_event: int = 8 * 1024 * 1024) -> None:
        # compact: a plain message event comes out as its data alone, a str (the streams'
        # form; benchmarks/stream.py); any other event as a ServerSentEvent.
        self._compact = compact
        # The most bytes an event (or a line) may hold while it is being read.
        self._max_event = max_event
        self._held = 0  # bytes of data lines of the event being read
        self._dispatched_id: str | None = None
        self._partial = bytearray()  # an unterminated line; bytearray so appends are amortised
        self._raw = b""  # the start of an event _blocks has not seen the end of
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None
        self._in_event = False  # a non-data field has been seen since the last blank line
        self._skip_lf = False  # the last chunk ended in CR: a leading LF completes that CRLF
        self._start = True  # nothing of this body seen yet: a BOM may still come
        self._comments = 0

    @property
    def last_event_id(self) -> str | None:
        """The id to send as ``Last-Event-ID`` when resuming, or ``None``."""
        return self._id

    @property
    def dispatched_id(self) -> str | None:
        """The id in effect at the last blank line (the spec's "last event ID string").

        A resume continues after it: events after it have not been read whole.
        """
        return self._dispatched_id

    @property
    def retry(self) -> int | None:
        """The reconnection time in milliseconds the server last asked for, or ``None``."""
        return self._retry

    @property
    def comments(self) -> int:
        """How many comment lines (``: ping`` keep-alives) have been seen so far."""
        return self._comments

    def feed(self, chunk: bytes) -> list[Any]:
        """Decode the next chunk of the body.

        Args:
            chunk: Any number of bytes; a line or an event may span any number of chunks.

        Returns:
            The events this chunk completed, in order; often none. A compact decoder gives
            the data (a ``str``) of an event with no ``event`` field, an unchanged ``id`` and
            ``retry`` instead of a :class:`ServerSentEvent`.
        """
        if self._start:
            # The BOM itself may arrive split across chunks: hold its prefix until it is decided.
            head = bytes(self._partial) + chunk
            self._partial.clear()
            if len(head) < len(_BOM) and _BOM.startswith(head):
                self._partial += head
                return []
            self._start = False
            chunk = head[len(_BOM) :] if head.startswith(_BOM) else head
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == _LF:
                chunk = chunk[1:]
                if not chunk:
                    return []
        if self._raw:
            chunk = self._raw + chunk
            self._raw = b""
        if not (self._partial or self._data or self._in_event):
            return self._blocks(chunk)
        events = self._general(chunk)
        if not (self._data or self._in_event or self._skip_lf) and len(self._partial) <= _RAW:
            # Between two events again: what was read of the next goes back to _blocks.
            self._raw = bytes(self._partial)
            self._partial = bytearray()
        return events

    def _general(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode *chunk* line by line: any framing the WHATWG rules allow."""
        last = chunk[-1]
        lines: list[bytes] | list[bytearray]
        if self._partial:
            # Only the new bytes are searched, so a huge line fed in tiny chunks stays linear.
            if _LF not in chunk and _CR not in chunk:
                self._partial += chunk
                self._check_size()
                return []
            self._partial += chunk
            lines = self._partial.splitlines()
            self._partial = bytearray()
        else:
            # bytes.splitlines breaks at exactly CR, LF and CRLF, the event-stream line ends.
            lines = chunk.splitlines()
        if last == _CR:
            self._skip_lf = True
        elif last != _LF:
            self._partial += lines.pop()
        events = self._lines(lines)
        self._check_size()
        return events

    def _check_size(self) -> None:
        """Refuse an event (or a line) that has grown past ``max_event`` bytes unended."""
        if len(self._partial) + self._held > self._max_event:
            raise EventTooLargeError(
                f"A stream event passed {self._max_event} bytes without ending "
                "(smarter.Limits.max_event_bytes)."
            )

    def _blocks(self, chunk: bytes) -> list[Any]:  # noqa: PLR0912 (one loop, inlined for speed)
        """Decode *chunk*, which starts at an event boundary, a whole event at a time.

        Speed (benchmarks/stream.py, the per-event cost of every stream): the events real
        servers send, ``data: <json>`` with, from ours, an ``id:`` line before it, are cut
        out of the chunk by C string methods rather than line by line. Any other block goes
        through the line-by-line path, and so does an event longer than ``_RAW``; the start
        of the next event is kept as bytes for the next chunk.
        """
        eol = _line_end(chunk)
        if eol is None:
            return self._general(chunk)  # lone CRs end lines: the line-by-line path
        blocks = chunk.split(eol + eol)
        tail = blocks.pop()
        events: list[Any] = []
        append = events.append
        new = object.__new__
        compact = self._compact
        # The id line of the last event cut out, decoded once after the loop: only the id in
        # effect at the last event of a batch matters to a resume.
        id_line = None
        # Cut at the data line's start: the value is what follows, without another slice.
        data_start = eol + b"data: "
        for block in blocks:
            line, found, value = block.partition(data_start)
            if found:
                if line[:4] != b"id: " or 0 in line or _CR in line or _LF in line:
                    found = b""
                else:
                    id_line = line
            elif block[:6] == b"data: ":
                found, value = block, block[6:]
            if not found or _CR in value or _LF in value:
                # Anything but the two shapes above: line by line, ids settled first.
                if id_line is not None:
                    self._id = id_line[4:].decode("utf-8", "replace") or None
                    id_line = None
                events += self._lines([*block.splitlines(), b""])
                continue
            if compact:
                append(value.decode("utf-8", "replace"))
                continue
            if id_line is not None:
                self._id = id_line[4:].decode("utf-8", "replace") or None
                id_line = None
            event = new(ServerSentEvent)
            event.data = value.decode("utf-8", "replace")
            event.event = "message"
            event.id = self._id
            event.retry = self._retry
            append(event)
        if id_line is not None:
            self._id = id_line[4:].decode("utf-8", "replace") or None
        # Every block ended with a blank line, where the spec sets the last event id string.
        self._dispatched_id = self._id
        if _keepable(tail, eol):
            self._raw = tail  # the start of the next event, whole, for the next chunk
        else:
            events += self._general(tail)  # a long event: line by line, linear in its size
        return events

    def close(self) -> bool:
        """End the body, discarding any unfinished event.

        Returns:
            ``True`` if the body stopped inside an event (the stream was cut), ``False`` if it
            ended cleanly after a blank line or a comment.
        """
        raw, self._raw = self._raw, b""
        if raw:
            self._general(raw)  # its whole lines (a comment) end the body cleanly; no event
        cut = bool(self._partial or self._data or self._in_event)
        self._partial = bytearray()
        self._data.clear()
        self._held = 0
        self._event = None
        self._in_event = False
        self._skip_lf = False
        self._start = True
        return cut

    def _lines(self, lines: list[bytes] | list[bytearray]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        data = self._data
        append = data.append
        new = object.__new__
        # The three lines of almost every event (blank, `data: `, `id: `) are tested first,
        # without the general parse (benchmarks/stream.py, for events _blocks cannot cut).
        for line in lines:
            if not line:
                self._dispatched_id = self._id
                if data:
                    # Filled in directly: a keyword call costs more than the rest of the event.
                    event = new(ServerSentEvent)
                    event.data = data[0] if len(data) == 1 else "\n".join(data)
                    event.event = self._event or "message"
                    event.id = self._id
                    event.retry = self._retry
                    events.append(event)
                    data.clear()
                    self._held = 0
                self._event = None
                self._in_event = False
            elif line.startswith(b"data: "):
                append(line[6:].decode("utf-8", "replace"))
                self._held += len(line)
            elif line.startswith(b"id: ") and 0 not in line:
                self._id = line[4:].decode("utf-8", "replace") or None
                self._in_event = True
            else:
                self._field(line)
        return events

    def _field(self, line: bytes | bytearray) -> None:
        value: bytes | bytearray
        colon = line.find(b":")
        if colon == 0:
            self._comments += 1
            return
        if colon < 0:
            name, value = line, b""
        else:
            name, value = line[:colon], line[colon + 1 :]
            if value[:1] == b" ":
                value = value[1:]
        if name == b"data":
            self._data.append(value.decode("utf-8", "replace"))
            self._held += len(value)
            return
        self._in_event = True
        if name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id":
            if 0 not in value:
                self._id = value.decode("utf-8", "replace") or None
        elif name == b"retry" and value.isdigit():  # bytes.isdigit is ASCII digits only
            # More digits than sys.get_int_max_str_digits() allows is no usable delay anyway.
            with contextlib.suppress(ValueError):
                self._retry = int(value)
