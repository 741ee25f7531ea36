"""Pytest fixtures that serve the reference server to users' own test suites.

The package registers this module as a ``pytest11`` entry point, so the fixtures exist in
every test session once ``smarter`` is installed. Importing it is cheap: the server (and
aiohttp.web) is imported by the fixture that needs it, not at collection time.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
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
def smarter_client(smarter_server: ReferenceServer) -> Iterator[Any]:
    """A blocking ``smarter.Client`` wired to ``smarter_server``, closed after the test.

    Yields:
        The client.
    """
    # Looked up on the module object so that this file type-checks whichever version of
    # the client package is installed next to it.
    smarter = importlib.import_module("smarter")
    client = smarter.Client(**smarter_server.client_kwargs())
    try:
        yield client
    finally:
        client.close()
