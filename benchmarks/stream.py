"""Workload 3: one long token stream, CPU time per event.

One stream of ``--events`` chunks (default 50,000), after a warm-up stream of
``--warmup`` chunks on the same client. Contenders:

- ``smarter``: ``AsyncClient.completions.stream()``, typed ``CompletionStreamResponse`` chunks;
- ``smarter-sync``: the same through ``Client`` (chunks handed over in batches);
- ``smarter-chat``: ``AsyncClient.chat.completions.create(stream=True)`` (openai's route);
- ``smarter-chat-tools``: the same with ``tools``: chunks of a tool call's argument fragments;
- ``smarter-chat-tools-final``: the same, read with ``await stream.final()`` (fragments merged);
- ``aiohttp``: the floor on the completion stream: ``iter_any()``, a minimal split on the
  blank line, the ``data:`` line found, ``json.loads()`` per event;
- ``aiohttp-chat``: the same floor on the chat stream;
- ``aiohttp-chat-tools``: the same floor on the tool-call stream;
- ``openai-httpx`` / ``openai-aiohttp``: ``AsyncOpenAI.chat.completions.create(stream=True)``;
- ``llmengine``: the LLM Engine client's ``Completion.create(stream=True)`` (requests).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from benchmarks._common import (
    API_KEY,
    MESSAGES,
    MODEL,
    PROMPT,
    RAW_HEADERS,
    Clock,
    dispatch,
    parser,
    smarter_options,
)


async def _adrive(
    stream: Callable[[int], AsyncIterator[Any]], args: argparse.Namespace
) -> dict[str, Any]:
    count = 0
    async for _ in stream(args.warmup):
        count += 1
    assert count >= args.warmup, count
    clock = Clock()
    count = 0
    with clock.measure():
        async for _ in stream(args.events):
            count += 1
    assert count >= args.events, (count, args.events)
    return clock.result(ops=args.events)


def _drive(stream: Callable[[int], Iterator[Any]], args: argparse.Namespace) -> dict[str, Any]:
    count = sum(1 for _ in stream(args.warmup))
    assert count >= args.warmup, count
    clock = Clock()
    with clock.measure():
        count = sum(1 for _ in stream(args.events))
    assert count >= args.events, (count, args.events)
    return clock.result(ops=args.events)


TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


async def _smarter(args: argparse.Namespace, chat: bool, tools: str = "") -> dict[str, Any]:
    import smarter

    async with smarter.AsyncClient(**smarter_options(args.base_url)) as client:
        if tools:

            async def stream(n: int) -> AsyncIterator[Any]:
                chunks = client.chat.completions.create(
                    model=MODEL,
                    messages=MESSAGES,  # type: ignore[arg-type]
                    tools=TOOLS,  # type: ignore[arg-type]
                    max_tokens=n,
                    stream=True,
                )
                async with chunks:
                    if tools == "final":
                        completion = await chunks.final()
                        calls = completion.choices[0].message.tool_calls or ()
                        assert json.loads(calls[0].function.arguments)["words"]  # type: ignore[union-attr]
                        for _ in range(n):  # one op per event folded
                            yield completion
                    else:
                        async for chunk in chunks:
                            yield chunk

        elif chat:

            async def stream(n: int) -> AsyncIterator[Any]:
                async with client.chat.completions.create(
                    model=MODEL,
                    messages=MESSAGES,  # type: ignore[arg-type]
                    max_tokens=n,
                    stream=True,
                ) as chunks:
                    async for chunk in chunks:
                        yield chunk

        else:

            async def stream(n: int) -> AsyncIterator[Any]:
                async with client.completions.stream(
                    model=MODEL, prompt=PROMPT, max_new_tokens=n
                ) as chunks:
                    async for chunk in chunks:
                        yield chunk

        return await _adrive(stream, args)


def _smarter_sync(args: argparse.Namespace) -> dict[str, Any]:
    import smarter

    with smarter.Client(**smarter_options(args.base_url)) as client:

        def stream(n: int) -> Iterator[Any]:
            with client.completions.stream(model=MODEL, prompt=PROMPT, max_new_tokens=n) as s:
                yield from s

        return _drive(stream, args)


async def _aiohttp(args: argparse.Namespace, route: str) -> dict[str, Any]:
    import aiohttp

    if route in ("chat", "chat-tools"):
        url = args.base_url + "chat/completions"
    else:
        url = args.base_url + "llm/completions-stream?model_endpoint_name=" + MODEL
    headers = {**RAW_HEADERS, "Accept": "text/event-stream"}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:

        async def stream(n: int) -> AsyncIterator[Any]:
            if route in ("chat", "chat-tools"):
                body = {"model": MODEL, "messages": MESSAGES, "max_tokens": n, "stream": True}
                if route == "chat-tools":
                    body["tools"] = TOOLS
            else:
                body = {"prompt": PROMPT, "max_new_tokens": n, "temperature": 0.2}
            data = json.dumps(body).encode()
            async with session.post(url, data=data, headers=headers) as response:
                buffer = b""
                async for chunk in response.content.iter_any():
                    buffer += chunk
                    *events, buffer = buffer.split(b"\r\n\r\n")
                    for event in events:
                        start = event.find(b"data: ")
                        payload = event[start + 6 :]
                        if payload == b"[DONE]":
                            return
                        yield json.loads(payload)

        return await _adrive(stream, args)


async def _openai(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    import openai

    http_client = openai.DefaultAioHttpClient() if backend == "aiohttp" else None
    async with openai.AsyncOpenAI(
        base_url=args.base_url, api_key=API_KEY, http_client=http_client
    ) as client:

        async def stream(n: int) -> AsyncIterator[Any]:
            chunks = await client.chat.completions.create(
                model=MODEL,
                messages=MESSAGES,  # type: ignore[arg-type]
                max_tokens=n,
                stream=True,
            )
            async with chunks:
                async for chunk in chunks:
                    yield chunk

        return await _adrive(stream, args)


def _llmengine(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks._common import llmengine_completion

    completion = llmengine_completion(args.base_url)

    def stream(n: int) -> Iterator[Any]:
        yield from completion.create(model=MODEL, prompt=PROMPT, max_new_tokens=n, stream=True)

    return _drive(stream, args)


main = dispatch(
    {
        "smarter": lambda a: asyncio.run(_smarter(a, chat=False)),
        "smarter-sync": _smarter_sync,
        "smarter-chat": lambda a: asyncio.run(_smarter(a, chat=True)),
        "aiohttp": lambda a: asyncio.run(_aiohttp(a, "completions")),
        "aiohttp-chat": lambda a: asyncio.run(_aiohttp(a, "chat")),
        "smarter-chat-tools": lambda a: asyncio.run(_smarter(a, chat=True, tools="chunks")),
        "smarter-chat-tools-final": lambda a: asyncio.run(_smarter(a, chat=True, tools="final")),
        "aiohttp-chat-tools": lambda a: asyncio.run(_aiohttp(a, "chat-tools")),
        "openai-httpx": lambda a: asyncio.run(_openai(a, "httpx")),
        "openai-aiohttp": lambda a: asyncio.run(_openai(a, "aiohttp")),
        "llmengine": _llmengine,
    }
)

if __name__ == "__main__":
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=50_000)
    p.add_argument("--warmup", type=int, default=2_000)
    main(p.parse_args())
