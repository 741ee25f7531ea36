"""What a broken stream does next: which ids can be sent back, what a replay skips."""

from __future__ import annotations

import yarl
from hypothesis import given
from hypothesis import strategies as st

import smarter
from smarter._resume import lost, past_resume_point, resume_point, sendable_id
from smarter._sse import ServerSentEvent


def _event(event_id: str | None) -> ServerSentEvent:
    return ServerSentEvent(data="{}", event="message", id=event_id, retry=None)


class TestIds:
    def test_control_characters_make_an_id_unsendable(self) -> None:
        """An id with a control character cannot be a header; a tab or plain text can."""
        assert [sendable_id(i) for i in ("41", "a\tb", "a\x01b", "a\nb", "a\x7f")] == [
            True,
            True,
            False,
            False,
            False,
        ]

    def test_only_numeric_ids_give_a_resume_point(self) -> None:
        """A numeric id is a point a replay can be measured against; others are not."""
        assert [resume_point(i) for i in ("12", "abc", None, "")] == [12, None, None, None]


class TestReplay:
    @given(st.integers(0, 20), st.integers(0, 20))
    def test_a_replay_delivers_each_event_once(self, through: int, start: int) -> None:
        """Events replayed from *start*: those at or below the point are read past."""
        events = [_event(str(n)) for n in range(start, 25)]

        kept, left = past_resume_point(events, through)

        assert [int(e.id) for e in kept] == list(range(max(start, through + 1), 25))
        assert left is None

    def test_the_point_is_kept_across_bodies_until_passed(self) -> None:
        """A replay split over several reads keeps skipping until an event beyond the point."""
        kept, left = past_resume_point([_event("1"), _event("2")], 3)
        assert (kept, left) == ([], 3)

        kept, left = past_resume_point([_event("3"), _event("4"), _event("1")], left)
        assert ([e.id for e in kept], left) == (["4", "1"], None)


class TestLost:
    def test_lost_keeps_timeouts_and_names_the_rest_incomplete(self) -> None:
        """A stream that broke after chunks: timeouts stay timeouts, the rest are incomplete."""
        url = yarl.URL("http://h/v1/x")
        request = smarter.Request(
            "POST", url, {}, None, "v1/x", smarter.Timeout(5), "id-1", "llm_engine", 0
        )
        timeout = lost(smarter.APITimeoutError(request=request), request)
        other = lost(smarter.APIConnectionError(request=request), request)

        assert isinstance(timeout, smarter.APITimeoutError)
        assert isinstance(other, smarter.IncompleteStreamError)
