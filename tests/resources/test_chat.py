"""``chat.completions.create`` (plain, JSON and streamed) of both clients."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from helpers import collect, run

import smarter
from smarter import _converter
from smarter.testing import Fault, ReferenceServer
from smarter.testing._model import generate
from smarter.types import ChatCompletion, ChatCompletionChunk

from .conftest import SERVER_REQUEST_ID, AnyClient, body_of, client_request_id, last_request

ROUTE = "chat/completions"
MODEL = "gpt-test"
MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Name three colours please"},
]


def answer(prompt: str, tokens: int = 16, temperature: float | None = None) -> str:
    """The reference server's chat answer to ``prompt``."""
    return "".join(generate(prompt, tokens, temperature=temperature).tokens).lstrip()


class TestCreate:
    async def test_fields(self, client: AnyClient) -> None:
        """The completion's id, object, model, choice and usage are the server's."""
        result = await run(client.chat.completions.create(model=MODEL, messages=MESSAGES))

        choice = result.choices[0]
        assert isinstance(result, ChatCompletion)
        assert (result.id[:9], result.object, result.model, len(result.choices)) == (
            "chatcmpl-",
            "chat.completion",
            MODEL,
            1,
        )
        assert (choice.index, choice.message.role, choice.message.content) == (
            0,
            "assistant",
            answer("Name three colours please"),
        )
        assert choice.finish_reason == "stop"
        assert (
            result.usage.prompt_tokens,
            result.usage.completion_tokens,
            result.usage.total_tokens,
        ) == (7, 16, 23)

    async def test_request_id(self, bare_client: AnyClient, bare_server: ReferenceServer) -> None:
        """_request_id is the id of the response, here the X-Smarter-RequestId sent."""
        result = await run(bare_client.chat.completions.create(model=MODEL, messages=MESSAGES))

        assert result._request_id == client_request_id(bare_server, "POST", ROUTE)

    async def test_body_without_options(self, client: AnyClient, server: ReferenceServer) -> None:
        """Arguments left at None are absent from the body; stream is not sent."""
        await run(client.chat.completions.create(model=MODEL, messages=iter(MESSAGES)))

        assert body_of(last_request(server, "POST", ROUTE)) == {
            "model": MODEL,
            "messages": MESSAGES,
        }

    async def test_body_with_options(self, client: AnyClient, server: ReferenceServer) -> None:
        """temperature, max_tokens, stop (a tuple becomes a list) and response_format are sent."""
        result = await run(
            client.chat.completions.create(
                model=MODEL,
                messages=MESSAGES,
                temperature=0.7,
                max_tokens=5,
                stop=("zzz", "yyy"),
                response_format={"type": "text"},
            )
        )

        assert body_of(last_request(server, "POST", ROUTE)) == {
            "model": MODEL,
            "messages": MESSAGES,
            "temperature": 0.7,
            "max_tokens": 5,
            "stop": ["zzz", "yyy"],
            "response_format": {"type": "text"},
        }
        assert (result.choices[0].finish_reason, result.usage.completion_tokens) == ("length", 5)
        assert result.choices[0].message.content == answer(
            "Name three colours please", 5, temperature=0.7
        )

    async def test_max_completion_tokens(self, client: AnyClient, server: ReferenceServer) -> None:
        """max_completion_tokens (OpenAI's newer name, which LLM Engine v2 reads) is sent."""
        result = await run(
            client.chat.completions.create(model=MODEL, messages=MESSAGES, max_completion_tokens=3)
        )

        assert body_of(last_request(server, "POST", ROUTE))["max_completion_tokens"] == 3
        assert (result.usage.completion_tokens, result.choices[0].finish_reason) == (3, "length")

    async def test_json_object_gives_json(self, client: AnyClient) -> None:
        """response_format json_object makes the content a JSON document."""
        result = await run(
            client.chat.completions.create(
                model=MODEL, messages=MESSAGES, response_format={"type": "json_object"}
            )
        )

        assert json.loads(result.choices[0].message.content) == {
            "answer": answer("Name three colours please")
        }

    async def test_to_dict_round_trip(self, client: AnyClient) -> None:
        """to_dict() is the wire body and structures back into an equal object."""
        result = await run(client.chat.completions.create(model=MODEL, messages=MESSAGES))

        wire = result.to_dict()
        assert (_converter.structure(wire, ChatCompletion), wire["choices"][0]["message"]) == (
            result,
            {"role": "assistant", "content": result.choices[0].message.content, "refusal": None},
        )

    async def test_unknown_fields_kept(self, client: AnyClient, server: ReferenceServer) -> None:
        """An unknown top-level field and an unknown message field are kept."""
        body = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "hi", "audio": {"id": "a"}},
                    "finish_reason": "stop",
                }
            ],
            "system_fingerprint": "fp_1",
        }
        server.inject("POST", ROUTE, Fault(status=200, body=body))

        result = await run(client.chat.completions.create(model=MODEL, messages=MESSAGES))

        assert (result.system_fingerprint, result.choices[0].message.audio, result.to_dict()) == (
            "fp_1",
            {"id": "a"},
            body,
        )

    async def test_error_shape(self, client: AnyClient) -> None:
        """An OpenAI-shaped 400 raises BadRequestError with the server's message."""
        with pytest.raises(smarter.BadRequestError, match="'messages' must be") as caught:
            await run(client.chat.completions.create(model=MODEL, messages=[]))

        assert caught.value.status_code == 400


