"""What the engine of a run estimates before a request and reads from its answer."""

from __future__ import annotations

from typing import Any

import pytest

from smarter._converter import structure
from smarter._engine import Outcome, estimate_tokens, tokens_used
from smarter.types import ChatCompletion, CompletionSyncResponse


class TestEstimate:
    @pytest.mark.parametrize(
        ("request_", "expected"),
        [
            ({"prompt": "x" * 40}, 10 + 1 + 20),
            ({"prompt": "x" * 40, "max_new_tokens": 5}, 10 + 1 + 5),
            ({"messages": [{"role": "user", "content": "y" * 80}]}, 20 + 1 + 256),
            ({"messages": [{"role": "user", "content": "y" * 8}], "max_tokens": 7}, 2 + 1 + 7),
            ({"message": "z" * 400}, 100 + 1 + 256),
        ],
    )
    def test_text_and_most_new_tokens(self, request_: dict[str, Any], expected: int) -> None:
        """Four characters a token, plus the most new tokens the request asks for."""
        assert estimate_tokens(request_) == expected


class TestUsage:
    def test_completion(self) -> None:
        """A completion used its prompt's and its completion's tokens."""
        body = {"output": {"text": "a", "num_prompt_tokens": 7, "num_completion_tokens": 3}}

        assert tokens_used(structure(body, CompletionSyncResponse)) == 10

    def test_chat(self) -> None:
        """A chat completion says its total."""
        body = {
            "id": "c",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [],
            "usage": {"prompt_tokens": 4, "completion_tokens": 5, "total_tokens": 9},
        }

        assert tokens_used(structure(body, ChatCompletion)) == 9

    def test_unknown(self) -> None:
        """An answer that says nothing of its tokens: None (the estimate stands)."""
        assert tokens_used(object()) is None


def test_outcome_ok() -> None:
    """An outcome without an error is ok."""
    assert (Outcome(0, {}, result=1).ok, Outcome(1, {}, error=ValueError()).ok) == (True, False)  # type: ignore[arg-type]
