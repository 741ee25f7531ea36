"""Helpers that let one test body drive a Client and an AsyncClient alike."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator
from typing import Any

import smarter


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
    options = {"base_url": server.url, "api_key": server.api_key, **options}
    if kind == "async":
        async with smarter.AsyncClient(**options) as client:
            yield client
    else:
        with smarter.Client(**options) as sync_client:
            yield sync_client
