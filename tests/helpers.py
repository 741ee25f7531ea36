"""Helpers that let one test body drive a Client and an AsyncClient alike."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import smarter

# A job step no test outlives: on a server made with it, jobs and deployments move only when
# the test calls server.advance(STILL), one state at a time, and never race the clock.
STILL = 3600.0


def stepper(server: Any, seen: list[str]) -> Callable[[Any], None]:
    """An ``on_progress`` that notes each status and moves a still server on one state."""

    def progress(item: Any) -> None:
        seen.append(str(item.status))
        server.advance(STILL)

    return progress


async def run(value: Any) -> Any:
    """The result of a call of either client: awaited if it is awaitable."""
    return await value if inspect.isawaitable(value) else value


async def collect(iterable: Any) -> list[Any]:
    """Every item of a stream, page or paginator of either client."""
    if hasattr(iterable, "__aiter__"):
        return [item async for item in iterable]
    return list(iterable)


@contextlib.asynccontextmanager
async def bound_client(kind: str, server: Any, **options: Any) -> AsyncIterator[Any]:
    """A client of *kind* ("async" or "sync") bound to *server*, closed on the way out."""
    options = {**server.client_kwargs(), **options}
    if kind == "async":
        async with smarter.AsyncClient(**options) as client:
            yield client
    else:
        with smarter.Client(**options) as sync_client:
            yield sync_client


async def settle(probe: Callable[[], int], limit: int, seconds: float = 5.0) -> int:
    """The value of *probe* once it is at most *limit*, or its last value after *seconds*.

    For counts of connections, which fall a moment after the client closed them (the
    server sees a close when its loop gets to it).
    """
    deadline = time.monotonic() + seconds
    value = probe()
    while value > limit and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
        value = probe()
    return value
