"""Results and request parameters of the OpenAI-compatible ``chat/completions`` route."""

from typing import Any, Literal, TypedDict

import attrs

from smarter.types._base import BaseModel, publish

__all__ = [
    "ChatCompletionMessage",
    "ChatCompletionChoice",
    "CompletionUsage",
    "ChatCompletion",
    "ChoiceDelta",
    "ChatCompletionChunkChoice",
    "ChatCompletionChunk",
    "ChatCompletionMessageParam",
    "ResponseFormatText",
    "ResponseFormatJSONObject",
    "JSONSchema",
    "ResponseFormatJSONSchema",
    "ResponseFormat",
]


@attrs.frozen(kw_only=True)
class ChatCompletionMessage(BaseModel):
    """A message of a chat completion.

    .. versionadded:: 0.2.0
    """

    role: str
    """Who wrote the message: ``"assistant"`` for a completion."""
    content: str | None = None
    """The text of the message."""


@attrs.frozen(kw_only=True)
class ChatCompletionChoice(BaseModel):
    """One of the answers of a chat completion.

    .. versionadded:: 0.2.0
    """

    index: int
    """The position of this choice in the list of choices."""
    message: ChatCompletionMessage
    """The message the model wrote."""
    finish_reason: str | None = None
    """Why the model stopped: ``"stop"``, ``"length"``, ..."""


@attrs.frozen(kw_only=True)
class CompletionUsage(BaseModel):
    """How many tokens a chat completion used.

    .. versionadded:: 0.2.0
    """

    prompt_tokens: int
    """Number of tokens in the prompt."""
    completion_tokens: int
    """Number of tokens in the completion."""
    total_tokens: int
    """Number of tokens in all: prompt and completion."""


@attrs.frozen(kw_only=True)
class ChatCompletion(BaseModel):
    """The answer of ``chat/completions``.

    .. versionadded:: 0.2.0
    """

    id: str
    """The unique ID of the chat completion."""
    object: str = "chat.completion"
    """Always ``"chat.completion"``."""
    created: int
    """When the completion was created, in seconds since the Unix epoch."""
    model: str
    """The model that wrote the completion."""
    choices: list[ChatCompletionChoice]
    """The answers; one unless ``n`` asked for more."""
    usage: CompletionUsage | None = None
    """How many tokens the request used."""


@attrs.frozen(kw_only=True)
class ChoiceDelta(BaseModel):
    """The part of a message that one streamed chunk adds.

    .. versionadded:: 0.2.0
    """

    role: str | None = None
    """Who writes the message; only on the first chunk."""
    content: str | None = None
    """The text this chunk adds."""


@attrs.frozen(kw_only=True)
class ChatCompletionChunkChoice(BaseModel):
    """One choice of a streamed chat completion chunk.

    .. versionadded:: 0.2.0
    """

    index: int
    """The position of this choice in the list of choices."""
    delta: ChoiceDelta
    """What this chunk adds to the message."""
    finish_reason: str | None = None
    """Why the model stopped; only on the last chunk of the choice."""


@attrs.frozen(kw_only=True)
class ChatCompletionChunk(BaseModel):
    """One event of a streamed chat completion.

    .. versionadded:: 0.2.0
    """

    id: str
    """The unique ID of the chat completion; the same on every chunk."""
    object: str = "chat.completion.chunk"
    """Always ``"chat.completion.chunk"``."""
    created: int
    """When the completion was created, in seconds since the Unix epoch."""
    model: str
    """The model that writes the completion."""
    choices: list[ChatCompletionChunkChoice]
    """What this chunk adds to each choice."""


class ChatCompletionMessageParam(TypedDict):
    """A message of a chat completion request.

    .. versionadded:: 0.2.0
    """

    role: Literal["system", "user", "assistant", "tool"] | str
    """Who wrote the message."""
    content: str
    """The text of the message."""


class ResponseFormatText(TypedDict):
    """Ask for plain text (the default).

    .. versionadded:: 0.2.0
    """

    type: Literal["text"]


class ResponseFormatJSONObject(TypedDict):
    """Ask for any valid JSON object.

    .. versionadded:: 0.2.0
    """

    type: Literal["json_object"]


class _JSONSchemaRequired(TypedDict):
    name: str
    """The name of the schema."""
    schema: dict[str, Any]
    """The JSON Schema the answer must follow."""


class JSONSchema(_JSONSchemaRequired, total=False):
    """The schema of a ``json_schema`` response format.

    .. versionadded:: 0.2.0
    """

    strict: bool
    """Whether the model must follow the schema exactly."""


class ResponseFormatJSONSchema(TypedDict):
    """Ask for JSON that follows a schema.

    .. versionadded:: 0.2.0
    """

    type: Literal["json_schema"]
    json_schema: JSONSchema
    """The schema and its name."""


ResponseFormat = ResponseFormatText | ResponseFormatJSONObject | ResponseFormatJSONSchema
"""The ``response_format`` of a chat completion or response request."""


publish(globals())
