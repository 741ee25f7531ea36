"""How fast a run of many requests may go: its concurrency, its pauses and its budgets.

One :class:`Pacer` per run decides when the next request may start:

- **Concurrency that adapts** (AIMD, as TCP does): at most ``limit`` calls in flight. A
  pushback (429, 503, 529, or an error that says the server is overloaded) halves the limit,
  at most once per round trip: after a decrease, the pushbacks met before the calls then in
  flight have all finished say nothing new (they were sent at the pace being corrected) and
  are only counted. Each success adds ``1 / limit``, so a clean stretch of ``limit``
  successes raises it by one, up to the ``concurrency`` asked for.
- **A shared pause**: a pushback with ``Retry-After`` (or ``retry-after-ms``) stops every
  new call *and every retry of the run's calls* until it has passed. Without a hint (LLM
  Engine's own 429, from its concurrency limiter) a first decrease pauses nothing, fewer
  calls may be all it takes; a second one with no success in between pauses the retry
  policy's backoff (0.5 s, 1 s, 2 s, ... 8 s for each further one; a wave of 429s answered
  together counts once). A hint above 120 s
  pauses nothing: the retry policy does not retry such an answer, so the call fails at once
  and its failure is recorded.
- **Budgets**: ``max_requests_per_minute`` and ``max_tokens_per_minute`` are token buckets.
  Requests are paced evenly (a burst of at most 1/50 of a second's worth), so a server's
  fixed one-second window sees no more than its limit; tokens may burst up to a second's
  worth. A request's tokens are estimated before it is sent and corrected from the usage its
  answer reports; a request estimated above the bucket's size waits for a full bucket and
  leaves it in debt, so the average stays within the budget. Every retry takes a request
  from the request budget too: the server counts it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Final

from smarter._exceptions import APIError, APIStatusError
from smarter._retry import MAX_RETRY_AFTER, backoff, parse_retry_after

__all__ = ["Pacer", "Ticket", "TokenBucket", "is_pushback"]

#: The statuses that say "slow down": too many requests, unavailable, overloaded (529).
PUSHBACK_STATUSES: Final = frozenset({429, 503, 529})
_REQUEST_BURST_SECONDS: Final = 1 / 50
_TOKEN_BURST_SECONDS: Final = 1.0
_TOO_SHORT: Final = 1e-6


def is_pushback(error: BaseException) -> bool:
    """Whether *error* is the server asking the run to slow down."""
    if not isinstance(error, APIStatusError):
        return False
    if error.status_code in PUSHBACK_STATUSES:
        return True
    return error.status_code >= 500 and "overload" in error.message.lower()


class TokenBucket:
    """Tokens that refill at *rate* per second, up to *burst* of them (at least one).

    Args:
        rate: Tokens per second.
        burst: The most tokens the bucket holds; it starts full.
        now: The clock's current reading.
    """

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, burst)
        self.tokens = self.capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait(self, cost: float, now: float) -> float:
        """Seconds until *cost* tokens may be taken (a cost above the size: a full bucket)."""
        self._refill(now)
        wait = (min(cost, self.capacity) - self.tokens) / self.rate
        # A wait too short for the clock to tell is a float sum of refills falling short.
        return 0.0 if wait < _TOO_SHORT else wait

    def take(self, cost: float, now: float) -> None:
        """Take *cost* tokens (the bucket may go into debt)."""
        self._refill(now)
        self.tokens -= cost

    def give_back(self, amount: float, now: float) -> None:
        """Return *amount* tokens (negative: take more), never above the size."""
        self._refill(now)
        self.tokens = min(self.capacity, self.tokens + amount)


class Ticket:
    """One request's place in the run: the tokens it was charged."""

    __slots__ = ("tokens",)

    def __init__(self, tokens: int) -> None:
        self.tokens = tokens


