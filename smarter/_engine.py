"""The machinery of a run of many requests: its outcomes, its tasks, its token estimates.

:mod:`smarter._runner` says what a run does; this module does it. One :class:`Engine` per run
holds its state: a driver task pulls the requests and starts one task per request when the
:class:`~smarter._pacing.Pacer` and the window allow, and the consumer takes the outcomes
(in order or as they finish) with :meth:`Engine.next`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import Any, Final, Generic, Protocol, TypeVar

from smarter._checkpoint import Checkpoint, DoneKeys, request_key
from smarter._exceptions import APIError, APIStatusError, SmarterError
from smarter._pacing import Pacer, Ticket, is_pushback
from smarter._retry import backoff, parse_retry_after, should_retry, watch_retries

__all__ = [
    "PUSHBACK_ROUNDS",
    "Engine",
    "Outcome",
    "Plan",
    "RunStats",
    "estimate_tokens",
    "tokens_used",
]

T = TypeVar("T")
logger = logging.getLogger("smarter")

#: Rounds a request gets when its call's retries all met pushback.
PUSHBACK_ROUNDS: Final = 5


@dataclasses.dataclass(frozen=True)
class Outcome(Generic[T]):
    """What became of one request of a run.

    .. versionadded:: 0.3.0
    """

    index: int
    """The request's position in the input (0 for the first)."""
    request: Mapping[str, Any]
    """The request, as given."""
    result: T | None = None
    """The answer, or None when the call failed."""
    error: SmarterError | None = None
    """Why the call failed (after its retries), or None."""

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.error is None


@dataclasses.dataclass(frozen=True)
class RunStats:
    """Where a run is.

    .. versionadded:: 0.3.0
    """

    done: int
    """Requests finished in this run, failed ones included."""
    failed: int
    """Requests that failed."""
    skipped: int
    """Requests skipped because the checkpoint holds their results."""
    in_flight: int
    """Calls in flight now."""
    concurrency: int
    """The concurrency allowed now (lowered by pushback, raised again after a clean stretch)."""
    pushbacks: int
    """Pushback answers met (429, 503, overloaded), retried ones included."""
    elapsed: float
    """Seconds since the run started."""

    @property
    def rate(self) -> float:
        """Requests finished per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0


class Plan(Protocol[T]):
    """What a run calls, under which name, and how it checks one request."""

    namespace: str
    """The name its checkpoint keys are made under (``"completions"``)."""
    call: Callable[..., Awaitable[T]]
    """The single call, given a request's arguments as keywords."""

    def check(self, index: int, request: Any) -> dict[str, Any]:
        """The keyword arguments of request number *index*, or a TypeError naming it."""


async def _enumerate(
    requests: Iterable[Any] | AsyncIterable[Any],
) -> AsyncGenerator[Any, None]:
    if isinstance(requests, AsyncIterable):
        async for request in requests:
            yield request
    else:
        for request in requests:
            yield request


def _has_hint(error: SmarterError) -> bool:
    return (
        isinstance(error, APIStatusError) and parse_retry_after(error.response.headers) is not None
    )


def estimate_tokens(request: Mapping[str, Any]) -> int:
    """A request's tokens, estimated before it is sent.

    Its text at 4 characters a token, plus the most new tokens it asks for (when it does not
    say: 20 for a completion, as ``completions.create`` defaults, else 256).
    """
    text = 0
    for name in ("prompt", "message"):
        value = request.get(name)
        if isinstance(value, str):
            text += len(value)
    messages = request.get("messages")
    if isinstance(messages, Iterable) and not isinstance(messages, str | bytes):
        for message in messages:
            content = message.get("content") if isinstance(message, Mapping) else None
            text += len(content) if isinstance(content, str) else len(str(content or "")) + 16
    most = next(
        (
            value
            for name in ("max_new_tokens", "max_completion_tokens", "max_tokens")
            if isinstance(value := request.get(name), int)
        ),
        20 if "prompt" in request else 256,
    )
    return text // 4 + 1 + most


def tokens_used(result: Any) -> int | None:
    """The tokens an answer says it used (prompt and completion), or None."""
    total = getattr(getattr(result, "usage", None), "total_tokens", None)
    if isinstance(total, int):
        return total
    output = getattr(result, "output", None)
    completion = getattr(output, "num_completion_tokens", None)
    if isinstance(completion, int):
        prompt = getattr(output, "num_prompt_tokens", None)
        return completion + (prompt if isinstance(prompt, int) else 0)
    return None


