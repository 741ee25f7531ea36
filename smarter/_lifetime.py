"""Lifetimes: a client's state, who keeps a shared pool open, which thread may close what.

A client and its ``with_options()`` copies share one pool. Each holds a lease on it; the pool
closes when the primary lease (the client that made the pool) is released, or the last live
one is. A lease whose client was garbage collected is forgotten without closing anything.
"""

from __future__ import annotations

import asyncio
import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiohttp

__all__ = ["ClientState", "Leases", "close_session_now", "running_on"]


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
