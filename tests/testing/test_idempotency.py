"""Idempotency-Key: replayed by the extended profile only, ignored like the real servers else."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import aiohttp
import pytest

from smarter.testing import Fault, ReferenceServer

from .conftest import COMPLETION, OPENAI, STREAM, session_for

JOB = {"model": "llama-2-7b", "training_file": "https://example.com/t.csv", "hyperparameters": {}}
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


async def post_job(
    http: aiohttp.ClientSession, key: str, body: dict[str, object] = JOB
) -> tuple[int, dict[str, object], str | None]:
    """Create a job with an Idempotency-Key; returns status, body and the replay header."""
    async with http.post("v1/llm/fine-tunes", json=body, headers={"Idempotency-Key": key}) as r:
        return r.status, await r.json(), r.headers.get("Idempotent-Replayed")


@pytest.fixture
async def ext_http(extended: ReferenceServer) -> AsyncIterator[aiohttp.ClientSession]:
    """A raw session to the extended server."""
    async with session_for(extended) as session:
        yield session


class TestRealServers:
    async def test_repeated_key_creates_twice(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """By default a repeated key is not replayed: two jobs, no replay header."""
        first = await post_job(http, "k1")
        second = await post_job(http, "k1")

        assert (first[0], second[0]) == (200, 200)
        assert first[1] != second[1]
        assert (first[2], second[2]) == (None, None)
        assert len(server.state.jobs) == 2

    async def test_plain_chat_not_replayed(self, http: aiohttp.ClientSession) -> None:
        """By default a repeated key on a chat completion is answered afresh."""
        flags = []
        for _ in range(2):
            headers = {"Idempotency-Key": "c"}
            async with http.post(OPENAI + "chat/completions", json=CHAT, headers=headers) as r:
                flags.append((r.status, r.headers.get("Idempotent-Replayed")))

        assert flags == [(200, None), (200, None)]


class TestReplay:
    async def test_replay(self, extended: ReferenceServer, ext_http: aiohttp.ClientSession) -> None:
        """A repeated key replays the first answer, marked, and creates one job only."""
        first = await post_job(ext_http, "k1")
        second = await post_job(ext_http, "k1")

        assert first[0] == second[0] == 200
        assert first[1] == second[1]
        assert (first[2], second[2]) == (None, "true")
        assert len(extended.state.jobs) == 1

    async def test_distinct_keys_and_routes(
        self, extended: ReferenceServer, ext_http: aiohttp.ClientSession
    ) -> None:
        """Different keys create different jobs; the same key on another route is another slot."""
        await post_job(ext_http, "a")
        await post_job(ext_http, "b")
        data = aiohttp.FormData()
        data.add_field("file", io.BytesIO(b"x"), filename="x.csv")
        async with ext_http.post("v1/files", data=data, headers={"Idempotency-Key": "a"}) as r:
            replayed = r.headers.get("Idempotent-Replayed")

        assert len(extended.state.jobs) == 2
        assert len(extended.state.files) == 1
        assert replayed is None

    async def test_errors_not_remembered(
        self, extended: ReferenceServer, ext_http: aiohttp.ClientSession
    ) -> None:
        """A 4xx answer or a fault's 5xx is not remembered: the next try with the key acts."""
        invalid = await post_job(ext_http, "k", {"model": "m"})
        extended.inject("POST", "v1/llm/fine-tunes", Fault.error(503))
        unavailable = await post_job(ext_http, "k")
        created = await post_job(ext_http, "k")

        assert (invalid[0], unavailable[0], created[0]) == (422, 503, 200)
        assert created[2] is None
        assert len(extended.state.jobs) == 1

    async def test_duplicate_in_flight_waits(
        self, extended: ReferenceServer, ext_http: aiohttp.ClientSession
    ) -> None:
        """A duplicate that arrives while the first is being handled waits, then replays it."""
        release = asyncio.Event()

        async def slow_file() -> AsyncIterator[bytes]:
            yield b"first half,"
            await release.wait()
            yield b"second half\n"

        async def upload(body: object) -> tuple[str, str | None]:
            data = aiohttp.FormData()
            data.add_field("file", body, filename="f.csv")
            headers = {"Idempotency-Key": "same"}
            async with ext_http.post("v1/files", data=data, headers=headers) as r:
                return (await r.json())["id"], r.headers.get("Idempotent-Replayed")

        first = asyncio.create_task(upload(slow_file()))
        while not extended.requests:
            await asyncio.sleep(0.005)
        second = asyncio.create_task(upload(io.BytesIO(b"other")))
        while len(extended.requests) < 2:
            await asyncio.sleep(0.005)
        release.set()
        results = [await first, await second]

        assert results[0][0] == results[1][0]
        assert [flag for _, flag in results] == [None, "true"]
        assert len(extended.state.files) == 1

    async def test_streams_exempt(self, ext_http: aiohttp.ClientSession) -> None:
        """Streaming routes are served afresh for a repeated key."""
        headers = {"Idempotency-Key": "s"}
        flags = []
        for _ in range(2):
            async with ext_http.post(STREAM, json=COMPLETION, headers=headers) as r:
                await r.read()
                flags.append(r.headers.get("Idempotent-Replayed"))
        chat = {**CHAT, "stream": True}
        for path in (OPENAI + "chat/completions", "v2/chat/completions"):
            for _ in range(2):
                async with ext_http.post(path, json=chat, headers=headers) as r:
                    await r.read()
                    flags.append(r.headers.get("Idempotent-Replayed"))

        assert flags == [None] * 6

    async def test_plain_chat_is_replayed(self, ext_http: aiohttp.ClientSession) -> None:
        """A non-streaming chat completion is replayed like any other non-GET call."""
        answers = []
        for _ in range(2):
            headers = {"Idempotency-Key": "c"}
            async with ext_http.post(OPENAI + "chat/completions", json=CHAT, headers=headers) as r:
                answers.append((await r.json(), r.headers.get("Idempotent-Replayed")))

        assert answers[0][0] == answers[1][0]
        assert [flag for _, flag in answers] == [None, "true"]