class Engine(Generic[T]):
    """The state and the tasks of one run (see :mod:`smarter._runner`)."""

    def __init__(
        self,
        plan: Plan[T],
        requests: Iterable[Any] | AsyncIterable[Any],
        *,
        pacer: Pacer,
        window: int,
        checkpoint: Checkpoint | None,
        ordered: bool,
    ) -> None:
        self.plan = plan
        self._requests = requests
        self._pacer = pacer
        self._window = window
        self._checkpoint = checkpoint
        self._ordered = ordered
        self._buffer: dict[int, Outcome[T]] = {}
        self._ready: deque[Outcome[T]] = deque()
        self._holes: set[int] = set()
        self._next = 0
        self._started = 0
        self._outstanding = 0
        self._done = self._failed = self._skipped = 0
        self._failure: BaseException | None = None
        self._finished = False
        self._changed = asyncio.Event()
        self._room = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._workers: set[asyncio.Task[None]] = set()
        self._began = time.monotonic()

    def stats(self) -> RunStats:
        """Where the run is."""
        pacer = self._pacer
        return RunStats(
            done=self._done,
            failed=self._failed,
            skipped=self._skipped,
            in_flight=pacer.in_flight,
            concurrency=int(pacer.limit),
            pushbacks=pacer.pushbacks,
            elapsed=time.monotonic() - self._began,
        )

    # -- the consumer's side ---------------------------------------------------------------

    async def next(self) -> Outcome[T]:
        """The next outcome; StopAsyncIteration at the end; a bad request's error last."""
        if self.task is None and not self._finished:
            self._began = time.monotonic()
            self.task = asyncio.get_running_loop().create_task(self._drive())
        while True:
            self._changed.clear()
            outcome = self._pop()
            if outcome is not None:
                return outcome
            if self._finished:
                failure, self._failure = self._failure, None
                if failure is not None:
                    raise failure
                raise StopAsyncIteration
            await self._changed.wait()

    async def next_batch(self) -> list[Outcome[T]]:
        """The next outcome and every other one ready now."""
        try:
            batch = [await self.next()]
        except StopAsyncIteration:
            return []
        while (outcome := self._pop()) is not None:
            batch.append(outcome)
        return batch

    def _pop(self) -> Outcome[T] | None:
        if self._ordered:
            while self._next in self._holes:
                self._holes.discard(self._next)
                self._next += 1
            outcome = self._buffer.pop(self._next, None)
            if outcome is None:
                return None
            self._next += 1
        elif self._ready:
            outcome = self._ready.popleft()
        else:
            return None
        self._outstanding -= 1
        self._room.set()
        return outcome

    async def stop(self) -> None:
        """Cancel the run's tasks and wait for them."""
        task = self.task
        self._finished = True
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # -- the run ---------------------------------------------------------------------------

    async def _drive(self) -> None:
        checkpoint = self._checkpoint
        try:
            done = DoneKeys()
            if checkpoint is not None:
                # A checkpoint of a million lines takes seconds to read: not on the loop.
                done = await asyncio.get_running_loop().run_in_executor(None, checkpoint.load)
                checkpoint.open()
            try:
                await self._feed(done)
            except Exception as exc:  # a bad request, or the caller's iterable failed
                self._failure = self._failure or exc
            # No new request starts; the ones in flight finish and are handed over.
            while self._workers:
                await asyncio.wait(set(self._workers))
        except Exception as exc:  # the checkpoint cannot be read or written
            self._failure = self._failure or exc
        finally:
            for task in self._workers:
                task.cancel()
            if self._workers:
                await asyncio.gather(*self._workers, return_exceptions=True)
            if checkpoint is not None:
                checkpoint.close()
            self._finished = True
            self._changed.set()
            self._log_end()

    async def _feed(self, done: DoneKeys) -> None:
        plan = self.plan
        index = 0
        async with contextlib.aclosing(_enumerate(self._requests)) as requests:
            async for request in requests:
                if self._failure is not None:
                    return
                arguments = plan.check(index, request)
                key = request_key(plan.namespace, arguments)
                if done and done.take(key):
                    self._skipped += 1
                else:
                    while self._outstanding >= self._window:
                        self._room.clear()
                        await self._room.wait()
                    ticket = await self._pacer.acquire(estimate_tokens(arguments))
                    seq, self._started = self._started, self._started + 1
                    self._outstanding += 1
                    task = asyncio.get_running_loop().create_task(
                        self._work(
                            seq=seq,
                            index=index,
                            request=request,
                            arguments=arguments,
                            key=key,
                            ticket=ticket,
                        )
                    )
                    self._workers.add(task)
                    task.add_done_callback(self._workers.discard)
                index += 1

    async def _work(
        self,
        *,
        seq: int,
        index: int,
        request: Mapping[str, Any],
        arguments: dict[str, Any],
        key: str,
        ticket: Ticket,
    ) -> None:
        pacer = self._pacer
        watch_retries(pacer.watch(ticket))  # this task's context only
        result: T | None = None
        error: SmarterError | None = None
        try:
            for round_ in range(PUSHBACK_ROUNDS + 1):
                try:
                    result = await self.plan.call(**arguments)
                except SmarterError as exc:
                    if isinstance(exc, APIError):
                        pacer.failed(ticket, exc)
                    if round_ < PUSHBACK_ROUNDS and is_pushback(exc) and should_retry(exc):
                        if not _has_hint(exc):  # the pause may be none: wait a little anyway
                            await asyncio.sleep(backoff(round_))
                        await pacer.ready(ticket)
                        continue
                    error = exc
                break
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # bad arguments (checked by the call, before sending)
            pacer.release(ticket, ok=False, tokens_used=None)
            self._hole(seq, exc, index)
            return
        pacer.release(ticket, ok=error is None, tokens_used=tokens_used(result))
        outcome = Outcome(index, request, result, error)
        try:
            if self._checkpoint is not None:
                self._checkpoint.append(key, index, request, result, error)
        except SmarterError as exc:  # the disk is full: hand this one over, then stop
            self._failure = self._failure or exc
        self._deliver(seq, outcome)

    def _deliver(self, seq: int, outcome: Outcome[T]) -> None:
        self._done += 1
        if not outcome.ok:
            self._failed += 1
        if self._ordered:
            self._buffer[seq] = outcome
        else:
            self._ready.append(outcome)
        self._changed.set()

    def _hole(self, seq: int, exc: Exception, index: int) -> None:
        """A request that was never sent (its arguments were refused): the run stops."""
        if isinstance(exc, TypeError | ValueError):
            exc = type(exc)(f"request #{index}: {exc}")
        self._failure = self._failure or exc
        self._holes.add(seq)
        self._outstanding -= 1
        self._room.set()
        self._changed.set()

    def _log_end(self) -> None:
        stats = self.stats()
        logger.info(
            "run of %s: %d done, %d failed, %d skipped, %d pushbacks in %.1fs",
            self.plan.namespace,
            stats.done,
            stats.failed,
            stats.skipped,
            stats.pushbacks,
            stats.elapsed,
        )
