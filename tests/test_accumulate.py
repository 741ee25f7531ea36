"""Folding streams into whole results: the accumulators, ``final()`` and ``text()``."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from helpers import collect, run
from hypothesis import given
from hypothesis import strategies as st

import smarter
from smarter._accumulate import ChatAccumulator, CompletionAccumulator
from smarter._converter import structure
from smarter.resources.responses import ResponseAccumulator
from smarter.testing import Fault, ReferenceServer
from smarter.types import (
    ChatCompletion,
    ChatCompletionChunk,
    CompletionStreamResponse,
    ResponseStreamEvent,
)

AnyClient = smarter.AsyncClient | smarter.Client

HEAD = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 7, "model": "m"}
MESSAGES = [{"role": "user", "content": "Tell me about harbours"}]


def chunk(*choices: dict[str, Any], **top: Any) -> ChatCompletionChunk:
    """A chat chunk of these choices, structured as the stream structures it."""
    return structure({**HEAD, "choices": list(choices), **top}, ChatCompletionChunk)


def delta(index: int = 0, finish: str | None = None, **fields: Any) -> dict[str, Any]:
    """One choice of a chunk: its delta and finish reason."""
    return {"index": index, "delta": fields, "finish_reason": finish}


def fold(chunks: list[Any], accumulator: Any = None) -> Any:
    """The wire dict the chat accumulator folds *chunks* into."""
    accumulator = accumulator or ChatAccumulator(lambda wire, _: wire)
    for item in chunks:
        accumulator.add(item)
    return accumulator.result(None)


# -- the Hypothesis property: fragments split anywhere fold into the unsplit message ---------

NAMES = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True)
ARGUMENTS = st.dictionaries(
    st.text(min_size=1, max_size=6), st.text(max_size=12) | st.integers(), max_size=4
).map(json.dumps)


@st.composite
def splits(draw: st.DrawFn, text: str) -> list[str]:
    """*text* cut at random points (empty pieces included)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=6)))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


@st.composite
def replies(draw: st.DrawFn) -> tuple[list[ChatCompletionChunk], list[ChatCompletionChunk]]:
    """A reply as one whole chunk, and as random fragments in a random interleaving."""
    content = draw(st.none() | st.text(max_size=30))
    calls = [
        (f"call_{index}_{draw(NAMES)}", draw(NAMES), draw(ARGUMENTS))
        for index in range(draw(st.integers(0, 3)))
    ]
    repeat = draw(st.booleans())  # a server that repeats id, type and name on every fragment
    whole_delta: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        whole_delta["tool_calls"] = [
            {"index": i, "id": c, "type": "function", "function": {"name": n, "arguments": a}}
            for i, (c, n, a) in enumerate(calls)
        ]
    whole = [chunk(delta(**whole_delta)), chunk(delta(finish="tool_calls" if calls else "stop"))]
    streams: list[list[dict[str, Any]]] = []
    if content is not None:
        streams.append([{"content": piece} for piece in draw(splits(content))])
    for index, (call, name, arguments) in enumerate(calls):
        head = {"index": index, "id": call, "type": "function"}
        fragments = [{"tool_calls": [{**head, "function": {"name": name, "arguments": ""}}]}]
        for piece in draw(splits(arguments)):
            fragment = {**head, "function": {"name": name}} if repeat else {"index": index}
            fragment["function"] = {**fragment.get("function", {}), "arguments": piece}
            fragments.append({"tool_calls": [fragment]})
        streams.append(fragments)
    pieces: list[dict[str, Any]] = []
    while any(streams):  # interleave the streams, each kept in order
        pick = draw(st.sampled_from([s for s in streams if s]))
        pieces.append(pick.pop(0))
    first = {"role": "assistant", **({"content": None} if content is None else {})}
    split = [chunk(delta(**first))] + [chunk(delta(**piece)) for piece in pieces]
    split.append(chunk(delta(finish="tool_calls" if calls else "stop")))
    return whole, split


@given(replies())
def test_split_fragments_fold_into_the_unsplit_message(
    reply: tuple[list[ChatCompletionChunk], list[ChatCompletionChunk]],
) -> None:
    """Tool-call and content deltas split at random points fold into the unsplit reply."""
    whole, split = reply

    assert fold(split) == fold(whole)


# -- the chat accumulator's rules -------------------------------------------------------------


