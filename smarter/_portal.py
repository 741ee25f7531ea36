"""``Portal``: a private event loop in a daemon thread, for blocking callers.

The blocking client runs every call of its async client here (a "portal", as anyio calls it):
the loop is started lazily in a daemon thread named ``smarter-loop-<n>``, and callers hand it
work with ``run_coroutine_threadsafe``, so it is safe from many threads at once and works in a
thread that already runs a loop (Jupyter). A call from the loop's own thread raises instead
of deadlocking; Ctrl-C cancels the call in flight; a portal nobody holds any more, or still
open at interpreter exit, runs its cleanup and stops; a child process after ``os.fork()``
starts afresh.

This is the only module of the package that runs threads of its own, and it knows nothing
of the API: it runs callables and returns what they return.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import os
import sys
import threading
import warnings
import weakref
from collections.abc import Callable
from typing import Any, Final, TypeVar

from smarter._exceptions import BlockingClientWarning, SmarterError

__all__ = ["Portal"]

T = TypeVar("T")

_COUNTER = itertools.count(1)
_CLOSE_TIMEOUT: Final = 5.0
_CLOSED: Final = "The client is closed; make a new client to send requests."


class _Gate:
    """Whether calls may still be sent to a portal's loop.

    Shared by the portal and its finalizer, which must not hold the portal. A call is sent
    under the lock while the gate is open, and the loop is told to stop only after the gate
    shut: every call sent reaches the loop before the stop does and is cancelled by it,
    never left waiting on a loop that is gone.
    """

    __slots__ = ("lock", "open")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open = True


class Portal:
    """A private event loop in a daemon thread, started on first use.

    Args:
        cleanup: Run on the loop's thread before it stops, when the portal is stopped or
            dropped (the blocking client closes its connections there).
    """

    def __init__(self, cleanup: Callable[[], object] | None = None) -> None:
        self._gate = _Gate()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._cleanup = cleanup
        self._finalizer: weakref.finalize[Any, Any] | None = None
        _PORTALS.add(self)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop, if it was started."""
        return self._loop

    @property
    def running(self) -> bool:
        """Whether the loop was started and not stopped."""
        return self._loop is not None

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._gate.lock:
            if self._loop is not None:
                return self._loop
            if not self._gate.open:
                raise SmarterError(_CLOSED)
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                try:
                    loop.run_forever()
                finally:
                    _shut_down(loop)

            thread = threading.Thread(
                target=run, name=f"smarter-loop-{next(_COUNTER)}", daemon=True
            )
            thread.start()
            ready.wait()
            self._thread = thread
            self._loop = loop
            # Holds the loop, the thread and the cleanup, never the portal itself.
            self._finalizer = weakref.finalize(self, _stop, loop, thread, self._cleanup, self._gate)
            return loop

    def call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` on the loop; its result (awaited if a coroutine).

        Raises:
            SmarterError: called from the loop's own thread, or the portal was stopped.
        """
        loop = self._loop or self._start()
        thread = self._thread
        if thread is not None and threading.get_ident() == thread.ident:
            raise SmarterError(
                "A blocking smarter.Client call was made from the client's own event loop "
                "thread, where it would deadlock: use smarter.AsyncClient in async code."
            )
        # A C call that returns the running loop or None: no exception on the usual path.
        if asyncio._get_running_loop() is not None and not _in_a_kernel():
            warnings.warn(
                "a blocking smarter.Client call inside a running event loop blocks the loop "
                "until it returns; use smarter.AsyncClient in async code",
                BlockingClientWarning,
                stacklevel=3,
            )
        # Speed (benchmarks/blocking.py): a lock the loop releases when the call is over,
        # instead of run_coroutine_threadsafe's future and condition, costs half as much.
        call = _Call(fn, args, kwargs)
        with self._gate.lock:
            if not self._gate.open:  # stopped by another thread since the loop was read
                raise SmarterError(_CLOSED)
            # Sent under the gate's lock: it reaches the loop before any stop does (_Gate).
            loop.call_soon_threadsafe(call.start, loop)
        try:
            call.done.acquire()
        except KeyboardInterrupt:
            # Ctrl-C: cancel the call on the loop and wait for it to let go of its
            # connection, then let the interrupt go on.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(call.cancel)
            call.done.acquire(timeout=_CLOSE_TIMEOUT)
            raise
        return call.outcome()

    def stop(self) -> None:
        """Run the cleanup, stop the loop and join its thread; idempotent."""
        with self._gate.lock:
            self._gate.open = False
            finalizer, self._finalizer = self._finalizer, None
            self._loop = None
            self._thread = None
        if finalizer is not None:
            finalizer()  # runs _stop once, and never again at exit

    def forget(self) -> None:
        """After a fork: drop the parent's loop and thread (gone in the child) unclosed."""
        if self._finalizer is not None:
            self._finalizer.detach()  # the loop's wake-up pipe is shared with the parent
            self._finalizer = None
        _ORPHANS.append(self._loop)  # never finalised: its selector belongs to the parent
        self._gate = _Gate()
        self._loop = None
        self._thread = None


class _Call:
    """One blocking call on its way through the loop: started there, waited for here."""

    __slots__ = ("args", "done", "error", "fn", "kwargs", "task", "value")

    def __init__(self, fn: Callable[..., Any], args: Any, kwargs: Any) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.done = threading.Lock()
        self.done.acquire()  # released when the call's task is over, whatever happened
        self.task: asyncio.Task[None] | None = None
        self.value: Any = None
        self.error: BaseException | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """In the loop's thread: run the call as a task; its end releases the caller."""
        self.task = loop.create_task(self.run())
        # A callback, not a `finally` in run(): a task cancelled before its first step (the
        # loop stopping) never runs its coroutine's code at all.
        self.task.add_done_callback(self.finished)

    async def run(self) -> None:
        try:
            value = self.fn(*self.args, **self.kwargs)
            if inspect.iscoroutine(value):
                value = await value
            self.value = value
        except BaseException as exc:  # handed to the caller's thread as it is
            self.error = exc

    def finished(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            self.error = asyncio.CancelledError()
        self.task = None
        self.done.release()

    def cancel(self) -> None:
        """In the loop's thread: cancel the call (Ctrl-C in the caller's thread)."""
        if self.task is not None:
            self.task.cancel()

    def outcome(self) -> Any:
        """The call's result in the caller's thread, or its error raised there."""
        error, self.error = self.error, None
        if error is None:
            return self.value
        if isinstance(error, asyncio.CancelledError):
            raise SmarterError("The call was cancelled because the client closed.") from None
        try:
            raise error
        finally:
            # The error's traceback holds this frame: without this, a client dropped after
            # a failed call waits for the cycle collector.
            del error


def _in_a_kernel() -> bool:
    """Whether this code runs in a Jupyter kernel's cell, where blocking the loop is expected."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and type(shell).__module__.startswith("ipykernel")


def _stop(
    loop: asyncio.AbstractEventLoop,
    thread: threading.Thread,
    cleanup: Callable[[], object] | None,
    gate: _Gate,
) -> None:
    """Run *cleanup* on the loop's thread, stop the loop, and wait for the thread to end.

    Called by Portal.stop(), or by the garbage collector or at exit for a portal nobody
    closed (in which case it may run in any thread, the loop's own included).
    """

    def finish() -> None:
        try:
            if cleanup is not None:
                cleanup()
        finally:
            loop.stop()

    with gate.lock:
        gate.open = False
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(finish)
    if threading.get_ident() != thread.ident:
        thread.join(_CLOSE_TIMEOUT)


def _shut_down(loop: asyncio.AbstractEventLoop) -> None:
    """In the loop's thread once it stopped: cancel what is left, then close the loop."""
    while tasks := asyncio.all_tasks(loop):
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


_PORTALS: weakref.WeakSet[Portal] = weakref.WeakSet()
_ORPHANS: list[object] = []


def _after_fork_in_child() -> None:
    for portal in list(_PORTALS):
        portal.forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
