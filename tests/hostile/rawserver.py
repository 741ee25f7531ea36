"""A raw-socket HTTP server for what the reference server cannot do: misbehave at the bytes.

Each test gives a handler, a coroutine that reads the request (``read_request``) and writes
whatever bytes it likes (a lie about the length, a gzip bomb, a body that never ends, a
redirect). The server runs on its own event loop in a thread, so blocking clients can call
it too, and counts what it saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

Handler = Callable[["Request", asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Request:
    """One request as the raw server read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RawServer:
    """A running raw server: its URL and what it received."""

    url: str
    requests: list[Request] = field(default_factory=list)
    open_connections: int = 0


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Read one request head and its Content-Length body; None at the end of the stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).strip() or b"0", 16)
            body += await reader.readexactly(size + 2)
            if size == 0:
                break
    return Request(method, path, headers, body)


def head(status: int = 200, reason: str = "OK", **headers: str) -> bytes:
    """A response head: the status line and the headers (names with ``_`` as ``-``)."""
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@contextlib.contextmanager
def serve(handler: Handler) -> Iterator[RawServer]:
    """Run *handler* for every request on 127.0.0.1 until the block ends."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, object] = {}

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server: RawServer = state["server"]  # type: ignore[assignment]
        server.open_connections += 1
        try:
            while (request := await read_request(reader)) is not None:
                server.requests.append(request)
                await handler(request, writer)
                if writer.is_closing():
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            server.open_connections -= 1
            writer.close()

    async def start() -> None:
        listener = await asyncio.start_server(connection, "127.0.0.1", 0, limit=1 << 20)
        port = listener.sockets[0].getsockname()[1]
        state["listener"] = listener
        state["server"] = RawServer(url=f"http://127.0.0.1:{port}/")
        started.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.close()

    thread = threading.Thread(target=run, name="smarter-reference-server-raw", daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield state["server"]  # type: ignore[misc]
    finally:

        async def stop() -> None:
            listener = state["listener"]
            listener.close()  # type: ignore[attr-defined]
            # Handlers that stall on purpose are cancelled: since Python 3.12.1
            # wait_closed() also waits for every connection to end.
            current = asyncio.current_task()
            handlers = [task for task in asyncio.all_tasks() if task is not current]
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
            await listener.wait_closed()  # type: ignore[attr-defined]

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
