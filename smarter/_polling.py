"""Waiting for what a server does in its own time: a job to finish, an endpoint to be ready.

:func:`wait_for` reads the object at once, then again after ``poll_interval`` seconds, each
wait half again as long as the one before, up to eight times ``poll_interval`` (and at most
a minute, unless ``poll_interval`` itself is longer): a job of hours costs a few hundred
reads, one of seconds is seen finished within a poll interval or so.

Progress: every change of state is logged on the ``smarter`` logger at INFO (``SMARTER_LOG
=info``), and *on_progress* (if given) is called with every object read; on the blocking
client it runs in the client's loop thread, so it should be quick.

Ends: the object once it is final; :class:`~smarter.WaitError` when it reached a state that
will never become what was waited for (an endpoint whose deployment failed);
:class:`~smarter.WaitTimeoutError` when *timeout* seconds passed first (a read still in
flight then is cancelled: reads change nothing). An error of a read (after its own retries)
is raised as it is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from smarter._exceptions import WaitError, WaitTimeoutError

__all__ = ["check_wait", "wait_for"]

T = TypeVar("T")
logger = logging.getLogger("smarter")

_GROWTH: Final = 1.5
_MOST_POLLS_PER_INTERVAL: Final = 8.0
_LONGEST_WAIT: Final = 60.0


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds, not {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be positive, not {value!r}")
    return float(value)


def check_wait(poll_interval: object, timeout: object) -> tuple[float, float | None]:
    """The poll interval and the timeout of a wait, checked before anything is sent."""
    return _number("poll_interval", poll_interval), (
        None if timeout is None else _number("timeout", timeout)
    )


async def wait_for(
    fetch: Callable[[], Awaitable[T]],
    *,
    what: str,
    state: Callable[[T], str],
    final: Callable[[T], bool],
    failed: Callable[[T], str | None] | None = None,
    poll_interval: float,
    timeout: float | None,
    on_progress: Callable[[T], object] | None = None,
) -> T:
    """Read with *fetch* until *final* says so (see the module docstring).

    Args:
        fetch: Reads the object once.
        what: What is waited for, for messages (``"fine-tune job ft-123"``).
        state: The object's state, in words (its status).
        final: Whether the object is where the wait ends.
        failed: Why the object can never become what was waited for, or None.
        poll_interval: Seconds before the second read.
        timeout: Seconds the whole wait may take, or None.
        on_progress: Called with each object read.

    Raises:
        WaitError: *failed* gave a reason.
        WaitTimeoutError: *timeout* passed first.
    """
    interval, timeout = check_wait(poll_interval, timeout)
    longest = max(interval, min(interval * _MOST_POLLS_PER_INTERVAL, _LONGEST_WAIT))
    started = time.monotonic()
    deadline = None if timeout is None else started + timeout
    last: T | None = None
    seen: str | None = None
    while True:
        try:
            if deadline is None:
                current = await fetch()
            else:
                current = await asyncio.wait_for(fetch(), max(deadline - time.monotonic(), 0))
        except asyncio.TimeoutError:
            raise _timed_out(what, seen, timeout, last) from None
        last = current
        now = state(current)
        if now != seen:
            logger.info("%s: %s after %.1fs", what, now, time.monotonic() - started)
            seen = now
        if on_progress is not None:
            on_progress(current)
        reason = failed(current) if failed is not None else None
        if reason is not None:
            raise WaitError(f"{what} {reason}", last=current)
        if final(current):
            return current
        pause = interval
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _timed_out(what, seen, timeout, last)
            pause = min(pause, left)
        await asyncio.sleep(pause)
        interval = min(interval * _GROWTH, longest)


def _timed_out(
    what: str, state: str | None, timeout: float | None, last: object
) -> WaitTimeoutError:
    where = f"still {state}" if state is not None else "not read yet"
    return WaitTimeoutError(f"{what} is {where} after the timeout of {timeout:g} s", last=last)
