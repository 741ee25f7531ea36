"""Helpers that let one test body drive a Client and an AsyncClient alike."""

from __future__ import annotations

import inspect
from typing import Any


async def run(value: Any) -> Any:
    """The result of a call of either client: awaited if it is awaitable."""
    return await value if inspect.isawaitable(value) else value


async def collect(iterable: Any) -> list[Any]:
    """Every item of a stream, page or paginator of either client."""
    if hasattr(iterable, "__aiter__"):
        return [item async for item in iterable]
    return list(iterable)
