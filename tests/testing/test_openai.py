"""The OpenAI-compatible routes: chat/completions (plain, JSON, streamed) and responses."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from smarter.testing import Fault, ReferenceServer

from .conftest import OPENAI, Parsed, ServerFactory, parse_sse, session_for

CHAT: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello there"},
    ],
}


async def chat(
    http: aiohttp.ClientSession, path: str = OPENAI + "chat/completions", **extra: Any
) -> tuple[int, Any]:
    """Ask for a chat completion; returns the status and the JSON body."""
    async with http.post(path, json={**CHAT, **extra}) as r:
        return r.status, await r.json()


async def chat_stream(
    http: aiohttp.ClientSession, path: str = OPENAI + "chat/completions", **extra: Any
) -> tuple[bytes, Parsed]:
    """Stream a chat completion; returns the raw body and its parsed events."""
    async with http.post(path, json={**CHAT, "stream": True, **extra}) as r:
        assert r.status == 200, await r.text()
        raw = await r.read()
    return raw, parse_sse(raw)


class TestChat:
    async def test_shape(self, http: aiohttp.ClientSession) -> None:
        """A chat completion has id, object, created, model, one choice and usage."""
        status, body = await chat(http)

        choice = body["choices"][0]
        assert status == 200
        assert body["id"].startswith("chatcmpl-")
        assert body["object"] == "chat.completion"
        assert isinstance(body["created"], int)
        assert body["model"] == "gpt-4o-mini"
        assert choice["index"] == 0
        assert choice["message"]["role"] == "assistant"
        assert len(choice["message"]["content"].split()) == 16
        assert choice["finish_reason"] == "stop"
        assert body["usage"] == {"prompt_tokens": 4, "completion_tokens": 16, "total_tokens": 20}

    async def test_max_tokens_and_determinism(self, http: aiohttp.ClientSession) -> None:
        """max_tokens bounds the reply (finish "length"); the last user turn picks the words."""
        _, short = await chat(http, max_tokens=3)
        _, again = await chat(http, max_tokens=3)
        _, other = await chat(http, max_tokens=3, messages=[{"role": "user", "content": "Else"}])

        assert short["choices"][0]["finish_reason"] == "length"
        assert len(short["choices"][0]["message"]["content"].split()) == 3
        assert short["choices"][0]["message"] == again["choices"][0]["message"]
        assert short["choices"][0]["message"] != other["choices"][0]["message"]

    async def test_json_object(self, http: aiohttp.ClientSession) -> None:
        """response_format json_object makes the content a JSON object string."""
        _, body = await chat(http, response_format={"type": "json_object"})

        assert set(json.loads(body["choices"][0]["message"]["content"])) == {"answer"}

    async def test_stop(self, http: aiohttp.ClientSession) -> None:
        """A stop string ends the content before it."""
        _, full = await chat(http)
        words = full["choices"][0]["message"]["content"].split()
        _, cut = await chat(http, stop=[" " + words[2]])

        assert cut["choices"][0]["message"]["content"] == " ".join(words[:2])
        assert cut["choices"][0]["finish_reason"] == "stop"

    async def test_n(self, http: aiohttp.ClientSession) -> None:
        """Asking for n=2 gives two different choices."""
        _, body = await chat(http, n=2)

        assert [c["index"] for c in body["choices"]] == [0, 1]
        assert body["choices"][0]["message"] != body["choices"][1]["message"]

    @pytest.mark.parametrize(
        "extra",
        [
            {"model": None},
            {"messages": []},
            {"messages": "hi"},
            {"temperature": 3},
            {"max_tokens": 0},
            {"stop": 5},
            {"response_format": {"type": "yaml"}},
        ],
    )
    async def test_invalid(self, http: aiohttp.ClientSession, extra: dict[str, Any]) -> None:
        """A bad body is a 400 in the OpenAI error shape."""
        status, body = await chat(http, **extra)

        assert status == 400
        assert body["error"]["type"] == "invalid_request_error"
        assert body["error"]["message"]

    async def test_not_json(self, http: aiohttp.ClientSession) -> None:
        """A body that is not JSON is a 400, not a crash."""
        async with http.post(
            OPENAI + "chat/completions",
            data=b"{nope",
            headers={"Content-Type": "application/json"},
        ) as r:
            assert r.status == 400
            assert "error" in await r.json()


class TestChatStream:
    async def test_chunks(self, http: aiohttp.ClientSession) -> None:
        """A chat stream: a role delta, content deltas, a finish chunk and [DONE], no ids."""
        _, plain = await chat(http, max_tokens=4)
        raw, parsed = await chat_stream(http, max_tokens=4)

        events = parsed.events
        chunks = [e.json() for e in events[:-1]]
        assert [e.id for e in events] == [None] * 7
        assert b"id:" not in raw
        assert events[-1].data == "[DONE]"
        assert all(c["object"] == "chat.completion.chunk" for c in chunks)
        assert len({c["id"] for c in chunks}) == 1
        assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
        content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
        assert content == plain["choices"][0]["message"]["content"]
        assert chunks[-1]["choices"][0]["finish_reason"] == "length"
        assert [c["choices"][0]["finish_reason"] for c in chunks[:-1]] == [None] * 5
        assert all(c["choices"][0]["logprobs"] is None for c in chunks)

    async def test_json_stream_joins_to_json(self, http: aiohttp.ClientSession) -> None:
        """The content deltas of a json_object stream join into a JSON object."""
        _, parsed = await chat_stream(http, response_format={"type": "json_object"})

        deltas = [e.json()["choices"][0]["delta"] for e in parsed.events[:-1]]
        assert set(json.loads("".join(d.get("content", "") for d in deltas))) == {"answer"}

    async def test_last_event_id_ignored(self, http: aiohttp.ClientSession) -> None:
        """By default Last-Event-ID does not resume: the whole stream comes again."""
        headers = {"X-Smarter-RequestId": "logical-call-1"}
        body = {**CHAT, "stream": True}
        streams = []
        for extra in ({}, {"Last-Event-ID": "3"}):
            async with http.post(
                OPENAI + "chat/completions", json=body, headers={**headers, **extra}
            ) as r:
                # `created` is the second of the answer: the two may straddle one.
                events = parse_sse(await r.read()).events
                streams.append([_without_created(e.data) for e in events])

        assert streams[0] == streams[1]
        assert len(streams[0]) == 19

    async def test_resume_when_extended(self, extended: ReferenceServer) -> None:
        """Extended: Last-Event-ID resumes a chat stream with exactly the missing chunks."""
        body = {**CHAT, "stream": True}
        headers = {"X-Smarter-RequestId": "logical-call-1"}
        async with session_for(extended) as http:
            async with http.post(OPENAI + "chat/completions", json=body, headers=headers) as r:
                full = parse_sse(await r.read()).events
            async with http.post(
                OPENAI + "chat/completions", json=body, headers={**headers, "Last-Event-ID": "3"}
            ) as r:
                rest = parse_sse(await r.read()).events

        assert [e.id for e in full] == [str(i) for i in range(19)]
        # `created` is the second of each answer: the two may straddle one.
        assert [(e.id, _without_created(e.data)) for e in rest] == [
            (e.id, _without_created(e.data)) for e in full[4:]
        ]


class TestEngineChat:
    """The LLM Engine's v2/chat/completions (api/v2/chat_completion.py at a8236961)."""

    async def test_plain(self, http: aiohttp.ClientSession) -> None:
        """A plain answer sends every key of vLLM's message, null when unset."""
        status, body = await chat(http, "v2/chat/completions", max_tokens=3)

        message = body["choices"][0]["message"]
        assert status == 200
        assert message == {
            "role": "assistant",
            "content": message["content"],
            "refusal": None,
            "annotations": None,
            "audio": None,
            "function_call": None,
            "tool_calls": None,
            "reasoning_content": None,
        }
        assert len(message["content"].split()) == 3
        assert (body["service_tier"], body["system_fingerprint"]) == (None, None)
        assert body["usage"]["completion_tokens_details"] is None

    async def test_stream_has_no_done(self, http: aiohttp.ClientSession) -> None:
        """An engine stream just ends after the finish chunk: no [DONE], no ids."""
        _, plain = await chat(http, "v2/chat/completions", max_tokens=4)
        raw, parsed = await chat_stream(http, "v2/chat/completions", max_tokens=4)

        chunks = [e.json() for e in parsed.events]
        assert b"[DONE]" not in raw
        assert [e.id for e in parsed.events] == [None] * 6
        assert chunks[-1]["choices"][0]["finish_reason"] == "length"
        content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
        assert content == plain["choices"][0]["message"]["content"]

    async def test_chunks_omit_null_keys(self, http: aiohttp.ClientSession) -> None:
        """Engine chunks leave null keys out (exclude_none): no logprobs, no null finish_reason."""
        _, parsed = await chat_stream(http, "v2/chat/completions", max_tokens=2)

        choices = [e.json()["choices"][0] for e in parsed.events]
        assert choices == [
            {"index": 0, "delta": {"role": "assistant", "content": ""}},
            {"index": 0, "delta": {"content": choices[1]["delta"]["content"]}},
            {"index": 0, "delta": {"content": choices[2]["delta"]["content"]}},
            {"index": 0, "delta": {}, "finish_reason": "length"},
        ]
        assert all(None not in e.json().values() for e in parsed.events)

    async def test_in_stream_error(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """A failure mid-stream is one {"error": {"status_code", "content"}} chunk, then the end."""
        server.inject("POST", "v2/chat/completions", Fault(error_after=2))
        raw, parsed = await chat_stream(http, "v2/chat/completions", max_tokens=4)

        last = parsed.events[-1].json()
        assert len(parsed.events) == 3
        assert list(last) == ["error"]
        assert list(last["error"]) == ["status_code", "content"]
        assert last["error"]["status_code"] == 500
        assert last["error"]["content"]["error"] == "Internal error occurred."
        assert set(last["error"]["content"]) == {"error", "timestamp"}
        assert b"[DONE]" not in raw

    async def test_openai_stream_error_differs(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """The same fault on the OpenAI mount is an OpenAI error chunk, still without [DONE]."""
        server.inject("POST", "chat/completions", Fault(error_after=2, error_status=503))
        raw, parsed = await chat_stream(http, max_tokens=4)

        assert parsed.events[-1].json() == {
            "error": {"message": "Internal error occurred.", "type": "server_error", "code": 503}
        }
        assert b"[DONE]" not in raw

    async def test_errors_are_fastapi(self, http: aiohttp.ClientSession) -> None:
        """A bad engine request is a FastAPI detail: 422 for broken JSON, 400 for bad messages."""
        async with http.post(
            "v2/chat/completions", data=b"{nope", headers={"Content-Type": "application/json"}
        ) as r:
            broken = (r.status, await r.json())
        status, body = await chat(http, "v2/chat/completions", messages=[])

        assert broken[0] == 422
        assert broken[1]["detail"][0]["type"] == "json_invalid"
        assert (status, list(body)) == (400, ["detail"])

    async def test_extended_stream_has_ids(self, make_server: ServerFactory) -> None:
        """Extended: engine chat events carry ids, and still no [DONE]."""
        server = await make_server(profile="extended")
        async with session_for(server) as http:
            raw, parsed = await chat_stream(http, "v2/chat/completions", max_tokens=4)

        assert [e.id for e in parsed.events] == [str(i) for i in range(6)]
        assert b"[DONE]" not in raw


class TestResponses:
    async def test_shape(self, http: aiohttp.ClientSession) -> None:
        """The responses route answers one completed assistant message, with usage."""
        body = {"model": "gpt-4o-mini", "input": "Say hi", "instructions": "Be nice"}
        async with http.post(OPENAI + "responses", json=body) as r:
            answer = await r.json()

        message = answer["output"][0]
        assert answer["id"].startswith("resp_")
        assert answer["object"] == "response"
        assert isinstance(answer["created_at"], int)
        assert answer["status"] == "completed"
        assert message["type"] == "message"
        assert message["id"].startswith("msg_")
        assert (message["role"], message["status"]) == ("assistant", "completed")
        assert message["content"][0]["type"] == "output_text"
        assert message["content"][0]["annotations"] == []
        assert len(message["content"][0]["text"].split()) == 16
        assert answer["usage"] == {"input_tokens": 4, "output_tokens": 16, "total_tokens": 20}

    async def test_message_list_and_limit(self, http: aiohttp.ClientSession) -> None:
        """The input may be a message list; max_output_tokens bounds the text."""
        body = {"model": "m", "input": [{"role": "user", "content": "Hi"}], "max_output_tokens": 2}
        async with http.post(OPENAI + "responses", json=body) as r:
            answer = await r.json()

        assert len(answer["output"][0]["content"][0]["text"].split()) == 2

    async def test_input_required(self, http: aiohttp.ClientSession) -> None:
        """A body without input is a 400 in the OpenAI shape."""
        async with http.post(OPENAI + "responses", json={"model": "m"}) as r:
            assert r.status == 400
            assert (await r.json())["error"]["type"] == "invalid_request_error"


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_tides",
            "parameters": {
                "type": "object",
                "properties": {"harbor": {"type": "string"}, "days": {"type": "integer"}},
            },
        },
    }
]
TIDES = [{"role": "user", "content": "Call get_tides for Oban"}]


