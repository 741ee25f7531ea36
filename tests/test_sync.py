"""The blocking Client: its loop thread, threads, running loops, exit, fork and Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Callable

import pytest

import smarter
from smarter.testing import Fault, ReferenceServer


def _client(server: ReferenceServer, **options: object) -> smarter.Client:
    return smarter.Client(**server.client_kwargs(), **options)  # type: ignore[arg-type]


def _eventually(condition: Callable[[], bool], within: float = 5.0) -> bool:
    """Whether *condition* holds within *within* seconds (the server sees a close late)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("smarter-loop-")]


def _run_script(
    script: str, server: ReferenceServer, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **server.client_env(), "URL": server.url, "KEY": server.api_key, **env},
    )


class TestLoopThread:
    def test_started_lazily_named_daemon_and_stopped(self, server: ReferenceServer) -> None:
        """No thread until the first call; a named daemon thread; gone after close()."""
        before = set(_loop_threads())
        client = _client(server)
        idle = set(_loop_threads()) - before

        client.whoami()
        (thread,) = set(_loop_threads()) - before
        client.close()

        assert idle == set()
        assert thread.daemon
        assert not thread.is_alive()

    def test_dropped_client_leaves_nothing_behind(self, server: ReferenceServer) -> None:
        """A Client dropped unclosed ends its thread and closes its connections once collected."""
        before = set(_loop_threads())
        client = _client(server)
        client.whoami()
        (thread,) = set(_loop_threads()) - before
        copy = client.with_options(timeout=9.0)
        del client
        gc.collect()
        copy.whoami()  # a copy holds the loop: it still works after its parent is gone

        del copy
        gc.collect()
        thread.join(5)

        assert not thread.is_alive()
        assert _eventually(lambda: server.open_connections == 0)

    def test_dropped_after_a_failed_call_without_the_cycle_collector(
        self, server: ReferenceServer
    ) -> None:
        """A client dropped after a call that raised ends its thread at once, gc or not."""
        before = set(_loop_threads())
        client = _client(server)
        gc.disable()  # the error of the call must not tie the client into a cycle
        try:
            with contextlib.suppress(smarter.NotFoundError):
                client.files.get("no-such-file")
            (thread,) = set(_loop_threads()) - before
            del client
            thread.join(5)
            alive = thread.is_alive()
        finally:
            gc.enable()

        assert not alive

    def test_closing_the_copy_of_a_dropped_client_stops_the_thread(
        self, server: ReferenceServer
    ) -> None:
        """``with Client().with_options(...) as c:`` leaves no thread behind its block."""
        before = set(_loop_threads())
        with _client(server).with_options(timeout=9.0) as copy:
            copy.whoami()
            (thread,) = set(_loop_threads()) - before

        assert (thread.is_alive(), copy.is_closed) == (False, True)

    def test_close_racing_calls_from_other_threads(self, server: ReferenceServer) -> None:
        """Calls racing close() end with a result or a SmarterError, never hang or leak."""
        # The window is narrow: a call sent as the loop stops. Many rounds find it.
        errors: list[BaseException] = []
        hung = 0
        for _ in range(200):
            client = _client(server)
            client.whoami()

            def work(client: smarter.Client = client) -> None:
                while True:
                    try:
                        client.whoami()
                    except Exception as exc:  # anything but SmarterError is a failure
                        errors.append(exc)
                        return

            worker = threading.Thread(target=work, daemon=True)
            worker.start()
            time.sleep(random.random() * 0.003)
            client.close()
            worker.join(5)
            hung += worker.is_alive()

        assert (hung, len(errors)) == (0, 200)
        assert {type(error) for error in errors} == {smarter.SmarterError}

    def test_copies_share_the_thread(self, server: ReferenceServer) -> None:
        """with_options copies run on the same loop thread as the original."""
        before = set(_loop_threads())
        with _client(server) as client:
            client.whoami()
            client.with_options(timeout=9.0).whoami()

            assert len(set(_loop_threads()) - before) == 1

    def test_sixteen_threads_share_one_client(self, server: ReferenceServer) -> None:
        """16 threads calling one Client at once all get their answers."""
        results: list[str] = []
        errors: list[BaseException] = []
        with _client(server) as client:

            def work() -> None:
                try:
                    for _ in range(20):
                        results.append(client.whoami().environment or "")
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=work) for _ in range(16)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        assert (errors, len(results), set(results)) == ([], 320, {"reference"})

    def test_inside_a_running_loop(self, server: ReferenceServer) -> None:
        """A Client works from a thread that runs its own event loop (Jupyter)."""

        async def main() -> str | None:
            with _client(server) as client:
                return client.whoami().environment

        assert asyncio.run(main()) == "reference"

    def test_from_its_own_loop_thread_raises(self, server: ReferenceServer) -> None:
        """A blocking call from the client's own loop thread raises instead of deadlocking."""
        with _client(server) as client:
            client.whoami()

            with pytest.raises(smarter.SmarterError, match="deadlock"):
                client._portal.call(client.whoami)

    def test_session_created_on_the_loop_thread(self, server: ReferenceServer) -> None:
        """session_factory is called on the client's loop thread."""
        import aiohttp

        names: list[str] = []

        def factory() -> aiohttp.ClientSession:
            names.append(threading.current_thread().name)
            return aiohttp.ClientSession()

        with _client(server, session_factory=factory) as client:
            client.whoami()

        assert names[0].startswith("smarter-loop-")


