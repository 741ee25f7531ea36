"""Load: many calls at once against a reference server in another process, zero errors.

The server runs as ``python -m smarter.testing`` (uvloop when installed), so the client
and the server do not share a GIL or an event loop, as in production. The figures (calls,
wall time, calls/s, errors, the most connections seen) are written to the terminal when
the module is done.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

import smarter
from smarter._config import DEFAULT_CONNECTION_LIMIT

pytestmark = pytest.mark.slow

ASYNC_CALLS = 10_000
ASYNC_CONCURRENCY = 500
CONNECTION_LIMIT = 100
SYNC_CALLS = 5_000
SYNC_THREADS = 32

FIGURES: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def _report_figures(request: pytest.FixtureRequest) -> Iterator[None]:
    """Write the figures to the terminal once the module is done (shown without -s)."""
    yield
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is None or capture is None or not FIGURES:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for name, figures in FIGURES.items():
            reporter.write_line(f"load, {name}: {figures}")


@pytest.fixture(scope="module")
def remote_server() -> Iterator[dict[str, str]]:
    """A reference server in its own process: the client arguments that point at it."""
    key = "sk-load-" + secrets.token_hex(8)
    process = subprocess.Popen(
        [sys.executable, "-m", "smarter.testing", "--port", "0", "--api-key", key],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(6)]
        env = dict(re.findall(r"export (\w+)=(\S+)", "".join(lines)))
        assert len(env) == 4, (lines, process.stderr.read() if process.stderr else "")
        yield {
            "base_url": env["SMARTER_BASE_URL"],
            "api_key": env["SMARTER_API_KEY"],
            "llm_engine_url": env["LLM_ENGINE_BASE_PATH"],
        }
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=30)
        assert (process.returncode, err) == (0, "")


def _open_sockets() -> int:
    fd_dir = "/proc/self/fd"
    if not os.path.isdir(fd_dir):
        return 0
    count = 0
    for name in os.listdir(fd_dir):
        try:
            count += os.readlink(os.path.join(fd_dir, name)).startswith("socket:")
        except OSError:
            continue
    return count


def _pooled(client: smarter.AsyncClient) -> int:
    """Connections in the pool, busy or idle, read from aiohttp's connector.

    Not ``Transport.connection_count``, which misses busy connections on aiohttp >= 3.11
    (pinned in test_streaming.py).
    """
    session = client._transport._session
    connector = session.connector if session is not None else None
    if connector is None:
        return 0
    return len(connector._acquired) + sum(len(idle) for idle in connector._conns.values())


def _record(name: str, calls: int, wall: float, errors: int, extra: str) -> None:
    figures = (
        f"{calls} calls in {wall:.2f} s = {calls / wall:,.0f} calls/s, {errors} errors, {extra}"
    )
    FIGURES[name] = figures


async def test_async_client_at_concurrency_500(remote_server: dict[str, str]) -> None:
    """10,000 calls, 500 at a time, one AsyncClient: no error, never over connection_limit."""
    sockets_before = _open_sockets()
    samples: list[tuple[int, int]] = []
    async with smarter.AsyncClient(
        **remote_server, connection_limit=CONNECTION_LIMIT, timeout=60
    ) as client:
        await client.whoami()  # the session exists before sampling starts
        running = True

        async def sample() -> None:
            # Every 10 ms the pool's own count; every 100 ms the process's sockets too.
            tick = 0
            while running:
                sockets = _open_sockets() if tick % 10 == 0 else 0
                samples.append((_pooled(client), sockets))
                tick += 1
                await asyncio.sleep(0.01)

        gate = asyncio.Semaphore(ASYNC_CONCURRENCY)
        errors: list[BaseException] = []

        async def one(index: int) -> None:
            async with gate:
                try:
                    if index % 2:
                        await client.whoami()
                    else:
                        await client.models.get("example-model")
                except smarter.SmarterError as exc:
                    errors.append(exc)

        sampler = asyncio.ensure_future(sample())
        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(ASYNC_CALLS)))
        wall = time.perf_counter() - start
        running = False
        await sampler

    most_pooled = max(pooled for pooled, _ in samples)
    most_sockets = max(sockets for _, sockets in samples) - sockets_before
    _record(
        "AsyncClient",
        ASYNC_CALLS,
        wall,
        len(errors),
        f"concurrency {ASYNC_CONCURRENCY}, at most {most_pooled} pooled connections and "
        f"{most_sockets} new sockets (limit {CONNECTION_LIMIT}), {len(samples)} samples",
    )
    assert errors == []
    assert len(samples) >= 10
    assert 1 <= most_pooled <= CONNECTION_LIMIT
    assert most_sockets <= CONNECTION_LIMIT


def test_sync_client_shared_by_32_threads(remote_server: dict[str, str]) -> None:
    """5,000 calls from 32 threads sharing one Client: no error, every answer right."""
    errors: list[BaseException] = []
    answers: list[str] = []
    lock = threading.Lock()
    with smarter.Client(**remote_server, timeout=60) as client:
        client.whoami()
        barrier = threading.Barrier(SYNC_THREADS)

        def work(thread: int) -> None:
            barrier.wait()
            mine = []
            for call in range(thread, SYNC_CALLS, SYNC_THREADS):
                try:
                    if call % 2:
                        mine.append(client.whoami().environment)
                    else:
                        mine.append(client.models.get("example-model").name)
                except smarter.SmarterError as exc:
                    with lock:
                        errors.append(exc)
            with lock:
                answers.extend(mine)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(SYNC_THREADS)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
        pooled = _pooled(client._async)

    _record(
        "Client",
        SYNC_CALLS,
        wall,
        len(errors),
        f"{SYNC_THREADS} threads, {pooled} pooled connections at the end",
    )
    assert errors == []
    assert sorted(set(answers)) == ["example-model", "reference"]
    assert len(answers) == SYNC_CALLS
    assert 1 <= pooled <= DEFAULT_CONNECTION_LIMIT


async def test_create_many_over_a_lazy_million_stays_bounded(
    remote_server: dict[str, str], tmp_path: Any
) -> None:
    """A lazy million requests: 20,000 answered with a checkpoint, memory flat after warm-up."""
    pulled = 0

    def requests() -> Iterator[dict[str, Any]]:
        nonlocal pulled
        for index in range(1_000_000):
            pulled += 1
            yield {"model": "example-model", "prompt": f"item {index}", "max_new_tokens": 2}

    tracemalloc.start()
    try:
        async with smarter.AsyncClient(**remote_server) as client:
            run = client.completions.create_many(
                requests(), concurrency=64, checkpoint=tmp_path / "run.jsonl", ordered=False
            )
            seen = 0
            started = time.perf_counter()
            async for outcome in run:
                assert outcome.ok, outcome.error
                seen += 1
                if seen == 2_000:
                    warm, _ = tracemalloc.get_traced_memory()
                if seen == 20_000:
                    break
            wall = time.perf_counter() - started
            after, _peak = tracemalloc.get_traced_memory()
            await run.aclose()
    finally:
        tracemalloc.stop()

    lines = (tmp_path / "run.jsonl").read_text().count("\n")
    _record("create_many, lazy million", seen, wall, 0, f"growth {(after - warm) / 1e6:.2f} MB")
    assert pulled <= seen + 64 * 4 + 1
    assert lines >= seen
    assert after - warm < 4_000_000