class TestTools:
    async def test_named_tool_is_called(self, http: aiohttp.ClientSession) -> None:
        """A prompt naming a tool gets a tool call: content null, finish tool_calls."""
        _, body = await chat(http, messages=TIDES, tools=TOOLS)

        choice = body["choices"][0]
        call = choice["message"]["tool_calls"][0]
        assert (choice["finish_reason"], choice["message"]["content"]) == ("tool_calls", None)
        assert (call["type"], call["function"]["name"], call["id"][:5]) == (
            "function",
            "get_tides",
            "call_",
        )
        arguments = json.loads(call["function"]["arguments"])
        assert (type(arguments["harbor"]), type(arguments["days"])) == (str, int)

    async def test_stream_fragments(self, http: aiohttp.ClientSession) -> None:
        """Streamed: a role chunk, a header fragment, argument fragments, a finish chunk."""
        _, parsed = await chat_stream(http, messages=TIDES, tools=TOOLS)

        deltas = [e.json()["choices"][0]["delta"] for e in parsed.events[:-1]]
        calls = [d["tool_calls"][0] for d in deltas[1:-1]]
        assert deltas[0] == {"role": "assistant", "content": None}
        assert set(calls[0]) == {"index", "id", "type", "function"}
        assert all(set(c) == {"index", "function"} for c in calls[1:])
        assert json.loads("".join(c["function"]["arguments"] for c in calls))
        assert parsed.events[-2].json()["choices"][0]["finish_reason"] == "tool_calls"

    async def test_engine_chunks_have_no_nulls(self, http: aiohttp.ClientSession) -> None:
        """LLM Engine v2 sends the same calls with null keys left out, and no [DONE]."""
        raw, parsed = await chat_stream(http, "v2/chat/completions", messages=TIDES, tools=TOOLS)

        first = parsed.events[0].json()["choices"][0]
        assert (first["delta"], "finish_reason" in first, b"[DONE]" in raw) == (
            {"role": "assistant"},
            False,
            False,
        )

    async def test_after_a_tool_answer_text(self, http: aiohttp.ClientSession) -> None:
        """After a tool message the model answers in text."""
        messages = [*TIDES, {"role": "tool", "tool_call_id": "call_1", "content": "14:20"}]

        _, body = await chat(http, messages=messages, tools=TOOLS)

        assert "tool_calls" not in body["choices"][0]["message"]
        assert body["choices"][0]["message"]["content"]

    @pytest.mark.parametrize(
        ("extra", "param"),
        [
            ({"tools": {"a": 1}}, "tools"),
            (
                {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "x"}}},
                "tool_choice",
            ),
            ({"top_logprobs": 2}, "top_logprobs"),
            ({"stream_options": {"include_usage": True}}, "stream"),
            ({"top_p": 2}, "top_p"),
        ],
    )
    async def test_bad_parameters(
        self, http: aiohttp.ClientSession, extra: dict[str, Any], param: str
    ) -> None:
        """Malformed tools or parameters are a 400 naming them."""
        status, body = await chat(http, **extra)

        assert (status, f"'{param}'" in body["error"]["message"]) == (400, True)


