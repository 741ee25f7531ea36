"""``responses.create`` (also ``chat.responses``) of both clients."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from helpers import collect, run

import smarter
from smarter import _converter
from smarter.testing import Fault, ReferenceServer
from smarter.testing._model import generate
from smarter.types import Response, ResponseStreamEvent, ResponseTextDeltaEvent

from .conftest import AnyClient, body_of, client_request_id, last_request

ROUTE = "responses"
MODEL = "gpt-test"


def answer(prompt: str, tokens: int = 16) -> str:
    """The reference server's answer to ``prompt``."""
    return "".join(generate(prompt, tokens).tokens).lstrip()


class TestCreate:
    async def test_fields(self, client: AnyClient) -> None:
        """The response's id, status, output message, output_text and usage are the server's."""
        result = await run(client.responses.create(model=MODEL, input="Say something nice"))

        item = result.output[0]
        assert isinstance(result, Response)
        assert (result.id[:5], result.object, result.model, result.status) == (
            "resp_",
            "response",
            MODEL,
            "completed",
        )
        assert (item.type, item.role, item.status, item.content[0].type) == (
            "message",
            "assistant",
            "completed",
            "output_text",
        )
        assert result.output_text == answer("Say something nice")
        assert (
            result.usage.input_tokens,
            result.usage.output_tokens,
            result.usage.total_tokens,
        ) == (3, 16, 19)

    async def test_request_id(self, bare_client: AnyClient, bare_server: ReferenceServer) -> None:
        """_request_id is the id of the response, here the X-Smarter-RequestId sent."""
        result = await run(bare_client.responses.create(model=MODEL, input="hi"))

        assert result._request_id == client_request_id(bare_server, "POST", ROUTE)

    async def test_chat_responses_is_responses(self, client: AnyClient) -> None:
        """client.chat.responses is the very same resource as client.responses."""
        assert client.chat.responses is client.responses

    async def test_body_without_options(self, client: AnyClient, server: ReferenceServer) -> None:
        """Arguments left at None are absent from the body."""
        await run(client.chat.responses.create(model=MODEL, input="hi"))

        assert body_of(last_request(server, "POST", ROUTE)) == {"model": MODEL, "input": "hi"}

    async def test_body_with_options(self, client: AnyClient, server: ReferenceServer) -> None:
        """A message list, instructions, temperature and max_output_tokens are sent and used."""
        messages = ({"role": "user", "content": "Tell me more"},)

        result = await run(
            client.responses.create(
                model=MODEL,
                input=messages,
                instructions="Be brief.",
                temperature=0.3,
                max_output_tokens=4,
            )
        )

        assert body_of(last_request(server, "POST", ROUTE)) == {
            "model": MODEL,
            "input": [{"role": "user", "content": "Tell me more"}],
            "instructions": "Be brief.",
            "temperature": 0.3,
            "max_output_tokens": 4,
        }
        expected = "".join(generate("Be brief.\nTell me more", 4, temperature=0.3).tokens)
        assert (result.output_text, result.usage.output_tokens) == (expected.lstrip(), 4)

    async def test_json_object(self, client: AnyClient) -> None:
        """response_format json_object makes output_text a JSON document."""
        result = await run(
            client.responses.create(
                model=MODEL, input="hi there", response_format={"type": "json_object"}
            )
        )

        assert json.loads(result.output_text) == {"answer": answer("hi there")}

    async def test_response_format_is_sent_as_text_format(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """response_format= goes out as text.format: OpenAI's CreateResponse has no such field.

        openai/openai-openapi: CreateResponse takes ``text: {format}`` (ResponseTextParam).
        """
        fmt = {"type": "json_object"}
        await run(client.responses.create(model=MODEL, input="hi", response_format=fmt))
        await run(client.responses.create(model=MODEL, input="hi", text={"format": fmt}))

        first, second = (body_of(r) for r in server.requests_to("POST", "responses"))
        assert first == second
        assert (first["text"], "response_format" in first) == ({"format": fmt}, False)

    async def test_text_and_response_format_together_are_refused(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """Both text= and response_format= is a TypeError before anything is sent."""
        with pytest.raises(TypeError, match="not both"):
            await run(
                client.responses.create(
                    model=MODEL,
                    input="hi",
                    text={"format": {"type": "text"}},
                    response_format={"type": "text"},
                )
            )

        assert server.requests == []

    async def test_to_dict_round_trip(self, client: AnyClient) -> None:
        """to_dict() is the wire body and structures back into an equal object."""
        result = await run(client.responses.create(model=MODEL, input="hi"))

        wire = result.to_dict()
        assert (_converter.structure(wire, Response), wire["output"][0]["content"][0]["text"]) == (
            result,
            result.output_text,
        )

    async def test_unknown_fields_kept(self, client: AnyClient, server: ReferenceServer) -> None:
        """Unknown fields and unknown output item types are kept; output_text skips them."""
        body = {
            "id": "resp_1",
            "object": "response",
            "created_at": 1,
            "model": MODEL,
            "output": [
                {"type": "reasoning", "summary": ["thought"]},
                {"type": "message", "content": [{"type": "output_text", "text": "ok"}]},
            ],
            "service_tier": "flex",
        }
        server.inject("POST", ROUTE, Fault(status=200, body=body))

        result = await run(client.responses.create(model=MODEL, input="hi"))

        assert (result.service_tier, result.output[0].summary, result.output_text) == (
            "flex",
            ["thought"],
            "ok",
        )
        assert result.to_dict() == body


def sse(*events: dict[str, object]) -> Fault:
    """A 200 answer whose body is these response events (``event:`` and ``data:`` lines)."""
    text = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    return Fault(status=200, body=text, content_type="text/event-stream")


STARTED = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1,
    "model": MODEL,
    "status": "in_progress",
    "output": [],
}
CREATED = {"type": "response.created", "sequence_number": 0, "response": STARTED}
FAILED = {
    "type": "response.failed",
    "sequence_number": 1,
    "response": {
        **STARTED,
        "status": "failed",
        "error": {"code": "server_error", "message": "It broke."},
    },
}


class TestStream:
    async def test_events_are_typed(self, client: AnyClient, server: ReferenceServer) -> None:
        """stream=True yields the typed events of a text turn, numbered, ended by completion."""
        found = await collect(client.responses.create(model=MODEL, input="hi", stream=True))

        assert [type(event).__name__ for event in found] == [
            "ResponseCreatedEvent",
            "ResponseInProgressEvent",
            "ResponseOutputItemAddedEvent",
            "ResponseContentPartAddedEvent",
            *["ResponseTextDeltaEvent"] * 16,
            "ResponseTextDoneEvent",
            "ResponseContentPartDoneEvent",
            "ResponseOutputItemDoneEvent",
            "ResponseCompletedEvent",
        ]
        assert [event.sequence_number for event in found] == list(range(24))
        assert "".join(e.delta for e in found if isinstance(e, ResponseTextDeltaEvent)) == answer(
            "hi"
        )
        assert body_of(last_request(server, "POST", ROUTE))["stream"] is True

    async def test_final_and_text(self, client: AnyClient) -> None:
        """final() is the Response of response.completed; text() its text in pieces."""
        plain = await run(client.responses.create(model=MODEL, input="hi"))
        stream = client.responses.create(model=MODEL, input="hi", stream=True)

        pieces = await collect(stream.text())
        result = await run(stream.final())

        assert ("".join(pieces), result.output_text, result.status) == (
            plain.output_text,
            plain.output_text,
            "completed",
        )
        assert result.usage.output_tokens == plain.usage.output_tokens

    @pytest.mark.parametrize(
        ("failure", "error", "message"),
        [
            (
                {"type": "error", "code": "rate_limit_exceeded", "message": "Slow down."},
                smarter.RateLimitError,
                "Slow down.",
            ),
            (FAILED, smarter.InternalServerError, "It broke."),
            (
                {"type": "error", "code": "invalid_prompt", "message": "No."},
                smarter.APIError,
                "No.",
            ),
        ],
    )
    async def test_failures_raise(
        self,
        client: AnyClient,
        server: ReferenceServer,
        failure: dict[str, object],
        error: type[smarter.APIError],
        message: str,
    ) -> None:
        """An error event or response.failed raises the error of its code, with its message."""
        server.inject("POST", ROUTE, sse(CREATED, failure))

        found, raised = [], None
        try:
            async for event in _aiter(
                client.responses.create(model=MODEL, input="hi", stream=True)
            ):
                found.append(event)
        except smarter.APIError as exc:
            raised = exc

        assert (type(raised), raised.message if raised else None) == (error, message)
        assert [event.type for event in found] == ["response.created"]

    async def test_server_error_event(self, client: AnyClient, server: ReferenceServer) -> None:
        """The reference server's scripted in-stream error is an ``error`` event."""
        server.inject("POST", ROUTE, Fault.stream_error(2, 500, "pod gone"))

        with pytest.raises(smarter.InternalServerError, match="pod gone"):
            await collect(client.responses.create(model=MODEL, input="hi", stream=True))

    async def test_unknown_event_kept(self, client: AnyClient, server: ReferenceServer) -> None:
        """An event type this client does not know is a plain ResponseStreamEvent, fields kept."""
        done = {**CREATED, "type": "response.completed", "sequence_number": 2}
        new = {"type": "response.compaction.compacting", "sequence_number": 1, "ratio": 0.5}
        server.inject("POST", ROUTE, sse(CREATED, new, done))

        found = await collect(client.responses.create(model=MODEL, input="hi", stream=True))

        assert (type(found[1]) is ResponseStreamEvent, found[1].ratio, len(found)) == (True, 0.5, 3)

    async def test_llm_engine_serves_no_responses(
        self, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """LLM Engine's v2/ has no responses route: a NotFoundError, plain or streamed."""
        engine = make_client(kind, openai_base_url=server.llm_engine_url + "v2/")

        with pytest.raises(smarter.NotFoundError):
            await collect(engine.responses.create(model=MODEL, input="hi", stream=True))


async def _aiter(stream: Any) -> AsyncIterator[Any]:
    """The events of a stream of either client, one by one."""
    if hasattr(stream, "__aiter__"):
        async for event in stream:
            yield event
    else:
        for event in stream:
            yield event