class TestChatAccumulator:
    def test_repeated_role_id_and_name_are_taken_once(self) -> None:
        """A server repeating role, id, type and name per fragment does not double them."""
        fragment = {"index": 0, "id": "call_1", "type": "function"}
        chunks = [
            chunk(delta(role="assistant", tool_calls=[{**fragment, "function": {"name": "f"}}])),
            chunk(
                delta(
                    role="assistant",
                    tool_calls=[{**fragment, "function": {"name": "f", "arguments": '{"a":'}}],
                )
            ),
            chunk(delta(tool_calls=[{**fragment, "function": {"name": "f", "arguments": "1}"}}])),
        ]

        message = fold(chunks)["choices"][0]["message"]

        assert (message["role"], message["tool_calls"]) == (
            "assistant",
            [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "f", "arguments": '{"a":1}'},
                }
            ],
        )

    def test_indexes_out_of_order(self) -> None:
        """Choices and tool calls are keyed by index: index 1 first lands second."""
        chunks = [
            chunk(delta(1, tool_calls=[{"index": 1, "id": "b", "function": {"name": "g"}}])),
            chunk(delta(0, content="zero")),
            chunk(delta(1, tool_calls=[{"index": 0, "id": "a", "function": {"name": "f"}}])),
        ]

        folded = fold(chunks)

        assert [choice["index"] for choice in folded["choices"]] == [0, 1]
        assert [call["id"] for call in folded["choices"][1]["message"]["tool_calls"]] == ["a", "b"]

    def test_usage_is_the_last_non_null(self) -> None:
        """A usage chunk followed by a chunk with usage null keeps the usage."""
        usage = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
        chunks = [chunk(delta(content="hi")), chunk(usage=usage), chunk(usage=None)]

        assert fold(chunks)["usage"] == usage

    def test_other_objects_are_skipped(self) -> None:
        """A chunk whose object is not a chat.completion.chunk (Azure's filter) is left out."""
        chunks = [chunk(delta(content="a")), chunk(delta(content="b"), object=""), chunk()]

        assert fold(chunks)["choices"][0]["message"]["content"] == "a"

    def test_unknown_strings_join_and_logprobs_append(self) -> None:
        """reasoning_content pieces join; logprobs lists are appended in order."""
        token = {"token": "a", "logprob": -0.5, "bytes": None, "top_logprobs": []}
        chunks = [
            chunk({**delta(reasoning_content="I "), "logprobs": {"content": [], "refusal": None}}),
            chunk({**delta(reasoning_content="think"), "logprobs": {"content": [token]}}),
            chunk({**delta(content="a"), "logprobs": {"content": [token]}}),
        ]

        choice = fold(chunks)["choices"][0]

        assert choice["message"]["reasoning_content"] == "I think"
        assert choice["logprobs"] == {"content": [token, token], "refusal": None}

    def test_structures_into_a_chat_completion(self) -> None:
        """The folded wire dict is a ChatCompletion whose to_dict() is that dict."""
        chunks = [chunk(delta(role="assistant", content="Hi")), chunk(delta(finish="stop"))]
        accumulator = ChatAccumulator(lambda wire, r: structure(wire, ChatCompletion, response=r))

        result = fold(chunks, accumulator)

        assert (result.choices[0].message.content, result.object, result.to_dict()["id"]) == (
            "Hi",
            "chat.completion",
            "chatcmpl-1",
        )