class TestStructured:
    async def test_json_schema_reply_fits(self, http: aiohttp.ClientSession) -> None:
        """A json_schema format gets an instance of the schema: every property, its type."""
        schema = {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "depth": {"type": "number"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "kind": {"enum": ["reef", "wreck"]},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
        }
        fmt = {"type": "json_schema", "json_schema": {"name": "Dive", "schema": schema}}

        _, body = await chat(http, response_format=fmt)

        reply = json.loads(body["choices"][0]["message"]["content"])
        assert set(reply) == set(schema["properties"])
        assert (type(reply["depth"]), len(reply["tags"]), reply["kind"] in ("reef", "wreck")) == (
            float,
            2,
            True,
        )

    async def test_logprobs(self, http: aiohttp.ClientSession) -> None:
        """logprobs=True gives one entry per token, with top_logprobs alternatives."""
        _, body = await chat(http, max_tokens=2, logprobs=True, top_logprobs=3)

        content = body["choices"][0]["logprobs"]["content"]
        assert [len(entry["top_logprobs"]) for entry in content] == [3, 3]
        assert (
            "".join(entry["token"] for entry in content) == body["choices"][0]["message"]["content"]
        )


class TestResponsesStream:
    async def test_events(self, http: aiohttp.ClientSession) -> None:
        """event: and data: lines per event, numbered, ended by response.completed, no [DONE]."""
        body = {"model": "m", "input": "Hi", "max_output_tokens": 2, "stream": True}
        async with http.post(OPENAI + "responses", json=body) as r:
            raw = await r.read()
        events = parse_sse(raw).events

        data = [event.json() for event in events]
        assert [event.event for event in events] == [item["type"] for item in data]
        assert [item["type"] for item in data] == [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
        assert [item["sequence_number"] for item in data] == list(range(10))
        assert data[-1]["response"]["output"][0]["content"][0]["text"] == data[6]["text"]
        assert b"[DONE]" not in raw

    async def test_engine_has_no_responses(self, http: aiohttp.ClientSession) -> None:
        """LLM Engine serves no v2/responses: 404."""
        async with http.post("v2/responses", json={"model": "m", "input": "Hi"}) as r:
            assert r.status == 404


def _without_created(data: str) -> object:
    """An event's data with its ``created`` second left out (``[DONE]`` as it is)."""
    if data == "[DONE]":
        return data
    parsed = json.loads(data)
    parsed.pop("created", None)
    return parsed
