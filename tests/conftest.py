"""Configuration shared by the whole test suite."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings

import smarter
from smarter import _retry
from smarter.testing import ReferenceServer

# "fast" keeps each property test to a second or two on CI; HYPOTHESIS_PROFILE=thorough
# searches harder before a release or after a change to a parser.
settings.register_profile("fast", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=2_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

AnyClient = smarter.AsyncClient | smarter.Client


@pytest.fixture(autouse=True)
def _no_retry_sleep() -> Iterator[None]:
    """Retries do not sleep in tests (the delays are recorded); a test may turn it off."""
    _retry.set_testing(True)
    yield
    _retry.set_testing(False)


@pytest.fixture
def server() -> Iterator[ReferenceServer]:
    """A reference server in its own thread, fresh for each test."""
    with ReferenceServer.in_thread(job_step=0.05) as server:
        yield server


@pytest.fixture
async def make_client(server: ReferenceServer) -> AsyncIterator[Callable[..., AnyClient]]:
    """Make clients of either kind bound to the server; all are closed after the test."""
    made: list[AnyClient] = []

    def make(kind: str = "async", **options: Any) -> AnyClient:
        options.setdefault("base_url", server.url)
        options.setdefault("api_key", server.api_key)
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


@pytest.fixture(params=["async", "sync"])
def kind(request: pytest.FixtureRequest) -> str:
    """Run the test once with an AsyncClient and once with a Client."""
    return str(request.param)


@pytest.fixture
def client(kind: str, make_client: Callable[..., AnyClient]) -> AnyClient:
    """A client of the parametrised kind, bound to the server."""
    return make_client(kind)
