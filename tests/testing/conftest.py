"""Fixtures and helpers for the reference server's own tests: raw aiohttp, no smarter client."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from helpers import STILL

from smarter.testing import ReferenceServer

ServerFactory = Callable[..., Awaitable[ReferenceServer]]


@dataclasses.dataclass
class Event:
    """One parsed server-sent event."""

    data: str
    id: str | None = None
    event: str | None = None

    def json(self) -> Any:
        return json.loads(self.data)


@dataclasses.dataclass
class Parsed:
    """What a test-local SSE parser saw in a body."""

    events: list[Event]
    comments: list[str]


def parse_sse(body: bytes) -> Parsed:
    """Parse an event-stream body by the WHATWG rules (CR, LF or CRLF line ends)."""
    text = body.decode()
    lines: list[str] = []
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char in "\r\n":
            lines.append(text[start:index])
            if char == "\r" and index + 1 < len(text) and text[index + 1] == "\n":
                index += 1
            start = index + 1
        index += 1
    events: list[Event] = []
    comments: list[str] = []
    data: list[str] = []
    event_id: str | None = None
    name: str | None = None
    for line in lines:
        if not line:
            if data:
                events.append(Event("\n".join(data), event_id, name))
            data, event_id, name = [], None, None
        elif line.startswith(":"):
            comments.append(line[1:].strip())
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "data":
                data.append(value)
            elif field == "id":
                event_id = value
            elif field == "event":
                name = value
    return Parsed(events, comments)


def auth(server: ReferenceServer) -> dict[str, str]:
    """The Bearer authorization header of a server (the LLM Engine and OpenAI mounts)."""
    return {"Authorization": f"Bearer {server.api_key}"}


def signed(server: ReferenceServer) -> Any:
    """A client middleware that signs each request as its service wants it.

    The platform (``/api/v1/``) takes ``Token``, the LLM Engine and the OpenAI-compatible
    server ``Bearer``.
    """

    async def sign(request: aiohttp.ClientRequest, handler: Any) -> aiohttp.ClientResponse:
        if "Authorization" not in request.headers:
            platform = request.url.path.startswith("/api/v1/")
            scheme = "Token" if platform else "Bearer"
            request.headers["Authorization"] = f"{scheme} {server.api_key}"
        response: aiohttp.ClientResponse = await handler(request)
        return response

    return sign


COMPLETION = {"prompt": "Tell me a story", "max_new_tokens": 5, "temperature": 0.2}
SYNC = "v1/llm/completions-sync?model_endpoint_name=example-model"
STREAM = "v1/llm/completions-stream?model_endpoint_name=example-model"
CLI = "api/v1/cli/"
OPENAI = "openai/v1/"


@pytest.fixture
async def make_server() -> AsyncIterator[ServerFactory]:
    """Start reference servers with any constructor arguments; all stop after the test."""
    servers: list[ReferenceServer] = []

    async def make(**kwargs: Any) -> ReferenceServer:
        server = ReferenceServer(**kwargs)
        await server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.stop()


@pytest.fixture
async def server(make_server: ServerFactory) -> ReferenceServer:
    """A reference server with default settings."""
    return await make_server()


@pytest.fixture
async def extended(make_server: ServerFactory) -> ReferenceServer:
    """A reference server of the ``extended`` profile (ids, resume, idempotency, paging)."""
    return await make_server(profile="extended")


@pytest.fixture
async def still(make_server: ServerFactory) -> ReferenceServer:
    """A reference server whose jobs and deployments move only by ``advance(STILL)``."""
    return await make_server(job_step=STILL)


def session_for(server: ReferenceServer) -> aiohttp.ClientSession:
    """A raw aiohttp session rooted at the server's root, signing for each service."""
    return aiohttp.ClientSession(base_url=server.llm_engine_url, middlewares=(signed(server),))


@pytest.fixture
async def http(server: ReferenceServer) -> AsyncIterator[aiohttp.ClientSession]:
    """A raw aiohttp session that authenticates to ``server``, rooted at its root URL."""
    async with session_for(server) as session:
        yield session
