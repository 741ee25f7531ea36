"""Tests for the Server-Sent Events decoder."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import EventStream, chunkings, event_streams

from smarter._sse import ServerSentEvent, SSEDecoder


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    """Feed ``chunks`` to a new decoder and return every event it dispatched."""
    decoder = SSEDecoder()
    return [event for chunk in chunks for event in decoder.feed(chunk)]


def event(
    data: str, *, type: str = "message", id: str | None = None, retry: int | None = None
) -> ServerSentEvent:
    """Build the event a test expects."""
    return ServerSentEvent(data, event=type, id=id, retry=retry)


class TestFraming:
    @pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
    def test_line_ends(self, end: bytes) -> None:
        """LF, CRLF and CR each end a line, and two of them end an event."""
        body = b"data: a" + end + b"data: b" + end + end + b"data: c" + end + end

        assert [event("a\nb"), event("c")] == decode(body)

    def test_crlf_split_across_chunks(self) -> None:
        """A CR ending one chunk and the LF starting the next are one line end, not two."""
        assert [event("a\nb")] == decode(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n")

    def test_cr_then_cr_across_chunks(self) -> None:
        """A CR ending one chunk followed by a CR is a blank line that dispatches."""
        assert [event("a")] == decode(b"data: a\r", b"\r")

    def test_mixed_line_ends(self) -> None:
        """Line ends may change from one line to the next."""
        assert [event("a\nb\nc")] == decode(b"data: a\rdata: b\r\ndata: c\n\r\n")

    def test_line_split_anywhere(self) -> None:
        """A line may arrive a few bytes at a time."""
        body = b"id: 7\r\ndata: hello\r\n\r\n"

        assert [event("hello", id="7")] == decode(*(body[i : i + 3] for i in range(0, 24, 3)))

    def test_bom_stripped(self) -> None:
        """A byte order mark at the start of the stream is dropped, even split over chunks."""
        assert [event("a")] == decode(b"\xef", b"\xbb", b"\xbfdata: a\n\n")

    def test_bom_only_at_start(self) -> None:
        """A byte order mark later in the stream is part of the line, here a field name."""
        assert [event("a")] == decode(b"data: a\n\n\xef\xbb\xbfdata: b\n\n")

    def test_invalid_utf8_replaced(self) -> None:
        """Bytes that are not UTF-8 decode to U+FFFD instead of failing the stream."""
        assert [event("a\ufffdb")] == decode(b"data: a\xffb\n\n")

    def test_one_mib_line_in_7_byte_chunks(self) -> None:
        """A 1 MiB data line fed 7 bytes at a time arrives whole."""
        payload = b"x" * (1 << 20)
        body = b"data: " + payload + b"\n\n"

        assert [event(payload.decode())] == decode(
            *(body[i : i + 7] for i in range(0, len(body), 7))
        )


class TestFields:
    def test_comments_counted_not_dispatched(self) -> None:
        """Comment lines are counted as keep-alives and never become events."""
        decoder = SSEDecoder()
        events = decoder.feed(b": ping\n\n:\n\ndata: a\n: inside\n\n")

        assert ([event("a")], 3) == (events, decoder.comments)

    def test_multi_line_data(self) -> None:
        """The data lines of one event are joined with newlines."""
        assert [event("a\n\nb")] == decode(b"data: a\ndata:\ndata: b\n\n")

    def test_bare_data_adds_empty_line(self) -> None:
        """A ``data`` line without a colon adds an empty line to the data."""
        assert [event(""), event("\n")] == decode(b"data\n\ndata\ndata\n\n")

    def test_value_without_space(self) -> None:
        """The space after the colon is optional."""
        assert [event("a")] == decode(b"data:a\n\n")

    def test_only_one_space_removed(self) -> None:
        """Exactly one leading space is removed from a value."""
        assert [event("  a ")] == decode(b"data:   a \n\n")

    def test_event_type(self) -> None:
        """``event`` sets the type of one event only; the default is ``message``."""
        body = b"event: delta\ndata: a\n\ndata: b\n\nevent:\ndata: c\n\n"

        assert [event("a", type="delta"), event("b"), event("c")] == decode(body)

    def test_field_without_colon(self) -> None:
        """A line without a colon is a field with an empty value."""
        assert [event("a", type="message")] == decode(b"event: x\nevent\ndata: a\n\n")

    def test_unknown_field_ignored(self) -> None:
        """Fields the spec does not define are ignored."""
        assert [event("a")] == decode(b"x-custom: 1\ndata: a\nDATA: b\n\n")

    def test_id_persists(self) -> None:
        """An id stays in effect for later events until another id replaces it."""
        body = b"id: 1\ndata: a\n\ndata: b\n\ndata: c\nid: 2\n\n"

        assert [event("a", id="1"), event("b", id="1"), event("c", id="2")] == decode(body)

    def test_id_with_nul_ignored(self) -> None:
        """An id containing NUL leaves the last event id unchanged."""
        assert [event("a", id="1"), event("b", id="1")] == decode(
            b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"
        )

    def test_empty_id_resets(self) -> None:
        """An empty id means no id, so the next events carry ``None``."""
        assert [event("a", id="1"), event("b")] == decode(b"id: 1\ndata: a\n\nid\ndata: b\n\n")

    def test_id_only_block_not_dispatched(self) -> None:
        """A block with an id but no data is not an event, yet its id takes effect."""
        decoder = SSEDecoder()
        expected: tuple[list[ServerSentEvent], str] = ([], "9")
        events = decoder.feed(b"id: 9\n\nevent: x\n\n")

        assert expected == (events, decoder.last_event_id)

    def test_retry(self) -> None:
        """``retry`` of ASCII digits sets the reconnection time; anything else is ignored."""
        body = b"retry: 1500\ndata: a\n\nretry: 2.5\ndata: b\n\nretry: \xd9\xa3\ndata: c\n\n"

        assert [event(c, retry=1500) for c in "abc"] == decode(body)

    def test_retry_huge_ignored(self) -> None:
        """A retry with more digits than ``int`` accepts from text is ignored."""
        assert [event("a")] == decode(b"retry: " + b"9" * 5000 + b"\ndata: a\n\n")


class TestEndOfInput:
    def test_clean_end(self) -> None:
        """A stream that ends after a blank line (or a comment) ended cleanly."""
        decoder = SSEDecoder()
        decoder.feed(b"data: a\n\n: bye\n")

        assert decoder.close() is False

    @pytest.mark.parametrize("tail", [b"data: b\n", b"data: b", b"id: 2\r", b"event: x\n", b"da"])
    def test_unfinished_event(self, tail: bytes) -> None:
        """A stream cut inside an event reports it, and the partial event is not dispatched."""
        decoder = SSEDecoder()
        events = decoder.feed(b"data: a\n\n" + tail)

        assert ([event("a")], True) == (events, decoder.close())

    def test_reuse_after_close(self) -> None:
        """After close the decoder starts a new body: BOM stripped again, id kept."""
        decoder = SSEDecoder()
        decoder.feed(b"id: 4\nretry: 10\ndata: a\n\ndata: cut")
        decoder.close()
        events = decoder.feed(b"\xef\xbb\xbfdata: b\n\n")

        assert [event("b", id="4", retry=10)] == events


class TestServerSentEvent:
    def test_json(self) -> None:
        """``json()`` parses the data."""
        expected = {"a": [1, None]}

        assert expected == event('{"a": [1, null]}').json()

    def test_repr(self) -> None:
        """The repr names every field."""
        expected = "ServerSentEvent(event='message', data='a', id='1', retry=None)"

        assert expected == repr(event("a", id="1"))


class TestChunking:
    @given(stream=event_streams(), data=st.data())
    def test_any_chunking(self, stream: EventStream, data: st.DataObject) -> None:
        """Any split of a stream into chunks gives the events it was written from."""
        decoder = SSEDecoder()
        events = [e for chunk in data.draw(chunkings(stream.body)) for e in decoder.feed(chunk)]

        assert (stream.events, False) == (events, decoder.close())

    @given(stream=event_streams(), data=st.data())
    def test_compact_form(self, stream: EventStream, data: st.DataObject) -> None:
        """The streams' compact form: the same events, a plain message one as its data alone."""
        decoder = SSEDecoder(compact=True)
        got = [e for chunk in data.draw(chunkings(stream.body)) for e in decoder.feed(chunk)]

        assert [e if isinstance(e, str) else e.data for e in got] == [e.data for e in stream.events]
        pairs = zip(stream.events, got, strict=True)
        assert all(e.event == "message" for e, g in pairs if isinstance(g, str))

    @given(stream=event_streams())
    def test_byte_by_byte(self, stream: EventStream) -> None:
        """Feeding a stream one byte at a time gives the events it was written from."""
        body = stream.body

        assert stream.events == decode(*(body[i : i + 1] for i in range(len(body))))