class TestStream:
    async def test_chunks_end_at_done(self, client: AnyClient, server: ReferenceServer) -> None:
        """The chunks are the role, the content pieces, then the finish reason; [DONE] ends it."""
        chunks = await collect(
            client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        )

        deltas = [chunk.choices[0].delta for chunk in chunks]
        assert all(isinstance(chunk, ChatCompletionChunk) for chunk in chunks)
        assert len(chunks) == 16 + 2
        assert (deltas[0].role, deltas[0].content) == ("assistant", "")
        assert "".join(delta.content or "" for delta in deltas) == answer(
            "Name three colours please"
        )
        assert [chunk.choices[0].finish_reason for chunk in chunks] == [None] * 17 + ["stop"]
        assert {(chunk.id, chunk.object, chunk.model) for chunk in chunks} == {
            (chunks[0].id, "chat.completion.chunk", MODEL)
        }
        assert body_of(last_request(server, "POST", ROUTE))["stream"] is True

    async def test_await_opens_the_stream(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """``await create(..., stream=True)`` sends the request and returns the open stream."""
        client = make_client("async")
        pending = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        sent_before = len(server.requests_to("POST", ROUTE))

        stream = await pending
        sent_after = len(server.requests_to("POST", ROUTE))
        started_id = stream.request_id
        chunks = [chunk async for chunk in stream]

        assert (stream is pending, sent_before, sent_after, len(chunks)) == (True, 0, 1, 18)
        assert SERVER_REQUEST_ID.fullmatch(started_id or "")

    async def test_sync_with_opens_the_stream(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """The sync Stream of create(stream=True) is opened by ``with`` and read by ``for``."""
        client = make_client("sync")
        stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        sent_before = len(server.requests_to("POST", ROUTE))

        with stream:
            sent_after = len(server.requests_to("POST", ROUTE))
            chunks = list(stream)

        assert (type(stream), sent_before, sent_after, len(chunks)) == (smarter.Stream, 0, 1, 18)

    @pytest.mark.parametrize(
        ("status", "error"), [(500, smarter.InternalServerError), (400, smarter.BadRequestError)]
    )
    async def test_llm_engine_v2_error_chunk(
        self,
        kind: str,
        make_client: Callable[..., AnyClient],
        server: ReferenceServer,
        status: int,
        error: type[smarter.APIStatusError],
    ) -> None:
        """LLM Engine v2's error chunk raises the class of its status, with its message.

        {"error": {"status_code", "content": {"error", "timestamp"}}}:
        scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/v2/chat_completion.py
        """
        client = make_client(kind, openai_base_url=server.llm_engine_url + "v2/")
        server.inject("POST", "v2/chat/completions", Fault.stream_error(2, status, "pod gone"))

        stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        with pytest.raises(error) as caught:
            await collect(stream)

        assert (caught.value.status_code, caught.value.message) == (status, "pod gone")
        assert len(server.requests_to("POST", "v2/chat/completions")) == 1

    async def test_json_stream(self, client: AnyClient) -> None:
        """A streamed json_object answer joins into the JSON document."""
        chunks = await collect(
            client.chat.completions.create(
                model=MODEL, messages=MESSAGES, stream=True, response_format={"type": "json_object"}
            )
        )

        text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
        assert json.loads(text) == {"answer": answer("Name three colours please")}
