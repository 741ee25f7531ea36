"""Many requests against a rate limit: ``create_many`` vs a naive gather vs ``llmengine``.

Issue 14: 10,000 completions against a reference server limited to N requests per second
(fixed one-second windows; past the limit a 429 with ``Retry-After`` and ``retry-after-ms``,
as a gateway in front of LLM Engine answers). For each contender: the wall time, its ratio to
the ideal ``ceil(count / N) - 1`` seconds (one per window
but the first), the 429s the server answered, and the requests that failed.

- ``create_many``: ``client.completions.create_many(requests, concurrency=32)``: adaptive
  concurrency and the shared ``Retry-After`` pause only, no budget given.
- ``create_many rpm``: the same with ``max_requests_per_minute=60 * N``: the budget known.
- ``gather+semaphore``: ``asyncio.gather`` over ``asyncio.Semaphore(32)`` of
  ``AsyncClient.completions.create`` (its default retries: 2, honouring ``Retry-After``).
- ``llmengine``: the same gather with ``llmengine.Completion.acreate`` (no retries of its own).

The server runs in its own process (``python -m benchmarks.many --serve``). Run::

    python -m benchmarks.many                  # 10,000 requests at 500/s (about 2 minutes)
    python -m benchmarks.many --count 2000 --rate 200 --only create_many,gather+semaphore
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

CONCURRENCY = 32
MODEL = "example-model"


def serve(rate: int) -> None:
    """The server process: print how to reach it, then answer commands on stdin."""
    from smarter.testing import ReferenceServer

    with ReferenceServer.in_thread() as server:
        server.rate_limit(rate, 1.0, route="v1/llm/*")
        print(json.dumps(server.client_env()), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "reset":
                server.limits.reset_counts()
                server.clear_requests()
            elif command == "stats":
                sent = len(server.requests_to("POST", "v1/llm/completions-sync"))
                stats = {"rejected": server.limits.rejected, "received": sent}
                print(json.dumps(stats), flush=True)


def _requests(count: int) -> Any:
    return ({"model": MODEL, "prompt": f"Fact {i}:", "max_new_tokens": 8} for i in range(count))


async def _create_many(count: int, rate: int, *, budget: bool) -> int:
    import smarter

    async with smarter.AsyncClient() as client:
        extra = {"max_requests_per_minute": 60.0 * rate} if budget else {}
        run = client.completions.create_many(_requests(count), concurrency=CONCURRENCY, **extra)
        return sum([not outcome.ok async for outcome in run])


async def _gather(count: int, call: Callable[[dict[str, Any]], Awaitable[Any]]) -> int:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(request: dict[str, Any]) -> bool:
        async with gate:
            try:
                await call(request)
            except Exception:
                return False
            return True

    results = await asyncio.gather(*(one(request) for request in _requests(count)))
    return results.count(False)


async def _naive(count: int, _rate: int) -> int:
    import smarter

    async with smarter.AsyncClient() as client:
        return await _gather(count, lambda request: client.completions.create(**request))


async def _llmengine(count: int, _rate: int) -> int:
    from llmengine import Completion

    async def call(request: dict[str, Any]) -> Any:
        return await Completion.acreate(
            model=request["model"], prompt=request["prompt"], max_new_tokens=8, temperature=0.2
        )

    return await _gather(count, call)


CONTENDERS: dict[str, Callable[[int, int], Awaitable[int]]] = {
    "create_many": lambda count, rate: _create_many(count, rate, budget=False),
    "create_many rpm": lambda count, rate: _create_many(count, rate, budget=True),
    "gather+semaphore": _naive,
    "llmengine": _llmengine,
}


def _contender(name: str, count: int, rate: int) -> None:
    """One contender in this process: print ``RESULT {json}``."""
    started = time.perf_counter()
    failed = asyncio.run(CONTENDERS[name](count, rate))
    wall = time.perf_counter() - started
    print("RESULT " + json.dumps({"wall": wall, "failed": failed}), flush=True)


def main() -> None:
    """Start the server, run each contender in its own process, print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.many")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=500, help="requests per second allowed")
    parser.add_argument("--only", default=",".join(CONTENDERS))
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--contender", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.rate)
        return
    if args.contender:
        _contender(args.contender, args.count, args.rate)
        return
    command = [sys.executable, "-m", "benchmarks.many", "--rate", str(args.rate), "--serve"]
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdin is not None
    assert server.stdout is not None
    env = {**os.environ, **json.loads(server.stdout.readline())}
    env["LLM_ENGINE_DISABLE_VERSION_CHECK"] = "true"
    env["SCALE_API_KEY"] = env.get("SMARTER_API_KEY", "")
    # Fixed one-second windows: the last window's requests go at its start, so the least
    # wall time is one second per window but the first.
    ideal = max(math.ceil(args.count / args.rate) - 1, 1)
    rows = []
    contender = [sys.executable, "-m", "benchmarks.many", "--contender"]
    try:
        for name in args.only.split(","):
            server.stdin.write("reset\n")
            server.stdin.flush()
            time.sleep(1.0)  # a fresh window for each contender
            done = subprocess.run(
                [*contender, name, "--count", str(args.count), "--rate", str(args.rate)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
            server.stdin.write("stats\n")
            server.stdin.flush()
            stats = json.loads(server.stdout.readline())
            if line is None:
                rows.append((name, "error", "", "", "", done.stderr.strip()[-200:]))
                continue
            result = json.loads(line[len("RESULT ") :])
            rows.append(
                (
                    name,
                    f"{result['wall']:.1f} s",
                    f"{result['wall'] / ideal:.2f}x",
                    str(stats["rejected"]),
                    str(result["failed"]),
                    str(stats["received"]),
                )
            )
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    print(f"{args.count} completions, server limited to {args.rate}/s (ideal {ideal} s)")
    header = ("contender", "wall", "vs ideal", "429s", "failed", "requests received")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
