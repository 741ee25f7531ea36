"""The retry policy of PROTOCOL.md ("Retries"), run by tenacity.

What is retried: connection errors (refused, reset, dropped before a whole answer), timeouts,
408, 409, 429, every status >= 500, and any status whose response says
``x-should-retry: true``. Never: ``x-should-retry: false``, a TLS certificate error, an invalid
URL, other 4xx, or an answer whose ``Retry-After`` asks for more than 120 s.

How long to wait: ``retry-after-ms``, else ``Retry-After`` (seconds or an HTTP-date), slept
exactly when 0 < hint <= 120 s; else ``min(0.5 * 2**n, 8.0) * (1 - 0.25 * random())``.

Who else may watch: a :class:`RetryObserver` set in the current context (``watch_retries``)
is told of every failed attempt that will be retried and awaited before the retry is sent.
The runner of ``create_many()`` uses it to see the pushback its calls meet and to hold their
retries during a shared pause; a call outside such a context pays one ``ContextVar.get()``
per retry, nothing on its first attempt.

This is the only module that imports tenacity, and only once a call is retried.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from smarter._exceptions import APIConnectionError, APIError, APIStatusError
from smarter._logging import log_retry

if TYPE_CHECKING:
    import tenacity

__all__ = [
    "MAX_RETRY_AFTER",
    "RetryObserver",
    "backoff",
    "parse_retry_after",
    "retry_delay",
    "run_with_retries",
    "set_testing",
    "should_retry",
    "testing_delays",
    "watch_retries",
]

T = TypeVar("T")

MAX_RETRY_AFTER: Final = 120.0
_INITIAL_DELAY: Final = 0.5
_MAX_DELAY: Final = 8.0
_RETRY_STATUSES: Final = frozenset({408, 409, 429})
_CREATE_RETRY_STATUSES: Final = frozenset({408, 429})


class RetryObserver(Protocol):
    """Watches the retries of the calls made in one context (see :func:`watch_retries`)."""

    def failed(self, error: APIError) -> None:
        """An attempt failed with *error*, and will be retried."""

    async def ready(self) -> None:
        """Return when the retry may be sent (after the call's own delay)."""


_OBSERVER: contextvars.ContextVar[RetryObserver | None] = contextvars.ContextVar(
    "smarter_retry_observer", default=None
)


def watch_retries(observer: RetryObserver | None) -> None:
    """Let *observer* watch the retries of every call made from now on in this context.

    Set inside a task, it watches that task's calls only (each task runs in a copy of the
    context it was created in).
    """
    _OBSERVER.set(observer)


class _TestMode:
    """The test switch: when on, retries do not sleep; the delays are recorded instead."""

    enabled = False
    delays: list[float] = []  # noqa: RUF012 (one process-wide record, on purpose)


def set_testing(enabled: bool) -> None:
    """Turn off real sleeping between retries (for test suites), or back on.

    With testing on, every computed delay is appended to :func:`testing_delays` instead of
    being slept, so a suite can assert the backoff without waiting for it.
    """
    _TestMode.enabled = enabled
    _TestMode.delays = []


def testing_delays() -> list[float]:
    """The delays that would have been slept since testing mode was turned on."""
    return list(_TestMode.delays)


async def _sleep(seconds: float) -> None:
    if _TestMode.enabled:
        _TestMode.delays.append(seconds)
        seconds = 0.0
    await asyncio.sleep(seconds)


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    # `1e400` reads as infinity: a wait beyond any cap (no retry), not a missing hint.
    return value if not math.isnan(value) else None


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The server's hint of how long to wait, in seconds, or None when it gave none.

    ``retry-after-ms`` (float milliseconds) wins over ``Retry-After``, which is seconds (a
    float is tolerated) or an HTTP-date. A hint that does not parse or is not positive is
    no hint at all; one too large for a float (``1e400``) is infinite, so no retry waits
    for it.
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        value = _seconds(millis.strip())
        if value is not None and value > 0:
            return value / 1000.0
    text = headers.get("retry-after")
    if text is None:
        return None
    text = text.strip()
    value = _seconds(text)
    if value is None:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # "-0000" means GMT without saying so
            when = when.replace(tzinfo=datetime.timezone.utc)
        value = when.timestamp() - (time.time() if now is None else now)
    return value if value > 0 else None


def backoff(retries_taken: int) -> float:
    """The delay before retry number *retries_taken* + 1 when the server gave no hint."""
    base = min(_INITIAL_DELAY * 2.0 ** min(retries_taken, 32), _MAX_DELAY)
    return base * (1.0 - 0.25 * random.random())


def _hint(exc: BaseException) -> float | None:
    if isinstance(exc, APIStatusError):
        return parse_retry_after(exc.response.headers)
    return None


def should_retry(exc: BaseException) -> bool:
    """Whether a failed attempt may be tried again (attempts left aside).

    A call that creates something (``request.creates``) is tried again only when the failure
    proves the server did not act: the connection was never made, a 429, a 408 (the server
    did not read the whole request, RFC 9110 section 15.5.9), or ``x-should-retry: true``.
    The real servers replay no ``Idempotency-Key`` (PROTOCOL.md, "Retries"), so any other
    failure may hide a created object, and a retry would make a second one.
    """
    request = exc.request if isinstance(exc, APIError) else None
    creates = request is not None and request.creates is not None
    if isinstance(exc, APIConnectionError):
        return exc._retryable and not (creates and exc.sent)
    if not isinstance(exc, APIStatusError):
        return False
    hint = _hint(exc)
    flag = exc.response.headers.get("x-should-retry")
    if (hint is not None and hint > MAX_RETRY_AFTER) or flag == "false" or exc._permanent:
        return False
    if flag == "true":
        return True
    if creates:
        return exc.status_code in _CREATE_RETRY_STATUSES
    return exc.status_code in _RETRY_STATUSES or exc.status_code >= 500


def retry_delay(exc: BaseException, retries_taken: int) -> float:
    """Seconds to wait after *exc*, the failure of attempt number *retries_taken* + 1."""
    hint = _hint(exc)
    if hint is not None and hint <= MAX_RETRY_AFTER:
        return hint
    return backoff(retries_taken)


def _wait(offset: int) -> Callable[[tenacity.RetryCallState], float]:
    def wait(retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        retries_taken = offset + retry_state.attempt_number - 1
        if exc is None:
            return 0.0
        observer = _OBSERVER.get()
        if observer is not None and isinstance(exc, APIError):
            observer.failed(exc)
        return retry_delay(exc, retries_taken)

    return wait


async def run_with_retries(
    attempt: Callable[[int], Awaitable[T]],
    *,
    max_retries: int,
    label: str,
    retries_taken: int = 0,
    first_error: APIError | None = None,
    on_retry: Callable[[int], None] | None = None,
) -> T:
    """Run *attempt* until it succeeds, fails for good, or the retries run out.

    Args:
        attempt: Makes one attempt; called with the number of retries taken so far (the
            ``X-Smarter-Retry-Count`` of that attempt).
        max_retries: The retries the whole call may take.
        label: ``"<METHOD> <path>"`` for the log.
        retries_taken: Retries this call already spent (a resumed stream).
        first_error: A failure that already happened (a stream that broke): it is judged
            and waited for like the failure of an attempt, then the next attempt is made.
        on_retry: Told the new count of retries taken before each retry is made.

    Raises:
        APIError: the last failure, when it may not be retried or no retries are left.
    """
    try:
        if first_error is None:
            # The happy path makes one attempt without building tenacity's machinery, which
            # costs more than the rest of the client's per-call work put together.
            try:
                return await attempt(retries_taken)
            except APIError as exc:
                first_error = exc
        if retries_taken >= max_retries or not should_retry(first_error):
            raise first_error
        return await _retry(
            attempt,
            first_error,
            max_retries=max_retries,
            label=label,
            offset=retries_taken,
            on_retry=on_retry,
        )
    finally:
        # The error goes up with this frame in its traceback: a reference to it here too
        # would be a cycle, keeping the call (and a client dropped after it) alive until
        # the cycle collector runs.
        first_error = None


async def _retry(
    attempt: Callable[[int], Awaitable[T]],
    first_error: APIError,
    *,
    max_retries: int,
    label: str,
    offset: int,
    on_retry: Callable[[int], None] | None,
) -> T:
    # Imported on the first retry, not with the package: tenacity (and tornado, which it
    # imports when installed) is a fifth of `import smarter` otherwise.
    import tenacity

    def before_sleep(state: tenacity.RetryCallState) -> None:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        log_retry(label, exc, offset + state.attempt_number, delay)

    retrying: Any = tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(max_retries - offset + 1),
        wait=_wait(offset),
        retry=tenacity.retry_if_exception(should_retry),
        before_sleep=before_sleep,
        sleep=_sleep,
        reraise=True,
    )
    trial: Any = None
    observer = _OBSERVER.get()
    try:
        async for trial in retrying:
            with trial:
                number = offset + trial.retry_state.attempt_number - 1
                if number == offset:
                    raise first_error
                if observer is not None:
                    await observer.ready()
                if on_retry is not None:
                    on_retry(number)
                return await attempt(number)
        raise AssertionError("unreachable: tenacity re-raises the last failure")  # pragma: no cover
    finally:
        # Tenacity's state holds the last error too (see run_with_retries).
        del first_error, retrying, trial
