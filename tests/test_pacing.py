"""The pace of a run: AIMD concurrency, the shared pause, and the token buckets (no I/O)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from smarter._exceptions import APIConnectionError, InternalServerError, RateLimitError
from smarter._pacing import Pacer, TokenBucket, is_pushback
from smarter._response import HTTPResponse


class Clock:
    """A clock that moves only when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def answer(status: int, headers: dict[str, str] | None = None, body: bytes = b"{}") -> Any:
    """An error of *status*, as the pipeline makes it."""
    response = HTTPResponse(
        method="POST",
        url="http://x/v1/llm/completions-sync",
        status_code=status,
        headers={name.lower(): value for name, value in (headers or {}).items()},
        content=body,
        request_id=None,
    )
    cls = RateLimitError if status == 429 else InternalServerError
    return cls(f"Error code: {status}", response=response)


def pacer(clock: Clock, **options: Any) -> Pacer:
    """A pacer on the fake clock."""
    return Pacer(clock=clock, sleep=clock.sleep, **{"concurrency": 8, **options})


class TestPushback:
    @pytest.mark.parametrize(
        ("error", "expected"),
        [
            (answer(429), True),
            (answer(503), True),
            (answer(529), True),
            (answer(500, body=b'{"detail": "Server overloaded"}'), False),
            (answer(500), False),
            (APIConnectionError(), False),
        ],
    )
    def test_what_is_pushback(self, error: Exception, expected: bool) -> None:
        """429, 503 and 529 are pushback; a plain 500 or a broken connection is not."""
        assert is_pushback(error) is expected

    def test_overloaded_message(self) -> None:
        """A 5xx whose message says the server is overloaded is pushback."""
        error = answer(500)
        error.message = "The server is overloaded, try later."

        assert is_pushback(error)


class TestConcurrency:
    async def test_halved_once_per_round_trip(self) -> None:
        """A wave of 429s halves the limit once; after it drained, the next one halves again."""
        clock = Clock()
        pace = pacer(clock)
        tickets = [await pace.acquire(0) for _ in range(8)]
        for ticket in tickets[:4]:
            pace.failed(ticket, answer(429))
        after_wave = pace.limit
        for ticket in tickets:
            pace.release(ticket, ok=False, tokens_used=None)
        ticket = await pace.acquire(0)
        pace.failed(ticket, answer(429))

        assert (after_wave, pace.limit, pace.pushbacks) == (4.0, 2.0, 5)

    async def test_clean_stretch_raises_it(self) -> None:
        """Each success adds 1/limit, up to the concurrency asked for."""
        clock = Clock()
        pace = pacer(clock, concurrency=4)
        first = await pace.acquire(0)
        pace.failed(first, answer(429))
        pace.release(first, ok=False, tokens_used=None)
        limits = []
        for _ in range(12):
            ticket = await pace.acquire(0)
            pace.release(ticket, ok=True, tokens_used=None)
            limits.append(int(pace.limit))

        assert (limits[0], limits[-1]) == (2, 4)

    async def test_never_more_than_the_limit(self) -> None:
        """acquire() waits while the limit's worth of calls is in flight."""
        pace = pacer(Clock(), concurrency=2)
        held = [await pace.acquire(0), await pace.acquire(0)]
        third = asyncio.ensure_future(pace.acquire(0))
        await asyncio.sleep(0.01)
        waiting = not third.done()
        pace.release(held[0], ok=True, tokens_used=None)
        await asyncio.wait_for(third, 1)

        assert (waiting, pace.in_flight) == (True, 2)


class TestPause:
    async def test_retry_after_pauses_everyone(self) -> None:
        """A Retry-After holds new calls and retries alike until it has passed."""
        clock = Clock()
        pace = pacer(clock)
        ticket = await pace.acquire(0)
        pace.failed(ticket, answer(429, {"Retry-After": "2"}))
        await pace.ready(ticket)
        await pace.acquire(0)

        assert (clock.now, sum(clock.slept)) == (102.0, 2.0)

    async def test_no_hint_first_decrease_no_pause(self) -> None:
        """Without a hint, the first decrease pauses nothing; a second one in a row does."""
        clock = Clock()
        pace = pacer(clock)
        first = await pace.acquire(0)
        pace.failed(first, answer(429))
        paused_first = pace.paused_for
        pace.release(first, ok=False, tokens_used=None)
        second = await pace.acquire(0)
        pace.failed(second, answer(429))

        assert paused_first == 0.0
        assert 0.375 <= pace.paused_for <= 0.5

    async def test_hint_too_long_pauses_nothing(self) -> None:
        """A hint above 120 s is not retried, so it pauses nobody."""
        pace = pacer(Clock())
        ticket = await pace.acquire(0)
        pace.failed(ticket, answer(429, {"Retry-After": "3600"}))

        assert pace.paused_for == 0.0


class TestBudgets:
    async def test_requests_paced_evenly(self) -> None:
        """600 a minute: ten a second, one every 0.1 s after the first."""
        clock = Clock()
        pace = pacer(clock, concurrency=100, requests_per_minute=600)
        for _ in range(11):
            await pace.acquire(0)

        assert round(clock.now - 100.0, 6) == 1.0

    async def test_tokens_corrected_from_usage(self) -> None:
        """Tokens estimated too high are given back once the answer says what was used."""
        clock = Clock()
        pace = pacer(clock, tokens_per_minute=6000)  # 100 a second, 100 at most at once
        ticket = await pace.acquire(100)
        pace.release(ticket, ok=True, tokens_used=10)
        await pace.acquire(100)

        assert round(clock.now - 100.0, 6) == 0.1

    async def test_big_request_waits_for_a_full_bucket(self) -> None:
        """A request above the bucket's size goes when it is full, and leaves it in debt."""
        clock = Clock()
        pace = pacer(clock, tokens_per_minute=6000)
        await pace.acquire(300)  # bucket full (100): goes, leaving -200
        await pace.acquire(100)  # waits for 300 tokens: 3 s

        assert round(clock.now - 100.0, 6) == 3.0

    def test_bucket_refills_up_to_its_size(self) -> None:
        """A bucket never holds more than its size, however long it waited."""
        bucket = TokenBucket(10.0, 5.0, 0.0)
        bucket.take(5, 0.0)

        assert (bucket.wait(5, 100.0), bucket.tokens) == (0.0, 5.0)
