"""A lean benchmark server: the routes the workloads call, with canned bodies.

Every contender gets the same bytes, so the only difference between two runs is the client.
It runs in its own process (``python -m benchmarks.server --port P``), on uvloop when
installed, without access logs, and spends as little CPU as it can: JSON bodies are
prebuilt, streams are built once per length and written in 64 KiB pieces, uploads are read
and discarded as they arrive.

Routes (under ``/api/v1/``):

- ``POST cli/whoami/`` and ``POST llm/completions-sync``: small JSON (~250 bytes).
- ``POST llm/completions-stream``: N LLM Engine chunks (``id:`` + ``data:`` lines), N from
  the ``n`` query parameter, else the body's ``max_new_tokens``; the last one is finished.
- ``POST chat/completions``: a ``chat.completion`` of about the same size, or with
  ``"stream": true`` N OpenAI-shaped chunks then ``data: [DONE]`` (N from ``n`` or
  ``max_tokens``); with ``"tools"`` as well, N chunks of one tool call (a role chunk, a
  header fragment with id and name, argument fragments, a finish chunk), as OpenAI streams
  them (the shape of ``tests/upstream/openai/chat-chunks-tool-calls.sse``).
- ``POST files``: a multipart upload read and dropped chunk by chunk; answers ``{"id": ...}``
  with the byte count in ``bytes``.
- ``GET files/<id>``: a small file record (~120 bytes), for GET calls without a body.
- ``GET health``: ``ok`` (the runner polls it until the server is up).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import signal

from aiohttp import web

BASE = "/api/v1/"
REQUEST_ID = "req_0123456789abcdef01234567"
_WRITE = 64 * 1024
_LINE = "\r\n"  # what the reference server (and sse-starlette) writes

_WORDS = ["winter", "music", "letter", "pocket", "thunder", "yellow", "morning", "candle"]

COMPLETION_SYNC = json.dumps(
    {
        "request_id": REQUEST_ID,
        "output": {
            "text": " winter music letter pocket thunder yellow by for morning little it to "
            "candle the pocket travel paper",
            "num_prompt_tokens": 2,
            "num_completion_tokens": 20,
            "tokens": None,
        },
    },
    separators=(",", ":"),
).encode()

CHAT_COMPLETION = json.dumps(
    {
        "id": "chatcmpl-0123456789abcdef01234567",
        "object": "chat.completion",
        "created": 1795300373,
        "model": "example-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "cloud window with pocket"},
                "logprobs": None,
                "finish_reason": "length",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 4, "total_tokens": 5},
    },
    separators=(",", ":"),
).encode()

WHOAMI = json.dumps(
    {
        "data": {
            "user": {"username": "bench", "email": "bench@example.com"},
            "account": {"account_number": "3141-5926-5359", "company_name": "Bench"},
            "environment": "bench",
        },
        "message": "whoami",
        "api": "smarter.sh/v1",
    },
    separators=(",", ":"),
).encode()

_JSON_HEADERS = {"Content-Type": "application/json", "X-Request-ID": REQUEST_ID}
_SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Request-ID": REQUEST_ID,
}


def _event(index: int, data: str) -> str:
    return f"id: {index}{_LINE}data: {data}{_LINE}{_LINE}"


@functools.lru_cache(maxsize=8)
def completion_stream(n: int) -> bytes:
    """N LLM Engine stream chunks; the last is ``finished``."""
    events = []
    for i in range(n):
        last = i == n - 1
        chunk = {
            "request_id": REQUEST_ID,
            "output": {
                "text": " " + _WORDS[i % len(_WORDS)],
                "finished": last,
                "num_prompt_tokens": 1 if last else None,
                "num_completion_tokens": n if last else None,
                "token": None,
            },
            "error": None,
        }
        events.append(_event(i, json.dumps(chunk, separators=(",", ":"))))
    return "".join(events).encode()


@functools.lru_cache(maxsize=8)
def chat_stream(n: int) -> bytes:
    """N OpenAI chat chunks (a role chunk, content chunks, a finish chunk), then [DONE]."""
    head = {
        "id": "chatcmpl-0123456789abcdef01234567",
        "object": "chat.completion.chunk",
        "created": 1795300373,
        "model": "example-model",
    }
    events = []
    for i in range(n):
        if i == 0:
            delta: dict[str, str] = {"role": "assistant", "content": ""}
        elif i == n - 1:
            delta = {}
        else:
            delta = {"content": " " + _WORDS[i % len(_WORDS)]}
        choice = {
            "index": 0,
            "delta": delta,
            "logprobs": None,
            "finish_reason": "length" if i == n - 1 and n > 1 else None,
        }
        data = json.dumps({**head, "choices": [choice]}, separators=(",", ":"))
        events.append(_event(i, data))
    events.append(_event(n, "[DONE]"))
    return "".join(events).encode()


@functools.lru_cache(maxsize=8)
def chat_tool_stream(n: int) -> bytes:
    """N chunks of one streamed tool call, then [DONE]; the fragments join into JSON."""
    head = {
        "id": "chatcmpl-0123456789abcdef01234567",
        "object": "chat.completion.chunk",
        "created": 1795300373,
        "model": "example-model",
        "system_fingerprint": "fp_0123456789",
    }
    fragments = ['{"words": ['] + [f'"{_WORDS[i % len(_WORDS)]}", ' for i in range(max(n - 5, 0))]
    fragments.append('"end"]}')
    events = []
    for i in range(n):
        if i == 0:
            delta: dict[str, object] = {"role": "assistant", "content": None}
        elif i == 1:
            call = {"index": 0, "id": "call_0123456789abcdef", "type": "function"}
            delta = {"tool_calls": [{**call, "function": {"name": "lookup", "arguments": ""}}]}
        elif i == n - 1:
            delta = {}
        else:
            arguments = fragments[i - 2] if i - 2 < len(fragments) else ""
            delta = {"tool_calls": [{"index": 0, "function": {"arguments": arguments}}]}
        choice = {
            "index": 0,
            "delta": delta,
            "logprobs": None,
            "finish_reason": "tool_calls" if i == n - 1 and n > 1 else None,
        }
        events.append(_event(i, json.dumps({**head, "choices": [choice]}, separators=(",", ":"))))
    events.append(_event(n, "[DONE]"))
    return "".join(events).encode()


async def _stream(request: web.Request, body: bytes) -> web.StreamResponse:
    response = web.StreamResponse(headers=_SSE_HEADERS)
    await response.prepare(request)
    view = memoryview(body)
    for start in range(0, len(body), _WRITE):
        await response.write(view[start : start + _WRITE])
    await response.write_eof()
    return response


def _count(request: web.Request, body: dict[str, object], field: str) -> int:
    value = request.query.get("n") or body.get(field) or 20
    return max(1, int(value))  # type: ignore[call-overload]


async def _json(request: web.Request) -> dict[str, object]:
    raw = await request.read()
    if not raw:
        return {}
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}


async def completions_sync(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=COMPLETION_SYNC, headers=_JSON_HEADERS)


async def whoami(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=WHOAMI, headers=_JSON_HEADERS)


async def completions_stream(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    return await _stream(request, completion_stream(_count(request, body, "max_new_tokens")))


async def chat_completions(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    if body.get("stream"):
        n = _count(request, body, "max_tokens")
        return await _stream(request, chat_tool_stream(n) if body.get("tools") else chat_stream(n))
    return web.Response(body=CHAT_COMPLETION, headers=_JSON_HEADERS)


async def files(request: web.Request) -> web.Response:
    size = 0
    while chunk := await request.content.readany():
        size += len(chunk)
    data = {"id": "file-0123456789abcdef", "object": "file", "bytes": size}
    data.update(
        created_at=1795300373, filename="upload.bin", purpose="fine-tune", status="processed"
    )
    return web.json_response(data, headers={"X-Request-ID": REQUEST_ID})


FILE = json.dumps(
    {"id": "file-0123456789abcdef", "filename": "train.csv", "size": 1024},
    separators=(",", ":"),
).encode()


async def file_get(request: web.Request) -> web.Response:
    return web.Response(body=FILE, headers=_JSON_HEADERS)


async def health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def make_app() -> web.Application:
    app = web.Application(client_max_size=1024**3)
    app.add_routes(
        [
            web.post(BASE + "cli/whoami/", whoami),
            web.post(BASE + "llm/completions-sync", completions_sync),
            web.post(BASE + "llm/completions-stream", completions_stream),
            web.post(BASE + "chat/completions", chat_completions),
            web.post(BASE + "files", files),
            web.get(BASE + "files/{file_id}", file_get),
            web.get("/health", health),
        ]
    )
    return app


async def _serve(host: str, port: int) -> None:
    runner = web.AppRunner(make_app(), access_log=None, handle_signals=False)
    await runner.setup()
    # A big backlog: the scale workload opens 1,000 connections at once.
    site = web.TCPSite(runner, host, port, backlog=4096)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    args = parser.parse_args()
    # Warm the stream caches for the usual sizes so the first request costs no more.
    for n in (20, 100):
        completion_stream(n)
        chat_stream(n)
        chat_tool_stream(n)
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve(args.host, args.port))
    else:
        uvloop.run(_serve(args.host, args.port))


if __name__ == "__main__":
    main()
