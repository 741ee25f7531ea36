"""Workload 1: small JSON calls from asyncio, many at once.

``--calls`` calls (default 5,000) by ``--concurrency`` workers (default 32) sharing one
client, after ``--warmup`` calls that open the connections and build every cache. Each
contender posts a small JSON body and turns the ~250-byte JSON answer into its result:

- ``smarter``: ``AsyncClient.completions.create()`` (a typed ``CompletionSyncResponse``);
- ``smarter-chat``: ``AsyncClient.chat.completions.create()`` (the route openai calls);
- ``smarter-get``: ``AsyncClient.files.get()``, a GET without a body (~60-byte answer);
- ``aiohttp``: the floor, ``ClientSession.post()`` + ``json.loads()``, as many headers, the
  body encoded per call;
- ``aiohttp-get``: the floor of ``smarter-get``, ``ClientSession.get()`` + ``json.loads()``;
- ``openai-httpx``: ``AsyncOpenAI.chat.completions.create()`` on its default httpx client;
- ``openai-aiohttp``: the same on ``DefaultAioHttpClient`` (openai's aiohttp backend);
- ``llmengine``: the LLM Engine client's ``Completion.acreate()`` (an aiohttp session per
  call, as it is written).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks._common import (
    API_KEY,
    MESSAGES,
    MODEL,
    PROMPT,
    RAW_HEADERS,
    Clock,
    completion_body,
    dispatch,
    parser,
    smarter_options,
)

Call = Callable[[], Awaitable[Any]]
FILE_ID = "file-0123456789abcdef"


async def _drive(call: Call, args: argparse.Namespace) -> dict[str, Any]:
    """Warm up, then run ``args.calls`` calls with ``args.concurrency`` workers."""

    async def run(total: int) -> None:
        left = total

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await call()

        await asyncio.gather(*(worker() for _ in range(args.concurrency)))

    await run(args.warmup)
    clock = Clock()
    with clock.measure():
        await run(args.calls)
    return clock.result(ops=args.calls)


async def _smarter(args: argparse.Namespace, chat: bool, get: bool = False) -> dict[str, Any]:
    import smarter

    async with smarter.AsyncClient(**smarter_options(args.base_url)) as client:
        if get:

            async def call() -> Any:
                return await client.files.get(FILE_ID)

        elif chat:

            async def call() -> Any:
                return await client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]

        else:

            async def call() -> Any:
                return await client.completions.create(model=MODEL, prompt=PROMPT)

        result = await _drive(call, args)
        check = await call()
        assert check._request_id, check
        return result


async def _aiohttp(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    url = args.base_url + "llm/completions-sync?model_endpoint_name=" + MODEL
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:

        async def call() -> Any:
            async with session.post(url, data=completion_body(), headers=RAW_HEADERS) as response:
                if response.status != 200:
                    raise RuntimeError(response.status)
                return json.loads(await response.read())

        return await _drive(call, args)


async def _aiohttp_get(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    url = args.base_url + "files/" + FILE_ID
    headers = {k: v for k, v in RAW_HEADERS.items() if k not in ("Content-Type", "Idempotency-Key")}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:

        async def call() -> Any:
            async with session.get(url, headers=headers) as response:
                if response.status != 200:
                    raise RuntimeError(response.status)
                return json.loads(await response.read())

        return await _drive(call, args)


async def _openai(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    import openai

    http_client = openai.DefaultAioHttpClient() if backend == "aiohttp" else None
    async with openai.AsyncOpenAI(
        base_url=args.base_url, api_key=API_KEY, http_client=http_client
    ) as client:

        async def call() -> Any:
            return await client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]

        return await _drive(call, args)


async def _llmengine(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks._common import llmengine_completion

    completion = llmengine_completion(args.base_url)

    async def call() -> Any:
        return await completion.acreate(model=MODEL, prompt=PROMPT)

    return await _drive(call, args)


main = dispatch(
    {
        "smarter": lambda a: asyncio.run(_smarter(a, chat=False)),
        "smarter-chat": lambda a: asyncio.run(_smarter(a, chat=True)),
        "smarter-get": lambda a: asyncio.run(_smarter(a, chat=False, get=True)),
        "aiohttp": lambda a: asyncio.run(_aiohttp(a)),
        "aiohttp-get": lambda a: asyncio.run(_aiohttp_get(a)),
        "openai-httpx": lambda a: asyncio.run(_openai(a, "httpx")),
        "openai-aiohttp": lambda a: asyncio.run(_openai(a, "aiohttp")),
        "llmengine": lambda a: asyncio.run(_llmengine(a)),
    }
)

if __name__ == "__main__":
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=5000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--warmup", type=int, default=300)
    main(p.parse_args())
