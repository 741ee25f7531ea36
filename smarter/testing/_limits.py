"""What the reference server lets through, and how many requests it holds at once.

Off by default, as on the real servers: LLM Engine ``a8236961`` has no rate limit per key;
its only 429 comes from the per-process concurrency limiter, past 500 requests in flight,
with the body ``{"error": "Too many requests", "timestamp": ...}`` and no ``Retry-After``
(``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/app.py``,
``MAX_CONCURRENCY`` and ``CustomMiddleware``;
``model_engine_server/common/concurrency_limiter.py``). A test switches limits on:

- ``server.rate_limit(requests=N, per=seconds)``: at most N requests per fixed window; past
  that, 429 with ``Retry-After`` (whole seconds, rounded up) and ``retry-after-ms`` (the exact
  wait), as a gateway in front of the server answers; ``retry_after=False`` gives no hint, as
  LLM Engine's own 429 does.
- ``server.concurrency_limit(N)``: a request arriving while N are in flight gets 429 without
  a hint, as LLM Engine's limiter answers.

The 429 body is the route family's: LLM Engine's middleware body on ``v1/`` and ``v2/``, an
OpenAI ``rate_limit_error`` on the OpenAI-compatible mount, a journaled error on ``cli/``.
Every request counts as in flight from its arrival to its last byte (a stream until it ends);
:attr:`Limits.peak_in_flight` is the most there were at once.
"""

from __future__ import annotations

import dataclasses
import datetime
import fnmatch
import math
import threading
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from smarter.testing._http import (
    CONTEXT,
    ApiError,
    error_response,
    family_of,
    json_response,
    relative_path,
)

__all__ = ["Limits", "RateLimit", "limits_middleware"]

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` requests per window of ``per`` seconds, on matching routes."""

    requests: int
    per: float
    retry_after: bool = True
    route: str = "*"


class Limits:
    """The limits a reference server enforces, and its count of requests in flight.

    Changed from the test's thread, read on the server's loop: the window is kept under a
    lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rate: RateLimit | None = None
        self.concurrency: int | None = None
        self._window_start = 0.0
        self._count = 0
        self.in_flight = 0
        """Requests in flight now."""
        self.peak_in_flight = 0
        """The most requests that were in flight at once."""
        self.rejected = 0
        """429s answered by the limits."""

    def set_rate(self, rate: RateLimit | None) -> None:
        """Switch the rate limit on (a new window starts at the next request), or off."""
        if rate is not None and (rate.requests < 1 or not rate.per > 0):
            raise ValueError(f"a rate limit needs requests >= 1 and per > 0, not {rate!r}")
        with self._lock:
            self.rate = rate
            self._window_start = 0.0
            self._count = 0

    def set_concurrency(self, limit: int | None) -> None:
        """Refuse requests past *limit* in flight (None: no limit)."""
        if limit is not None and limit < 1:
            raise ValueError(f"a concurrency limit must be at least 1, not {limit!r}")
        self.concurrency = limit

    def reset_counts(self) -> None:
        """Forget the peak and the rejections counted so far."""
        self.peak_in_flight = self.in_flight
        self.rejected = 0

    def _admit(self, path: str) -> tuple[float | None, bool] | None:
        """None to let a request through; else the wait to advise, and whether to say it."""
        if self.concurrency is not None and self.in_flight >= self.concurrency:
            return None, False
        rate = self.rate
        if rate is None or not fnmatch.fnmatchcase(path, rate.route):
            return None
        now = time.monotonic()
        with self._lock:
            if not self._window_start or now >= self._window_start + rate.per:
                # Windows follow each other from the first request after the switch.
                passed = (now - self._window_start) % rate.per if self._window_start else 0.0
                self._window_start = now - passed
                self._count = 0
            if self._count < rate.requests:
                self._count += 1
                return None
            return self._window_start + rate.per - now, rate.retry_after


def _too_many(request: web.Request, wait: float | None, hint: bool) -> web.Response:
    path = relative_path(request)
    family = family_of(path)
    if family == "llm":
        stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        response = json_response({"error": "Too many requests", "timestamp": stamp}, status=429)
    else:
        error = ApiError(429, "Rate limit reached: too many requests.", code="rate_limit_exceeded")
        generation = request.app[CONTEXT].profile.platform
        response = error_response(family, error, generation=generation, url=str(request.url))
    if hint and wait is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        response.headers["retry-after-ms"] = f"{max(wait, 0.001) * 1000:.0f}"
    return response


@web.middleware
async def limits_middleware(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Count the request in flight; answer 429 when a limit says so."""
    limits = request.app[CONTEXT].limits
    if limits is None:
        return await handler(request)
    refused = limits._admit(relative_path(request))
    limits.in_flight += 1
    limits.peak_in_flight = max(limits.peak_in_flight, limits.in_flight)
    try:
        if refused is not None:
            limits.rejected += 1
            while await request.content.readany():  # an upload not read yet: drop it
                pass
            return _too_many(request, *refused)
        return await handler(request)
    finally:
        limits.in_flight -= 1
