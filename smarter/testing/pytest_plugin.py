"""Pytest fixtures that serve the reference server to users' own test suites.

The package registers this module as a ``pytest11`` entry point, so the fixtures exist in
every test session once ``smarter`` is installed. Importing it is cheap: the server (and
aiohttp.web) is imported by the fixture that needs it, not at collection time.

- ``smarter_server``: a :class:`~smarter.testing.ReferenceServer` for one test.
- ``smarter_client``: a blocking :class:`smarter.Client` wired to it.
- ``smarter_async_client``: an :class:`smarter.AsyncClient` wired to it, closed on the
  test's own event loop; defined when pytest-asyncio is installed (the async fixture needs
  a plugin to run it).

.. versionadded:: 0.2.0
.. versionchanged:: 0.3.0 ``smarter_client`` is typed; ``smarter_async_client`` added.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from smarter import AsyncClient, Client
    from smarter.testing import ReferenceServer

__all__ = ["smarter_client", "smarter_server"]


@pytest.fixture
def smarter_server() -> Iterator[ReferenceServer]:
    """A fresh reference server on 127.0.0.1, running in its own thread for one test.

    Yields:
        The running server; ``server.client_kwargs()`` configures a client.
    """
    from smarter.testing import ReferenceServer

    with ReferenceServer.in_thread() as server:
        yield server


@pytest.fixture
def smarter_client(smarter_server: ReferenceServer) -> Iterator[Client]:
    """A blocking ``smarter.Client`` wired to ``smarter_server``, closed after the test.

    Yields:
        The client.
    """
    from smarter import Client

    with Client(**smarter_server.client_kwargs()) as client:
        yield client


async def _async_client(smarter_server: ReferenceServer) -> AsyncIterator[AsyncClient]:
    """An ``smarter.AsyncClient`` wired to ``smarter_server``, closed after the test.

    Yields:
        The client.
    """
    from smarter import AsyncClient

    async with AsyncClient(**smarter_server.client_kwargs()) as client:
        yield client


if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    smarter_async_client = pytest_asyncio.fixture(_async_client, name="smarter_async_client")
    __all__ += ["smarter_async_client"]
