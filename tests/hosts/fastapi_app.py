"""A FastAPI app that holds one AsyncClient for its lifetime (tests/hosts/test_host_fastapi.py).

Run it with ``uvicorn fastapi_app:app --app-dir tests/hosts``; ``SMARTER_TEST_URL`` and
``SMARTER_TEST_KEY`` point it at a reference server. Every route calls the shared client.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

import smarter


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One client for the app's whole life, closed when the server shuts down."""
    async with smarter.AsyncClient(
        base_url=os.environ["SMARTER_TEST_URL"],
        api_key=os.environ["SMARTER_TEST_KEY"],
        connection_limit=8,
    ) as client:
        app.state.client = client
        yield


app = FastAPI(lifespan=lifespan)


def _client(request: Request) -> smarter.AsyncClient:
    client: smarter.AsyncClient = request.app.state.client
    return client


@app.get("/whoami")
async def whoami(request: Request) -> dict[str, Any]:
    """The reference server's environment, asked through the shared client."""
    return {"environment": (await _client(request).whoami()).environment}


@app.get("/complete")
async def complete(request: Request, prompt: str) -> dict[str, Any]:
    """A streamed completion, collected."""
    chunks = [
        chunk.output.text
        async for chunk in _client(request).completions.stream(
            model="example-model", prompt=prompt, max_new_tokens=5
        )
    ]
    return {"chunks": len(chunks), "text": "".join(chunks)}


@app.get("/stats")
async def stats(request: Request) -> dict[str, Any]:
    """The shared pool's connection count."""
    return {"connections": _client(request)._transport.connection_count}
