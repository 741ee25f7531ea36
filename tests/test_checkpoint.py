"""The checkpoint file of a run: keys, lines written and read back, what a crash leaves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarter import SmarterError
from smarter._checkpoint import Checkpoint, DoneKeys, parse_line, read_done, request_key
from smarter.types import CompletionSyncResponse

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
REQUESTS = st.dictionaries(st.text(min_size=1), JSON, max_size=6)


class TestKeys:
    @given(REQUESTS)
    def test_order_of_the_arguments_does_not_matter(self, request: dict[str, Any]) -> None:
        """The same arguments in another order have the same key."""
        reordered = dict(reversed(list(request.items())))

        assert request_key("completions", request) == request_key("completions", reordered)

    def test_namespace_and_arguments_matter(self) -> None:
        """Another call, or another argument, is another key; a key is 32 hex digits."""
        keys = {
            request_key("completions", {"prompt": "a"}),
            request_key("chat.completions", {"prompt": "a"}),
            request_key("completions", {"prompt": "b"}),
        }

        assert len(keys) == 3
        assert all(len(key) == 32 and int(key, 16) >= 0 for key in keys)


class TestLines:
    @given(st.text())
    def test_any_text_parses_or_is_ignored(self, text: str) -> None:
        """parse_line never raises: a line is good, or it is ignored (None)."""
        parsed = parse_line(text)

        assert parsed is None or (len(parsed[0]) == 32 and isinstance(parsed[1], bool))

    @given(REQUESTS, st.booleans())
    def test_written_lines_read_back(self, request: dict[str, Any], ok: bool) -> None:
        """Each line written is read back with its key, as a result or a failure."""
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            checkpoint = Checkpoint(Path(tmp) / "c.jsonl")
            checkpoint.open()
            key = request_key("completions", request)
            error = None if ok else SmarterError("refused")
            checkpoint.append(key, 3, request, {"answer": 1} if ok else None, error)
            checkpoint.close()
            lines = (Path(tmp) / "c.jsonl").read_text().splitlines()

        assert [parse_line(line) for line in lines] == [(key, ok)]

    @pytest.mark.parametrize(
        "line",
        [
            '{"key": "0123", "result": {}}',
            '{"key": "' + "g" * 32 + '", "result": {}}',
            '{"key": "' + "a" * 32 + '"}',
            '["not", "an", "object"]',
            '{"key": "' + "a" * 32 + '", "result": {"text": "cut sh',
        ],
    )
    def test_bad_lines_are_ignored(self, line: str) -> None:
        """A short key, a non-hex key, no outcome, no object, a cut line: all ignored."""
        assert parse_line(line) is None

    def test_result_is_the_wire_body(self, tmp_path: Path) -> None:
        """A result is stored as its wire form (to_dict()), an error as type and message."""
        from smarter._converter import structure

        result = structure(
            {"request_id": "r", "output": {"text": "hi", "num_completion_tokens": 1}},
            CompletionSyncResponse,
        )
        checkpoint = Checkpoint(tmp_path / "c.jsonl")
        checkpoint.open()
        checkpoint.append("a" * 32, 0, {"prompt": "p"}, result, None)
        checkpoint.append("b" * 32, 1, {"prompt": "q"}, None, SmarterError("no"))
        checkpoint.close()
        lines = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]

        assert lines[0]["result"] == result.to_dict()
        assert lines[1]["error"] == {"type": "SmarterError", "message": "no", "status_code": None}


class TestCrash:
    def test_cut_last_line_is_ignored_and_ended(self, tmp_path: Path) -> None:
        """What a killed writer leaves: its half line is ignored, the next line starts fresh."""
        path = tmp_path / "c.jsonl"
        good = json.dumps({"key": "a" * 32, "index": 0, "request": {}, "result": {}})
        path.write_text(good + "\n" + '{"key": "' + "b" * 32 + '", "res')
        checkpoint = Checkpoint(path)
        done = checkpoint.load()
        checkpoint.open()
        checkpoint.append("c" * 32, 2, {}, {}, None)
        checkpoint.close()

        assert (done.take("a" * 32), done.take("b" * 32)) == (True, False)
        assert [parse_line(line) for line in path.read_text().splitlines()] == [
            ("a" * 32, True),
            None,
            ("c" * 32, True),
        ]

    def test_missing_file_is_empty(self, tmp_path: Path) -> None:
        """No file yet: nothing is done."""
        assert len(read_done(tmp_path / "none.jsonl")) == 0

    def test_unwritable_is_a_smarter_error(self, tmp_path: Path) -> None:
        """A checkpoint that cannot be written is a SmarterError naming the file."""
        checkpoint = Checkpoint(tmp_path / "no-such-dir" / "c.jsonl")

        with pytest.raises(SmarterError, match="Cannot write the checkpoint"):
            checkpoint.open()


class TestDoneKeys:
    def test_counted(self) -> None:
        """A key done twice skips two requests with it, not three."""
        done = DoneKeys(["a" * 32, "a" * 32, "b" * 32])

        assert [done.take("a" * 32) for _ in range(3)] == [True, True, False]
        assert (done.take("b" * 32), done.take("c" * 32)) == (True, False)

    @given(st.lists(st.sampled_from(["1" * 32, "2" * 32, "3" * 32, "4" * 32]), max_size=20))
    def test_takes_as_many_as_were_done(self, keys: list[str]) -> None:
        """For any keys, each can be taken exactly as many times as it was done."""
        done = DoneKeys(keys)
        taken = {key: sum(done.take(key) for _ in range(25)) for key in set(keys)}

        assert taken == {key: keys.count(key) for key in set(keys)}
