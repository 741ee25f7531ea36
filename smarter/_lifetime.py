"""Lifetimes: a client's state, who keeps a shared pool open, which thread may close what.

A client and its ``with_options()`` copies share one pool. Each holds a lease on it; the pool
closes when the primary lease (the client that made the pool) is released, or the last live
one is. A lease whose client was garbage collected is forgotten without closing anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "CLOSED_WHILE_WAITING",
    "ClientClosedError",
    "ClientState",
    "InFlight",
    "Leases",
    "close_at_loop_shutdown",
    "close_session_now",
    "running_on",
]

CLOSED_WHILE_WAITING = (
    "The client was closed while this call was waiting for the server; make a new client "
    "to send requests."
)


class ClientState(enum.Enum):
    """Where a client is in its life.

    .. versionadded:: 0.3.0
    """

    OPEN = "open"
    """Calls may be made (the pool opens on the first one)."""
    CLOSED = "closed"
    """``close()`` / ``aclose()`` was called: every call is refused with a clear error."""


class Leases:
    """The leases on one pool (plain bookkeeping: the transport does the closing)."""

    __slots__ = ("_live", "_next", "_primary")

    def __init__(self) -> None:
        self._live: set[int] = set()
        self._primary: int | None = None
        self._next = 0

    def take(self, *, primary: bool) -> int:
        """A new lease; the primary one ends the pool when it is released."""
        self._next += 1
        lease = self._next
        self._live.add(lease)
        if primary:
            self._primary = lease
        return lease

    def forget(self, lease: int) -> None:
        """The holder of *lease* is gone: it no longer keeps the pool open."""
        self._live.discard(lease)

    def release(self, lease: int) -> bool:
        """Release *lease*; whether the pool must close with it (idempotent: once)."""
        if lease not in self._live:
            return False
        self._live.discard(lease)
        return lease == self._primary or not self._live


class ClientClosedError(ConnectionError):
    """Set on the body of a response still being read when the client closes.

    aiohttp's own close leaves such a reader waiting until its timeout (600 s by default):
    this wakes it, and the transport turns it into a :class:`~smarter.SmarterError` that
    says the client was closed.
    """


class InFlight:
    """The responses whose bodies are being read, so that closing can wake their readers.

    It holds aiohttp ``ClientResponse`` objects without importing aiohttp: it only calls
    ``response.content.set_exception()``.
    """

    __slots__ = ("_responses", "add", "discard")

    def __init__(self) -> None:
        self._responses: set[Any] = set()
        # The set's own methods, not methods that call them: both run on every call
        # (benchmarks/async_json.py). So wake() empties this set, never replaces it.
        self.add: Callable[[Any], None] = self._responses.add
        """A body is being read."""
        self.discard: Callable[[Any], None] = self._responses.discard
        """That body is read (or abandoned)."""

    def wake(self) -> None:
        """Make every read in progress, or to come, of these bodies fail at once."""
        responses = list(self._responses)
        self._responses.clear()
        for response in responses:
            response.content.set_exception(ClientClosedError(CLOSED_WHILE_WAITING))


def running_on(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether this thread is running *loop* (a finalizer may run in any thread)."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def close_session_now(session: aiohttp.ClientSession) -> None:
    """Close a session without awaiting, on its loop's thread (or after the loop closed).

    Detaching marks the session closed without I/O, so aiohttp has nothing to warn about;
    the connector's synchronous close shuts its sockets (a no-op once the loop is closed,
    when the sockets go with the process). TLS connections are aborted: a graceful TLS
    close waits for the peer on a loop that is about to stop, and its socket is left open.
    """
    if session.closed:
        return
    connector = session.connector
    session.detach()
    if connector is not None:
        try:
            connector._close(abort_ssl=True)
        except TypeError:  # older aiohttp (before mid-2025) has no abort_ssl: a graceful close
            connector._close()


def close_at_loop_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """Have the running loop close *session* as it shuts down; keep the returned object.

    ``asyncio.run()`` (and pytest's loops) close every suspended async generator before
    closing the loop (``loop.shutdown_asyncgens()``). A client used in one ``asyncio.run()``
    and dropped without ``aclose()`` would otherwise leave its sockets to be found unclosed
    after the loop is gone (a ResourceWarning under ``-X dev``), when nothing can close them
    cleanly any more. The generator is started here, synchronously (it yields at once), so
    the loop's first-iteration hook registers it; the caller keeps it alive.
    """

    async def closer() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            if not session.closed:
                await session.close()

    generator = closer()
    with contextlib.suppress(StopIteration):
        generator.asend(None).send(None)
    return generator
