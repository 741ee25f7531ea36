"""A deterministic fake language model: the same request always gets the same words.

Token ``i`` is a space and a word of a fixed vocabulary, chosen by a BLAKE2b hash of the
prompt, the sampling settings and ``i``. Nothing depends on time or chance, so a stream
resumed with ``Last-Event-ID`` continues exactly where the first one broke, and a test can
compute what it should have received by calling :func:`generate` itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence

__all__ = ["VOCABULARY", "Generation", "count_words", "generate", "json_answer"]

VOCABULARY: tuple[str, ...] = (
    "apple", "river", "stone", "cloud", "garden", "window", "silver", "morning",
    "quiet", "bright", "forest", "paper", "candle", "harbor", "yellow", "music",
    "little", "summer", "winter", "bridge", "letter", "orange", "planet", "simple",
    "gentle", "travel", "market", "number", "circle", "shadow", "valley", "honest",
    "ladder", "pocket", "rabbit", "island", "pencil", "silent", "copper", "meadow",
    "thunder", "violet", "lantern", "marble", "feather", "compass", "blanket", "velvet",
    "the", "a", "of", "and", "to", "in", "is", "it",
    "with", "for", "on", "at", "by", "from", "as", "we",
)  # fmt: skip
assert len(VOCABULARY) == 64
_TOKENS = tuple(" " + word for word in VOCABULARY)
_LOG_PROBS = tuple(-round(0.05 + index / 16, 4) for index in range(256))
_COUNTER_BYTES = tuple(index.to_bytes(2, "little") for index in range(65536))


@dataclasses.dataclass(frozen=True)
class Generation:
    """What the fake model produced for one request."""

    tokens: list[str]
    """The token texts; their concatenation is ``text``."""
    log_probs: list[float]
    """One negative log probability per token."""
    num_prompt_tokens: int
    """The number of whitespace-separated words of the prompt."""
    stopped: bool
    """True when a stop sequence ended the text before the token limit."""

    @property
    def text(self) -> str:
        """The generated text."""
        return "".join(self.tokens)


def count_words(text: str) -> int:
    """Count whitespace-separated words, the fake model's notion of a prompt token.

    Args:
        text: Any text.

    Returns:
        The number of words.
    """
    return len(text.split())


def _raw_tokens(key: bytes, count: int) -> tuple[list[str], list[float]]:
    seed = hashlib.blake2b(key, digest_size=16)
    tokens: list[str] = []
    log_probs: list[float] = []
    append_token = tokens.append
    append_log_prob = log_probs.append
    for index in range(count):
        hasher = seed.copy()
        # Two bytes of counter plus the high part keep every index distinct without
        # building a new bytes object per token for the first 65536 indexes.
        hasher.update(_COUNTER_BYTES[index & 0xFFFF])
        if index > 0xFFFF:
            hasher.update((index >> 16).to_bytes(4, "little"))
        digest = hasher.digest()
        append_token(_TOKENS[digest[0] & 63])
        append_log_prob(_LOG_PROBS[digest[1]])
    return tokens, log_probs


def _trim(tokens: list[str], log_probs: list[float], length: int) -> tuple[list[str], list[float]]:
    """Keep the tokens that make up the first ``length`` characters of their text."""
    kept: list[str] = []
    kept_log_probs: list[float] = []
    remaining = length
    for token, log_prob in zip(tokens, log_probs, strict=True):
        if remaining <= 0:
            break
        piece = token[:remaining]
        kept.append(piece)
        kept_log_probs.append(log_prob)
        remaining -= len(piece)
    return kept, kept_log_probs


def _find_stop(tokens: list[str], stops: Sequence[str]) -> tuple[int, str] | None:
    """Find the earliest stop sequence in the text, scanning token by token."""
    longest = max(len(stop) for stop in stops)
    text_length = 0
    tail = ""
    for token in tokens:
        tail_start = text_length - len(tail)
        tail += token
        text_length += len(token)
        hits = [(tail.find(stop), stop) for stop in stops]
        found = [(position, stop) for position, stop in hits if position >= 0]
        if found:
            position, stop = min(found)
            return tail_start + position, stop
        # Keep just enough characters for a stop sequence that straddles two tokens.
        tail = tail[-(longest - 1) :] if longest > 1 else ""
    return None


def generate(
    prompt: str,
    max_tokens: int,
    *,
    temperature: float | None = None,
    top_k: int | None = None,
    top_p: float | None = None,
    stop: Sequence[str] = (),
    include_stop: bool = False,
    choice: int = 0,
) -> Generation:
    """Generate the fake model's answer to a prompt.

    Exactly ``max_tokens`` tokens, unless a stop sequence appears in the text first: then
    the text ends before it (or just after it with ``include_stop``).

    Args:
        prompt: The prompt text.
        max_tokens: The token limit.
        temperature: A sampling setting that changes the words.
        top_k: A sampling setting that changes the words.
        top_p: A sampling setting that changes the words.
        stop: Stop sequences.
        include_stop: Keep the stop sequence at the end of the text.
        choice: The index of an alternative answer (``n`` > 1 on chat completions).

    Returns:
        The generation.
    """
    key = json.dumps([prompt, temperature, top_k, top_p, choice]).encode()
    tokens, log_probs = _raw_tokens(key, max_tokens)
    stops = [item for item in stop if item]
    stopped = False
    if stops and tokens:
        hit = _find_stop(tokens, stops)
        if hit is not None:
            position, found = hit
            end = position + len(found) if include_stop else position
            tokens, log_probs = _trim(tokens, log_probs, end)
            stopped = True
    return Generation(
        tokens=tokens,
        log_probs=log_probs,
        num_prompt_tokens=count_words(prompt),
        stopped=stopped,
    )


def json_answer(text: str) -> list[str]:
    """Split a JSON object answer into stream pieces whose concatenation is valid JSON.

    Args:
        text: The answer text.

    Returns:
        The pieces: an opening, one piece per word, and a closing.
    """
    words = text.split(" ")
    pieces = ['{"answer": "']
    for index, word in enumerate(words):
        pieces.append(json.dumps(word if index == 0 else " " + word)[1:-1])
    pieces.append('"}')
    return pieces