class TestBlockingInsideALoop:
    async def test_a_blocking_call_in_async_code_warns(self, server: ReferenceServer) -> None:
        """A blocking call made while this thread runs a loop warns, naming the caller's line."""
        with _client(server) as client, pytest.warns(smarter.BlockingClientWarning) as caught:
            client.whoami()

        assert "use smarter.AsyncClient in async code" in str(caught[0].message)
        assert caught[0].filename == __file__

    def test_a_blocking_call_without_a_loop_is_silent(self, server: ReferenceServer) -> None:
        """From plain blocking code there is nothing to warn about."""
        with _client(server) as client, warnings.catch_warnings():
            warnings.simplefilter("error")
            me = client.whoami()

        assert me.environment == "reference"


@pytest.mark.slow  # child processes
class TestProcessLifetime:
    @pytest.mark.parametrize(
        "script",
        [
            """
            import os, smarter
            client = smarter.Client(base_url=os.environ["URL"], api_key=os.environ["KEY"])
            client.whoami()
            client.completions.stream(model="example-model", prompt="x").__iter__().__next__()
            """,
            """
            import asyncio, os, smarter  # async-global
            client = smarter.AsyncClient(base_url=os.environ["URL"], api_key=os.environ["KEY"])
            async def main():
                await client.whoami()
            asyncio.run(main())
            """,
            """
            import asyncio, os, smarter
            async def main():
                client = smarter.AsyncClient(base_url=os.environ["URL"], api_key=os.environ["KEY"])
                await client.whoami()
            asyncio.run(main())
            """,
        ],
        ids=["sync-with-open-stream", "async-global", "async-local"],
    )
    def test_unclosed_client_exits_quietly(self, server: ReferenceServer, script: str) -> None:
        """A process that never closes its client prints nothing on stderr at exit."""
        # ResourceWarnings are shown too, except for a client that outlived its closed loop:
        # its sockets can only be reclaimed by the garbage collector, and Python reports
        # that (like any socket left open) only when asked to with -W.
        warnings = "ignore::ResourceWarning" if "async-global" in script else "default"
        done = _run_script(script, server, PYTHONWARNINGS=warnings)

        assert (done.returncode, done.stderr) == (0, "")

    @pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
    def test_fork(self, server: ReferenceServer) -> None:
        """After os.fork() the child makes calls on a fresh loop; the parent carries on."""
        done = _run_script(
            """
            import os, warnings, smarter
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads
            client = smarter.Client(base_url=os.environ["URL"], api_key=os.environ["KEY"])
            client.whoami()
            pid = os.fork()
            if pid == 0:
                ok = client.whoami().environment == "reference"
                client.close()
                os._exit(0 if ok else 3)
            _, status = os.waitpid(pid, 0)
            print(os.waitstatus_to_exitcode(status), client.whoami().environment)
            """,
            server,
        )

        assert (done.stdout.split(), done.stderr) == (["0", "reference"], "")

    def test_ctrl_c_cancels_the_call(self, server: ReferenceServer) -> None:
        """Ctrl-C during a blocking call raises KeyboardInterrupt at once; the client lives."""
        server.inject("*", "cli/whoami/", Fault.slow(30))
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                textwrap.dedent(
                    """
                    import os, sys, time, smarter
                    client = smarter.Client(base_url=os.environ["URL"], api_key=os.environ["KEY"])
                    print("calling", flush=True)
                    start = time.monotonic()
                    try:
                        client.whoami()
                    except KeyboardInterrupt:
                        print("interrupted", round(time.monotonic() - start), flush=True)
                    print(client.whoami().environment, flush=True)
                    """
                ),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **server.client_env(), "URL": server.url, "KEY": server.api_key},
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "calling"
        deadline = time.monotonic() + 10
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)

        assert (out.split(), err, process.returncode) == (
            ["interrupted", "0", "reference"],
            "",
            0,
        )