class TestOtherAccumulators:
    def test_completion_counts_fall_back_to_chunks(self) -> None:
        """Without counts (TensorRT-LLM), the completion count is the number of chunks."""
        accumulator = CompletionAccumulator(lambda wire, _: wire)
        for text in ("Low", " tide"):
            accumulator.add(
                structure(
                    {"request_id": "r", "output": {"text": text, "finished": False}},
                    CompletionStreamResponse,
                )
            )

        assert accumulator.result(None) == {
            "request_id": "r",
            "output": {
                "text": "Low tide",
                "num_prompt_tokens": None,
                "num_completion_tokens": 2,
                "tokens": None,
            },
        }

    def test_response_output_rebuilt_when_missing(self) -> None:
        """A terminal response without output gets the items folded from the events."""
        accumulator = ResponseAccumulator()
        item = {"type": "message", "id": "m", "role": "assistant", "content": []}
        call = {"type": "function_call", "id": "fc", "call_id": "c", "name": "f", "arguments": ""}
        where = {"output_index": 0, "content_index": 0, "item_id": "m"}
        response = {"id": "r", "object": "response", "created_at": 1, "model": "m", "output": []}
        for event in (
            {"type": "response.output_item.added", "output_index": 0, "item": item},
            {"type": "response.content_part.added", **where, "part": {"type": "output_text"}},
            {"type": "response.output_text.delta", **where, "delta": "Hi "},
            {"type": "response.output_text.delta", **where, "delta": "there"},
            {"type": "response.output_item.added", "output_index": 1, "item": call},
            {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": "{}"},
            {"type": "response.completed", "response": response},
        ):
            accumulator.add(structure(event, ResponseStreamEvent))

        result = accumulator.result(None)

        assert (result.output_text, result.output[1].name, result.output[1].arguments) == (
            "Hi there",
            "f",
            "{}",
        )


# -- final() and text() on real streams -------------------------------------------------------


class TestFinal:
    async def test_chat_final_is_the_plain_answer(self, client: AnyClient) -> None:
        """final() of a chat stream equals the non-streamed completion's message and usage."""
        plain = await run(client.chat.completions.create(model="m", messages=MESSAGES))
        stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)

        result = await run(stream.final())

        assert result.choices[0].message == plain.choices[0].message
        assert (result.choices[0].finish_reason, result.id[:9]) == ("stop", "chatcmpl-")
        assert result._request_id == stream.request_id

    async def test_completion_final_is_the_sync_answer(self, client: AnyClient) -> None:
        """final() of a completion stream has the text and counts of completions.create."""
        options: dict[str, Any] = {"model": "example-model", "prompt": "Hi", "max_new_tokens": 5}
        plain = await run(client.completions.create(**options))

        result = await run(client.completions.stream(**options).final())

        assert (result.output.text, result.output.num_completion_tokens) == (
            plain.output.text,
            plain.output.num_completion_tokens,
        )

    async def test_text_then_final(self, client: AnyClient) -> None:
        """text() yields the content pieces; final() afterwards still has the whole answer."""
        plain = await run(client.chat.completions.create(model="m", messages=MESSAGES))
        stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)

        pieces = await collect(stream.text())
        result = await run(stream.final())

        assert "".join(pieces) == plain.choices[0].message.content
        assert result.choices[0].message.content == plain.choices[0].message.content

    async def test_final_after_iterating_is_refused(self, client: AnyClient) -> None:
        """final() after chunks were taken by iteration raises: never a short result."""
        stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        await collect(stream)

        with pytest.raises(smarter.SmarterError, match="already taken by iterating"):
            await run(stream.final())

    async def test_final_raises_the_streams_error(
        self, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """An in-stream error is raised by final() as by iteration."""
        client = make_client(kind)
        server.inject("POST", "chat/completions", Fault.stream_error(3, 500, "pod gone"))

        stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        with pytest.raises(smarter.InternalServerError, match="pod gone"):
            await run(stream.final())

    @pytest.mark.parametrize(
        ("route", "chunk"),
        [
            ("chat/completions", {"id": "c", "object": "chat.completion.chunk", "choices": "x"}),
            ("chat/completions", ["not", "an object"]),
            ("v1/llm/completions-stream", {"request_id": "r", "output": "oops"}),
            ("v1/llm/completions-stream", {"request_id": "r", "output": ["a list"]}),
            ("v1/llm/completions-stream", {"request_id": "r", "output": 7}),
        ],
    )
    async def test_a_chunk_of_the_wrong_shape_is_a_validation_error(
        self, client: AnyClient, server: ReferenceServer, route: str, chunk: object
    ) -> None:
        """final() builds no typed chunks, yet a misshapen one is the server's fault, said so."""
        body = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n"
        server.inject("POST", route, Fault(status=200, body=body, content_type="text/event-stream"))

        stream: Any = (
            client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            if route == "chat/completions"
            else client.completions.stream(model="example-model", prompt="Hi")
        )
        with pytest.raises(smarter.APIResponseValidationError, match="does not fit"):
            await run(stream.final())

        assert stream.state in (smarter.StreamState.CLOSED, smarter.StreamState.FAILED)


class TestFinalEvent:
    async def test_responses_stream_ended_early_is_incomplete(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A responses body that ends cleanly before response.completed is cut short."""
        server.inject("POST", "responses", Fault.cut(3, abort=False))

        stream = client.responses.create(model="m", input="hi", stream=True)
        with pytest.raises(smarter.IncompleteStreamError):
            await collect(stream)

    async def test_chat_stream_ended_cleanly_is_complete(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A chat body that ends cleanly without [DONE] is complete (LLM Engine's v2 rule)."""
        server.inject("POST", "chat/completions", Fault.cut(3, abort=False))

        chunks = await collect(
            client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        )

        assert len(chunks) == 3
