"""Many requests in one run: ``create_many()``, ``prompt_many()`` and what they return.

``run_many(call, requests, ...)`` returns an :class:`AsyncRun`: an async iterator of
:class:`Outcome`, one per request, that starts when first iterated. Its parts:

- **Input**: ``requests`` is any iterable or async iterable of argument dicts of the single
  call; it is pulled lazily, one item at a time, never materialised. A list or tuple is
  checked whole when the run is made; a lazy iterable item by item as it is pulled. A dict
  with an argument the call does not take (or without one it needs) is a ``TypeError``
  naming the request's index, before it is sent; mid-run, the run stops pulling, lets the
  calls in flight finish, hands over their outcomes, then raises it.
- **Pace**: a :class:`~smarter._pacing.Pacer` (concurrency that adapts, a shared pause for
  ``Retry-After``, request and token budgets).
- **Retries**: each call keeps the client's own retry policy (``max_retries``, Retry-After,
  the rule that a create is retried only when the server provably did not act). The run
  watches every attempt (:func:`smarter._retry.watch_retries`): a pushback lowers the
  concurrency and may start a shared pause, and the call's next retry waits for that pause
  as well as for its own delay. A call whose retries end on pushback the policy would retry
  (a 429; a 503 of a call that creates nothing) is given another round later, up to
  :data:`PUSHBACK_ROUNDS` rounds: pushback is about the run's pace, not the request. Any
  other failure is recorded on the request's outcome; nothing is raised mid-run.
- **Order and memory**: at most ``window = max(4 * concurrency, 16)`` requests are held at
  once: in flight, or finished and waiting to be handed over. With ``ordered=True`` outcomes
  come in input order, so a slow request holds back the ones after it, and once ``window``
  of them wait behind it, no new request starts until it is done. With ``ordered=False``
  they come as they finish. A consumer that stops reading stops the run the same way.
- **Checkpoint**: with ``checkpoint=``, each outcome is appended to a JSONL file
  (:mod:`smarter._checkpoint`) before it is handed over, and a rerun with the same file skips
  the requests whose results it holds (they are not yielded again; ``stats.skipped`` counts
  them). A request in flight when the process died has no line: it is sent again.
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
import os
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import Any, Final, Generic, TypeVar

from smarter._checkpoint import Checkpoint
from smarter._engine import Engine, Outcome, RunStats
from smarter._pacing import Pacer
from smarter._request import OPTION_NAMES

__all__ = ["AsyncRun", "Outcome", "RunStats", "run_many"]

T = TypeVar("T")

_WINDOW_FACTOR: Final = 4
_MIN_WINDOW: Final = 16


class _Plan(Generic[T]):
    """A run's call, and its request checks: the keyword parameters of the single call."""

    def __init__(
        self,
        call: Callable[..., Awaitable[T]],
        namespace: str,
        normalise: Callable[[Any], Any] | None,
        refuse: Mapping[str, str],
    ) -> None:
        self.call = call
        self.namespace = namespace
        self._normalise = normalise
        self._refuse = refuse
        parameters = inspect.signature(call).parameters.values()
        named = [p for p in parameters if p.kind is p.KEYWORD_ONLY]
        self._allowed = frozenset(p.name for p in named) | OPTION_NAMES
        self._required = [p.name for p in named if p.default is p.empty]
        self._what = f"{getattr(call, '__qualname__', 'the call')}()"
        self._names = ", ".join(sorted(self._allowed))

    def check(self, index: int, request: Any) -> dict[str, Any]:
        """The keyword arguments of one request, or a clear error naming its index."""
        if self._normalise is not None:
            request = self._normalise(request)
        if not isinstance(request, Mapping):
            raise TypeError(
                f"request #{index} must be a dict of the arguments of {self._what}, "
                f"not {type(request).__name__}"
            )
        unknown = sorted(str(name) for name in request if name not in self._allowed)
        if unknown:
            close = difflib.get_close_matches(unknown[0], self._allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"it takes {self._names}"
            raise TypeError(
                f"request #{index}: {self._what} takes no argument "
                f"{', '.join(map(repr, unknown))} ({hint})"
            )
        missing = [name for name in self._required if name not in request]
        if missing:
            raise TypeError(f"request #{index}: {self._what} needs {', '.join(map(repr, missing))}")
        for name, why in self._refuse.items():
            if request.get(name):
                raise ValueError(f"request #{index}: {name!r}: {why}")
        return dict(request)


def _positive(name: str, value: object, *, integer: bool = False) -> None:
    kinds = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise TypeError(f"{name} must be {'an int' if integer else 'a number'}, not {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be positive, not {value!r}")


def run_many(
    call: Callable[..., Awaitable[T]],
    requests: Iterable[Any] | AsyncIterable[Any],
    *,
    namespace: str,
    concurrency: int,
    max_requests_per_minute: float | None,
    max_tokens_per_minute: float | None,
    checkpoint: str | os.PathLike[str] | None,
    ordered: bool,
    normalise: Callable[[Any], Any] | None = None,
    refuse: Mapping[str, str] | None = None,
) -> AsyncRun[T]:
    """A run of *call* over *requests* (see the module docstring); nothing is sent yet.

    Raises:
        TypeError, ValueError: a setting is wrong, or (for a list or tuple) a request is.
    """
    _positive("concurrency", concurrency, integer=True)
    for name, value in (
        ("max_requests_per_minute", max_requests_per_minute),
        ("max_tokens_per_minute", max_tokens_per_minute),
    ):
        if value is not None:
            _positive(name, value)
    if not isinstance(ordered, bool):
        raise TypeError(f"ordered must be a bool, not {ordered!r}")
    if checkpoint is not None and not isinstance(checkpoint, str | os.PathLike):
        raise TypeError(f"checkpoint must be a path, not {checkpoint!r}")
    given: object = requests  # callers without type checkers pass anything
    if not isinstance(given, Iterable | AsyncIterable) or isinstance(given, str | Mapping):
        raise TypeError(
            f"requests must be an iterable of request dicts, not {type(requests).__name__}"
        )
    plan = _Plan(call, namespace, normalise, refuse or {})
    if isinstance(requests, list | tuple):
        for index, request in enumerate(requests):
            plan.check(index, request)
    engine = Engine(
        plan,
        requests,
        pacer=Pacer(
            concurrency=concurrency,
            requests_per_minute=max_requests_per_minute,
            tokens_per_minute=max_tokens_per_minute,
        ),
        window=max(_WINDOW_FACTOR * concurrency, _MIN_WINDOW),
        checkpoint=Checkpoint(checkpoint) if checkpoint is not None else None,
        ordered=ordered,
    )
    return AsyncRun(engine)


class AsyncRun(Generic[T]):
    """The outcomes of a run of many requests: ``async for outcome in run``.

    It starts when first iterated. ``async with`` it, or call :meth:`aclose`, to stop it
    early: the calls in flight are cancelled (and, with a checkpoint, sent again by a rerun).
    A run dropped while running is stopped the same way.

    .. versionadded:: 0.3.0
    """

    def __init__(self, engine: Engine[T]) -> None:
        # The engine's tasks refer to the engine, never to this handle: dropping the handle
        # is seen at once (``__del__``), whatever the engine's tasks wait for.
        self._engine = engine

    @property
    def stats(self) -> RunStats:
        """Where the run is."""
        return self._engine.stats()

    def __aiter__(self) -> AsyncRun[T]:
        return self

    async def __anext__(self) -> Outcome[T]:
        return await self._engine.next()

    async def _next_batch(self) -> list[Outcome[T]]:
        """The next outcome and every other one ready now (the sync twin's one hop)."""
        return await self._engine.next_batch()

    async def aclose(self) -> None:
        """Stop the run: no new call starts, the calls in flight are cancelled."""
        await self._engine.stop()

    async def __aenter__(self) -> AsyncRun[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __del__(self) -> None:
        task = getattr(self, "_engine", None) and self._engine.task
        if task is not None and not task.done():
            with contextlib.suppress(RuntimeError):  # its loop is closed already
                task.get_loop().call_soon_threadsafe(task.cancel)

    def __repr__(self) -> str:
        stats = self.stats
        return (
            f"<AsyncRun {self._engine.plan.namespace} done={stats.done} failed={stats.failed} "
            f"in_flight={stats.in_flight}>"
        )
