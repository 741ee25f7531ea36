"""The chat completion results and request parameters (OpenAI-compatible shapes)."""

from __future__ import annotations

from typing import Any

import pytest

from smarter._converter import structure
from smarter.types import (
    BaseModel,
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionChunk,
    ChatCompletionChunkChoice,
    ChatCompletionMessage,
    ChatCompletionMessageParam,
    ChoiceDelta,
    CompletionUsage,
    JSONSchema,
    ResponseFormatJSONObject,
    ResponseFormatJSONSchema,
    ResponseFormatText,
)

COMPLETION = {
    "id": "chatcmpl-8f2a",
    "object": "chat.completion",
    "created": 1767225600,
    "model": "llama-2-7b",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello! How can I help?"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15},
}
FIRST_CHUNK = {
    "id": "chatcmpl-8f2a",
    "object": "chat.completion.chunk",
    "created": 1767225600,
    "model": "llama-2-7b",
    "choices": [
        {"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None}
    ],
}
LAST_CHUNK = {
    "id": "chatcmpl-8f2a",
    "object": "chat.completion.chunk",
    "created": 1767225600,
    "model": "llama-2-7b",
    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
}

CASES: list[tuple[type[BaseModel], dict[str, Any], BaseModel]] = [
    (
        ChatCompletion,
        COMPLETION,
        ChatCompletion(
            id="chatcmpl-8f2a",
            created=1767225600,
            model="llama-2-7b",
            choices=[
                ChatCompletionChoice(
                    index=0,
                    message=ChatCompletionMessage(
                        role="assistant", content="Hello! How can I help?"
                    ),
                    finish_reason="stop",
                )
            ],
            usage=CompletionUsage(prompt_tokens=9, completion_tokens=6, total_tokens=15),
        ),
    ),
    (
        ChatCompletionChunk,
        FIRST_CHUNK,
        ChatCompletionChunk(
            id="chatcmpl-8f2a",
            created=1767225600,
            model="llama-2-7b",
            choices=[
                ChatCompletionChunkChoice(
                    index=0, delta=ChoiceDelta(role="assistant", content="Hel")
                )
            ],
        ),
    ),
    (
        ChatCompletionChunk,
        LAST_CHUNK,
        ChatCompletionChunk(
            id="chatcmpl-8f2a",
            created=1767225600,
            model="llama-2-7b",
            choices=[ChatCompletionChunkChoice(index=0, delta=ChoiceDelta(), finish_reason="stop")],
        ),
    ),
]


@pytest.mark.parametrize(("cls", "body", "expected"), CASES, ids=["completion", "chunk", "last"])
class TestWire:
    def test_structure(
        self, cls: type[BaseModel], body: dict[str, Any], expected: BaseModel
    ) -> None:
        """The body structures to the expected object, field by field."""
        assert expected == structure(body, cls)

    def test_to_dict(self, cls: type[BaseModel], body: dict[str, Any], expected: BaseModel) -> None:
        """``to_dict()`` gives the body back exactly."""
        assert body == structure(body, cls).to_dict()

    def test_unknown_fields(
        self, cls: type[BaseModel], body: dict[str, Any], expected: BaseModel
    ) -> None:
        """An unknown field is kept in ``to_dict()`` and readable as an attribute."""
        extended = {**body, "system_fingerprint": "fp_44709d6fcb"}

        obj = structure(extended, cls)

        assert (extended, "fp_44709d6fcb") == (obj.to_dict(), obj.system_fingerprint)


class TestChatCompletion:
    def test_null_content(self) -> None:
        """A message whose content is null (a tool call) has content None, and it is set."""
        call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        body = {"role": "assistant", "content": None, "tool_calls": [call]}

        message = structure(body, ChatCompletionMessage)

        assert (None, {"role", "content", "tool_calls"}, "call_1", "f") == (
            message.content,
            message.model_fields_set,
            message.tool_calls[0].id,
            message.tool_calls[0].function.name,
        )

    def test_to_param_is_the_message_to_send_back(self) -> None:
        """to_param(): the wire dict of the reply, tool calls included, for the next call."""
        call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        body = {"role": "assistant", "content": None, "tool_calls": [call]}

        param = structure(body, ChatCompletionMessage).to_param()

        assert param == body

    def test_without_usage(self) -> None:
        """``usage`` may be left out; it is None and not set."""
        body = {key: value for key, value in COMPLETION.items() if key != "usage"}

        expected = (None, False)

        completion = structure(body, ChatCompletion)

        assert expected == (completion.usage, "usage" in completion.model_fields_set)

    def test_delta_fields_set(self) -> None:
        """An empty delta sets nothing; a first delta sets role and content."""
        first = structure(FIRST_CHUNK, ChatCompletionChunk).choices[0].delta
        last = structure(LAST_CHUNK, ChatCompletionChunk).choices[0].delta
        expected = ({"role", "content"}, set())

        assert expected == (first.model_fields_set, last.model_fields_set)


class TestParams:
    def test_message_param(self) -> None:
        """A message param is a plain dict needing only ``role``.

        A tool-call turn has no content: openai-openapi's ChatCompletionRequestAssistantMessage.
        """
        message: ChatCompletionMessageParam = {"role": "user", "content": "Hi"}
        expected = frozenset({"role"})

        assert (expected, {"role": "user", "content": "Hi"}) == (
            ChatCompletionMessageParam.__required_keys__,
            message,
        )

    def test_response_formats(self) -> None:
        """Every response format needs ``type``; a JSON schema needs only its ``name``.

        openai/openai-openapi@f85dbe2: ResponseFormatJsonSchema.json_schema requires ``name``.
        """
        expected = [
            {"type"},
            {"type"},
            {"type", "json_schema"},
            {"name"},
            {"schema", "description", "strict"},
        ]

        assert expected == [
            set(ResponseFormatText.__required_keys__),
            set(ResponseFormatJSONObject.__required_keys__),
            set(ResponseFormatJSONSchema.__required_keys__),
            set(JSONSchema.__required_keys__),
            set(JSONSchema.__optional_keys__),
        ]
