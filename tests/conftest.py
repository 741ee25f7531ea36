"""Configuration shared by the whole test suite."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from helpers import STILL
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


# What runs in child processes (the command line, real hosts, load, the README's blocks and
# commands, log output): marked slow, so that `pytest -m "not slow"` is the quick loop.
# The default run (and CI) runs everything.
_SLOW_FOLDERS = frozenset({"cli", "hosts"})
_SLOW_MODULES = frozenset({"test_load.py", "test_readme.py", "test_logging.py"})


def pytest_configure(config: pytest.Config) -> None:
    """Let the child processes of the Ctrl-C tests get SIGINT, even under ``nohup ... &``.

    A shell starts a background job with SIGINT ignored, and an ignored signal stays ignored
    across exec: the children those tests interrupt would never see it (and time out).
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of the slow folders and modules ``slow``."""
    for item in items:
        if item.path.parent.name in _SLOW_FOLDERS or item.path.name in _SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _no_retry_sleep() -> Iterator[None]:
    """Retries do not sleep in tests (the delays are recorded); a test may turn it off."""
    _retry.set_testing(True)
    yield
    _retry.set_testing(False)


@pytest.fixture
def server() -> Iterator[ReferenceServer]:
    """A reference server of the default profile (like the real servers), fresh per test."""
    with ReferenceServer.in_thread(job_step=0.05) as server:
        yield server


@pytest.fixture
def extended_server() -> Iterator[ReferenceServer]:
    """A reference server of the ``extended`` profile: ids, idempotency, paging, per test."""
    with ReferenceServer.in_thread(job_step=0.05, profile="extended") as server:
        yield server


@pytest.fixture
def still_server() -> Iterator[ReferenceServer]:
    """A reference server whose jobs and deployments move only by ``advance(STILL)``."""
    with ReferenceServer.in_thread(job_step=STILL) as server:
        yield server


@pytest.fixture
async def make_client(server: ReferenceServer) -> AsyncIterator[Callable[..., AnyClient]]:
    """Make clients of either kind bound to the server; all are closed after the test."""
    made: list[AnyClient] = []

    def make(kind: str = "async", **options: Any) -> AnyClient:
        for name, value in server.client_kwargs().items():
            options.setdefault(name, value)
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


@pytest.fixture
def still_client(
    kind: str, still_server: ReferenceServer, make_client: Callable[..., AnyClient]
) -> AnyClient:
    """A client of the parametrised kind, bound to the still server."""
    return make_client(kind, **still_server.client_kwargs())


@pytest.fixture
async def make_extended_client(
    extended_server: ReferenceServer,
) -> AsyncIterator[Callable[..., AnyClient]]:
    """Make clients of either kind bound to the ``extended`` server; closed after the test."""
    made: list[AnyClient] = []

    def make(kind: str = "async", **options: Any) -> AnyClient:
        options = {**extended_server.client_kwargs(), **options}
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


@pytest.fixture
def extended_client(kind: str, make_extended_client: Callable[..., AnyClient]) -> AnyClient:
    """A client of the parametrised kind, bound to the ``extended`` server."""
    return make_extended_client(kind)


# -- resource discipline: nothing a test opened may outlive the session ---------------------
#
# Appended by the reliability suite (issue 7). At the end of the run every client must be
# closed: no `smarter-loop-*` or reference-server thread alive, no socket the suite opened
# still open (/proc/self/fd), no event loop left open, no asyncio task pending, no aiohttp
# session unclosed. A leak fails the run as an error in the teardown of the last test.


def _open_sockets() -> set[str]:
    """The sockets this process holds open (``socket:[inode]``), where /proc says so."""
    found: set[str] = set()
    fd_dir = "/proc/self/fd"
    if not os.path.isdir(fd_dir):
        return found
    for name in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, name))
        except OSError:
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found


def _leaks(sockets_before: set[str]) -> list[str]:
    """What the suite left behind, in words (empty when nothing leaked)."""
    import asyncio
    import gc
    import threading

    import aiohttp

    gc.collect()
    problems: list[str] = []
    threads = [
        t.name
        for t in threading.enumerate()
        if t.name.startswith(("smarter-loop-", "smarter-reference-server"))
    ]
    if threads:
        problems.append(f"threads still alive: {threads}")
    sockets = sorted(_open_sockets() - sockets_before)
    if sockets:
        problems.append(f"{len(sockets)} socket(s) still open: {sockets[:10]}")
    objects = gc.get_objects()
    tasks = [o for o in objects if isinstance(o, asyncio.Task) and not o.done()]
    if tasks:
        problems.append(f"{len(tasks)} asyncio task(s) pending: {tasks[:5]}")
    loops = [o for o in objects if isinstance(o, asyncio.AbstractEventLoop) and not o.is_closed()]
    if loops:
        problems.append(f"{len(loops)} event loop(s) left open: {loops[:5]}")
    sessions = [o for o in objects if isinstance(o, aiohttp.ClientSession) and not o.closed]
    if sessions:
        problems.append(f"{len(sessions)} aiohttp session(s) left open")
    return problems


@pytest.fixture(scope="session", autouse=True)
def _no_leaks_at_session_end() -> Iterator[None]:
    """After the whole suite: no thread, socket, loop, task or session left by a client."""
    import time

    before = _open_sockets()
    yield
    # Closed clients join their threads and the loop sees closed sockets a moment later.
    deadline = time.monotonic() + 5.0
    problems = _leaks(before)
    while problems and time.monotonic() < deadline:
        time.sleep(0.1)
        problems = _leaks(before)
    assert not problems, "resources leaked by the test suite: " + "; ".join(problems)
