"""Workload 6: many concurrent streams on one client; every one must finish whole.

``--streams`` streams (default 1,000) of ``--events`` chunks each (default 100) are started
at once on one client whose pool holds ``--limit`` connections (1,000: one each; 100, the
default: the rest wait for a connection). A stream counts as complete when it yielded exactly
its chunks and ended with the finished one; anything else is lost, and every exception is
an error. Contenders: ``smarter`` (``AsyncClient.completions.stream()``) and ``aiohttp``
(the floor: the minimal stream reader of the stream workload).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks._common import (
    MODEL,
    PROMPT,
    RAW_HEADERS,
    Clock,
    dispatch,
    parser,
    smarter_options,
)

# One stream: how many chunks it yielded and whether the last was the finished one.
Stream = Callable[[], Awaitable[tuple[int, bool]]]


async def _drive(stream: Stream, args: argparse.Namespace) -> dict[str, Any]:
    await stream()  # warm-up: imports, converter hooks, the first connection
    errors: collections.Counter[str] = collections.Counter()
    complete = 0

    async def one() -> None:
        nonlocal complete
        try:
            count, finished = await stream()
        except Exception as exc:
            errors[f"{type(exc).__name__}: {exc}"[:120]] += 1
            return
        if count == args.events and finished:
            complete += 1

    clock = Clock()
    with clock.measure():
        await asyncio.gather(*(one() for _ in range(args.streams)))
    events = args.streams * args.events
    return clock.result(
        ops=events,
        streams=args.streams,
        complete=complete,
        lost=args.streams - complete - sum(errors.values()),
        errors=sum(errors.values()),
        error_kinds=dict(errors.most_common(5)),
        limit=args.limit,
    )


async def _smarter(args: argparse.Namespace) -> dict[str, Any]:
    import smarter

    async with smarter.AsyncClient(
        **smarter_options(args.base_url), connection_limit=args.limit
    ) as client:

        async def stream() -> tuple[int, bool]:
            count, finished = 0, False
            async with client.completions.stream(
                model=MODEL, prompt=PROMPT, max_new_tokens=args.events
            ) as chunks:
                async for chunk in chunks:
                    count += 1
                    finished = chunk.output.finished
            return count, finished

        return await _drive(stream, args)


async def _aiohttp(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    url = args.base_url + "llm/completions-stream?model_endpoint_name=" + MODEL
    headers = {**RAW_HEADERS, "Accept": "text/event-stream"}
    body = json.dumps({"prompt": PROMPT, "max_new_tokens": args.events}).encode()
    connector = aiohttp.TCPConnector(limit=args.limit)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:

        async def stream() -> tuple[int, bool]:
            count, finished = 0, False
            async with session.post(url, data=body, headers=headers) as response:
                buffer = b""
                async for chunk in response.content.iter_any():
                    buffer += chunk
                    *events, buffer = buffer.split(b"\r\n\r\n")
                    for event in events:
                        data = json.loads(event[event.find(b"data: ") + 6 :])
                        count += 1
                        finished = data["output"]["finished"]
            return count, finished

        return await _drive(stream, args)


main = dispatch(
    {
        "smarter": lambda a: asyncio.run(_smarter(a)),
        "aiohttp": lambda a: asyncio.run(_aiohttp(a)),
    }
)

if __name__ == "__main__":
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--streams", type=int, default=1000)
    p.add_argument("--events", type=int, default=100)
    p.add_argument("--limit", type=int, default=1000)
    main(p.parse_args())
