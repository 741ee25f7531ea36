"""The OpenAI-compatible routes: chat/completions (plain, JSON, streamed) and responses."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from .conftest import parse_sse

CHAT: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello there"},
    ],
}


async def chat(http: aiohttp.ClientSession, **extra: Any) -> tuple[int, Any]:
    """Ask for a chat completion; returns the status and the JSON body."""
    async with http.post("chat/completions", json={**CHAT, **extra}) as r:
        return r.status, await r.json()


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
            "chat/completions", data=b"{nope", headers={"Content-Type": "application/json"}
        ) as r:
            assert r.status == 400
            assert "error" in await r.json()


class TestChatStream:
    async def test_chunks(self, http: aiohttp.ClientSession) -> None:
        """A chat stream: a role delta, content deltas, a finish chunk, [DONE], all with ids."""
        _, plain = await chat(http, max_tokens=4)
        async with http.post(
            "chat/completions", json={**CHAT, "max_tokens": 4, "stream": True}
        ) as r:
            events = parse_sse(await r.read()).events

        chunks = [e.json() for e in events[:-1]]
        assert [e.id for e in events] == [str(i) for i in range(7)]
        assert events[-1].data == "[DONE]"
        assert all(c["object"] == "chat.completion.chunk" for c in chunks)
        assert len({c["id"] for c in chunks}) == 1
        assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
        content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
        assert content == plain["choices"][0]["message"]["content"]
        assert chunks[-1]["choices"][0]["finish_reason"] == "length"
        assert [c["choices"][0]["finish_reason"] for c in chunks[:-1]] == [None] * 5

    async def test_json_stream_joins_to_json(self, http: aiohttp.ClientSession) -> None:
        """The content deltas of a json_object stream join into a JSON object."""
        body = {**CHAT, "stream": True, "response_format": {"type": "json_object"}}
        async with http.post("chat/completions", json=body) as r:
            events = parse_sse(await r.read()).events

        content = "".join(e.json()["choices"][0]["delta"].get("content", "") for e in events[:-1])
        assert set(json.loads(content)) == {"answer"}

    async def test_resume(self, http: aiohttp.ClientSession) -> None:
        """Last-Event-ID resumes a chat stream with exactly the missing chunks and one id."""
        body = {**CHAT, "stream": True}
        headers = {"X-Smarter-RequestId": "logical-call-1"}
        async with http.post("chat/completions", json=body, headers=headers) as r:
            full = parse_sse(await r.read()).events
        async with http.post(
            "chat/completions", json=body, headers={**headers, "Last-Event-ID": "3"}
        ) as r:
            rest = parse_sse(await r.read()).events

        assert [(e.id, e.data) for e in rest] == [(e.id, e.data) for e in full[4:]]


class TestResponses:
    async def test_shape(self, http: aiohttp.ClientSession) -> None:
        """The responses route answers one completed assistant message, with usage."""
        body = {"model": "gpt-4o-mini", "input": "Say hi", "instructions": "Be nice"}
        async with http.post("responses", json=body) as r:
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
        async with http.post("responses", json=body) as r:
            answer = await r.json()

        assert len(answer["output"][0]["content"][0]["text"].split()) == 2

    async def test_input_required(self, http: aiohttp.ClientSession) -> None:
        """A body without input is a 400 in the OpenAI shape."""
        async with http.post("responses", json={"model": "m"}) as r:
            assert r.status == 400
            assert (await r.json())["error"]["type"] == "invalid_request_error"