class Pacer:
    """The pace of one run (see the module docstring).

    Args:
        concurrency: The most calls in flight, and the ceiling the limit grows back to.
        requests_per_minute: A request budget, or None.
        tokens_per_minute: A token budget, or None.
        clock: Seconds, monotonic.
        sleep: How to wait.
    """

    def __init__(
        self,
        *,
        concurrency: int,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        now = clock()
        self.ceiling = concurrency
        self.limit = float(concurrency)
        """The number of calls allowed in flight now (its floor)."""
        self.in_flight = 0
        self.pushbacks = 0
        """Pushback answers met so far, retried or not."""
        self._draining = 0  # calls to finish before the next decrease
        self._streak = 0
        self._paused_until = now
        self._requests: TokenBucket | None = None
        if requests_per_minute is not None:
            rate = requests_per_minute / 60.0
            self._requests = TokenBucket(rate, rate * _REQUEST_BURST_SECONDS, now)
        self._tokens: TokenBucket | None = None
        if tokens_per_minute is not None:
            rate = tokens_per_minute / 60.0
            self._tokens = TokenBucket(rate, rate * _TOKEN_BURST_SECONDS, now)
        self._freed = asyncio.Event()

    @property
    def paused_for(self) -> float:
        """Seconds left of the shared pause (0 when there is none)."""
        return max(0.0, self._paused_until - self._clock())

    def _budget_wait(self, tokens: int, now: float) -> float:
        wait = self._paused_until - now
        if self._requests is not None:
            wait = max(wait, self._requests.wait(1, now))
        if tokens and self._tokens is not None:
            wait = max(wait, self._tokens.wait(tokens, now))
        return wait

    def _charge(self, tokens: int, now: float) -> None:
        if self._requests is not None:
            self._requests.take(1, now)
        if tokens and self._tokens is not None:
            self._tokens.take(tokens, now)

    async def acquire(self, tokens: int) -> Ticket:
        """Wait for room for a new call estimated at *tokens*, and take it."""
        while True:
            if self.in_flight >= int(self.limit):
                self._freed.clear()
                await self._freed.wait()
                continue
            now = self._clock()
            wait = self._budget_wait(tokens, now)
            if wait > 0:
                await self._sleep(wait)
                continue
            self._charge(tokens, now)
            self.in_flight += 1
            return Ticket(tokens)

    async def ready(self, ticket: Ticket) -> None:
        """Wait until a call already in flight may send its next attempt."""
        while True:
            now = self._clock()
            wait = self._budget_wait(0, now)
            if wait <= 0:
                self._charge(0, now)
                return
            await self._sleep(wait)

    def failed(self, ticket: Ticket, error: APIError) -> None:
        """An attempt of *ticket*'s call failed with *error*: slow down if it is pushback."""
        if not is_pushback(error):
            return
        self.pushbacks += 1
        fresh = self._draining <= 0
        if fresh:
            self.limit = max(1.0, self.limit / 2.0)
            self._draining = self.in_flight
            self._streak += 1
        assert isinstance(error, APIStatusError)
        hint = parse_retry_after(error.response.headers)
        if hint is None:
            if not fresh or self._streak < 2:
                return  # a first decrease needs no pause: fewer calls may be all it takes
            pause = backoff(self._streak - 2)
        elif hint > MAX_RETRY_AFTER:
            return
        else:
            pause = hint
        self._paused_until = max(self._paused_until, self._clock() + pause)

    def release(self, ticket: Ticket, *, ok: bool, tokens_used: int | None) -> None:
        """*ticket*'s call is over; a success raises the limit a little."""
        self.in_flight -= 1
        self._draining -= 1
        if tokens_used is not None and self._tokens is not None:
            self._tokens.give_back(ticket.tokens - tokens_used, self._clock())
        if ok:
            self._streak = 0
            self.limit = min(float(self.ceiling), self.limit + 1.0 / self.limit)
        self._freed.set()

    def watch(self, ticket: Ticket) -> Watch:
        """The retry observer of *ticket*'s call (see :func:`smarter._retry.watch_retries`)."""
        return Watch(self, ticket)


class Watch:
    """Tells the pacer of every retried failure of one call, and holds its retries."""

    __slots__ = ("_pacer", "_ticket")

    def __init__(self, pacer: Pacer, ticket: Ticket) -> None:
        self._pacer = pacer
        self._ticket = ticket

    def failed(self, error: APIError) -> None:
        """An attempt failed and will be retried."""
        self._pacer.failed(self._ticket, error)

    async def ready(self) -> None:
        """Wait for the shared pause and the request budget."""
        await self._pacer.ready(self._ticket)
