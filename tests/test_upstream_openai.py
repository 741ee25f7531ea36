"""OpenAI bodies written to the shapes of openai-openapi and openai-python, read by the client.

The bodies live in ``tests/upstream/openai/``; ``tests/upstream/SOURCES.txt`` names, for each,
the spec example or recorded stream whose shape it has (the values are ours: fetched data is
never committed). Each test serves one body raw with ``Fault(status=200, body=...)`` over a
real socket and checks that it structures without error, and what a user reads from it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import collect, run

import smarter
from smarter.testing import Fault, ReferenceServer
from smarter.types import (
    ChatCompletion,
    ChatCompletionChunk,
    Response,
    ResponseCompletedEvent,
    ResponseTextDeltaEvent,
)

AnyClient = smarter.AsyncClient | smarter.Client

UPSTREAM = Path(__file__).parent / "upstream"
HERE = UPSTREAM / "openai"
MESSAGES = [{"role": "user", "content": "When is high water at Oban?"}]


def body(name: str) -> Any:
    """The decoded JSON body of ``tests/upstream/openai/<name>``."""
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def events(name: str) -> list[Any]:
    """The JSON data of each event of an ``.sse`` body, in order (``[DONE]`` left out)."""
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    data = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
    return [json.loads(item) for item in data if item != "[DONE]"]


def serve(server: ReferenceServer, route: str, name: str, size: int = 0) -> None:
    """Answer the next request to ``route`` with the file ``name``, in ``size``-byte writes."""
    kind = "text/event-stream" if name.endswith(".sse") else "application/json"
    data = (HERE / name).read_bytes()
    server.inject(
        "POST", route, Fault(status=200, body=data, content_type=kind, chunk_size=size or None)
    )


def test_sources_list_every_body_once() -> None:
    """SOURCES.txt has a line per body file here, each citing the spec or a recording."""
    rows = [line.split("\t") for line in (UPSTREAM / "SOURCES.txt").read_text().splitlines()]
    listed = {row[0]: row[1] for row in rows if row[0].startswith("openai/")}
    pattern = r"openai/openai-(openapi@f85dbe2:openapi\.yaml#/\S+|python@e43b422:[\w/.#-]+)"

    assert sorted(listed) == sorted(f"openai/{path.name}" for path in HERE.iterdir())
    assert all(re.fullmatch(pattern, source) for source in listed.values())


class TestChatCompletion:
    async def test_tool_call_completion(self, client: AnyClient, server: ReferenceServer) -> None:
        """The spec's tool-call completion: typed tool calls, content None, the body kept."""
        serve(server, "chat/completions", "chat-completion-tool-call.json")

        result = await run(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))

        call = result.choices[0].message.tool_calls[0]
        assert isinstance(result, ChatCompletion)
        assert (call.id, call.type, call.function.name) == (
            "call_tide01",
            "function",
            "get_tide_times",
        )
        assert json.loads(call.function.arguments) == {"harbor": "Oban, GB"}
        assert (result.choices[0].message.content, result.choices[0].finish_reason) == (
            None,
            "tool_calls",
        )
        assert result.to_dict() == body("chat-completion-tool-call.json")

    async def test_refusal_completion(self, client: AnyClient, server: ReferenceServer) -> None:
        """A recorded-shape refusal: message.refusal is the text, content None."""
        serve(server, "chat/completions", "chat-completion-refusal.json")

        result = await run(client.chat.completions.create(model="gpt-4o", messages=MESSAGES))

        message = result.choices[0].message
        assert (message.content, message.refusal) == (None, "I can't help with charting that reef.")
        assert result.system_fingerprint == "fp_0a1b2c3d4e"


class TestChatChunks:
    @pytest.mark.parametrize("size", [0, 7])
    async def test_tool_call_chunks(
        self, client: AnyClient, server: ReferenceServer, size: int
    ) -> None:
        """The recorded-shape chunks with two parallel tool calls all structure, split or not."""
        serve(server, "chat/completions", "chat-chunks-tool-calls.sse", size)

        chunks = await collect(
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        )

        assert all(isinstance(chunk, ChatCompletionChunk) for chunk in chunks)
        assert [chunk.to_dict() for chunk in chunks] == events("chat-chunks-tool-calls.sse")
        assert chunks[1].choices[0].delta.tool_calls[0].function.name == "GetTideArgs"
        assert (chunks[-1].choices, chunks[-1].usage.total_tokens) == ([], 183)

    async def test_tool_call_chunks_fold(self, client: AnyClient, server: ReferenceServer) -> None:
        """final() merges the fragments by index into the two whole calls, with the usage."""
        serve(server, "chat/completions", "chat-chunks-tool-calls.sse")

        stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        result = await run(stream.final())

        choice = result.choices[0]
        assert [
            (call.id, call.function.name, json.loads(call.function.arguments))
            for call in choice.message.tool_calls
        ] == [
            ("call_q7Lm2Pw9Rt", "GetTideArgs", {"harbor": "Oban", "country": "GB", "units": "m"}),
            ("call_Z3vN8cX1Bd", "get_ferry_times", {"route": "Oban-Mull", "day": "monday"}),
        ]
        assert (choice.message.content, choice.finish_reason, result.usage.total_tokens) == (
            None,
            "tool_calls",
            183,
        )
        assert (result.id, result.object, result.system_fingerprint) == (
            "chatcmpl-4Kd8LanternQuay",
            "chat.completion",
            "fp_0a1b2c3d4e",
        )

    async def test_refusal_chunks_fold(self, client: AnyClient, server: ReferenceServer) -> None:
        """Streamed refusal deltas join into message.refusal; content stays None."""
        serve(server, "chat/completions", "chat-chunks-refusal.sse", 5)

        stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        result = await run(stream.final())

        message = result.choices[0].message
        assert (message.content, message.refusal) == (None, "I can't help with charting that reef.")


class TestResponseEvents:
    @pytest.mark.parametrize("size", [0, 11])
    async def test_events_structure(
        self, client: AnyClient, server: ReferenceServer, size: int
    ) -> None:
        """The spec's streaming example (no sequence_number, no logprobs) structures, typed."""
        serve(server, "responses", "response-stream-events.sse", size)

        found = await collect(client.responses.create(model="gpt-5.4", input="Hi", stream=True))

        assert [event.to_dict() for event in found] == events("response-stream-events.sse")
        assert [event.type for event in found][:2] == ["response.created", "response.in_progress"]
        deltas = [event.delta for event in found if isinstance(event, ResponseTextDeltaEvent)]
        assert "".join(deltas) == "High water at Oban is at 14:20."
        assert isinstance(found[-1], ResponseCompletedEvent)
        assert found[-1].response.usage.total_tokens == 38

    async def test_events_fold(self, client: AnyClient, server: ReferenceServer) -> None:
        """final() is the response of response.completed, with its output text."""
        serve(server, "responses", "response-stream-events.sse")

        stream = client.responses.create(model="gpt-5.4", input="Hi", stream=True)
        result = await run(stream.final())

        assert isinstance(result, Response)
        assert (result.status, result.output_text) == (
            "completed",
            "High water at Oban is at 14:20.",
        )
        assert result.to_dict() == events("response-stream-events.sse")[-1]["response"]
