"""Fixtures of the hostile-server tests: a raw server per test, clients bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

import smarter

from .rawserver import Handler, RawServer, serve

AnyClient = smarter.AsyncClient | smarter.Client


@pytest.fixture
def raw() -> Iterator[Callable[[Handler], RawServer]]:
    """Start raw servers for the test (each with its handler); all stop after it."""
    stack: list[Any] = []

    def start(handler: Handler) -> RawServer:
        manager = serve(handler)
        server = manager.__enter__()
        stack.append(manager)
        return server

    yield start
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


@pytest.fixture
async def raw_client(kind: str) -> AsyncIterator[Callable[..., AnyClient]]:
    """Clients of the parametrised kind for a raw server's URL (every service there)."""
    made: list[AnyClient] = []

    def make(url: str, **options: Any) -> AnyClient:
        options = {
            "base_url": url,
            "llm_engine_url": url,
            "openai_base_url": url,
            "api_key": "sk-hostile-0123456789",
            "max_retries": 0,
            **options,
        }
        client: AnyClient = (
            smarter.AsyncClient(**options) if kind == "async" else smarter.Client(**options)
        )
        made.append(client)
        return client

    yield make
    for client in made:
        if isinstance(client, smarter.Client):
            client.close()
        else:
            await client.aclose()
