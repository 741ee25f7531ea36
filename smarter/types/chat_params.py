"""Request parameters of the OpenAI-compatible ``chat/completions`` route, as typed dicts.

The shapes are openai-openapi's (``openai/openai-openapi@f85dbe2:openapi.yaml``, schemas
``ChatCompletionRequestMessage``, ``ChatCompletionTool``, ``ChatCompletionToolChoiceOption``,
``ChatCompletionStreamOptions``, ``ResponseFormatJsonSchema``); LLM Engine's ``v2/`` takes the
same (``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/common/dtos/llms/
chat_completion.py``, ``ChatCompletionV2Request``).
"""

from typing import Any, Literal, TypedDict

from smarter.types._base import publish

__all__ = [
    "ChatCompletionMessageParam",
    "ChatCompletionMessageToolCallParam",
    "ToolCallFunctionParam",
    "FunctionDefinition",
    "ChatCompletionToolParam",
    "ChatCompletionNamedToolChoiceParam",
    "NamedFunction",
    "ChatCompletionToolChoiceOptionParam",
    "ChatCompletionStreamOptionsParam",
    "ResponseFormatText",
    "ResponseFormatJSONObject",
    "JSONSchema",
    "ResponseFormatJSONSchema",
    "ResponseFormat",
]


class ToolCallFunctionParam(TypedDict):
    """The function a tool call of an assistant message called.

    .. versionadded:: 0.3.0
    """

    name: str
    """The name of the function."""
    arguments: str
    """The arguments, as the JSON text the model wrote."""


class ChatCompletionMessageToolCallParam(TypedDict):
    """A tool call of an assistant message sent back in the conversation.

    .. versionadded:: 0.3.0
    """

    id: str
    """The id of the call; the ``tool`` message answering it repeats it as ``tool_call_id``."""
    type: Literal["function"]
    """Always ``"function"``."""
    function: ToolCallFunctionParam
    """The function called and its arguments."""


class _MessageRequired(TypedDict):
    role: Literal["developer", "system", "user", "assistant", "tool"] | str
    """Who wrote the message."""


class ChatCompletionMessageParam(_MessageRequired, total=False):
    """A message of a chat completion request.

    ``{"role": "user", "content": "Hi"}``; an assistant turn that called tools has
    ``tool_calls`` (and ``content`` None); the answer of a tool is ``{"role": "tool",
    "tool_call_id": ..., "content": ...}``.

    .. versionadded:: 0.2.0
    .. versionchanged:: 0.3.0 ``content`` may be left out or None; ``name``,
       ``tool_calls``, ``tool_call_id`` and ``refusal``.
    """

    content: str | list[dict[str, Any]] | None
    """The text of the message, or a list of content parts (``{"type": "text", ...}``)."""
    name: str
    """A name telling apart participants of the same role."""
    tool_calls: list[ChatCompletionMessageToolCallParam]
    """The tools an assistant message called."""
    tool_call_id: str
    """The call a ``tool`` message answers."""
    refusal: str | None
    """The refusal of an assistant message sent back."""


class _FunctionRequired(TypedDict):
    name: str
    """The function's name: letters, digits, ``_`` and ``-``, at most 64."""


class FunctionDefinition(_FunctionRequired, total=False):
    """A function the model may call.

    .. versionadded:: 0.3.0
    """

    description: str
    """What the function does, for the model to decide when to call it."""
    parameters: dict[str, Any]
    """The JSON schema of its arguments (left out: no arguments)."""
    strict: bool
    """Whether the arguments must follow the schema exactly (OpenAI's strict mode)."""


class ChatCompletionToolParam(TypedDict):
    """A tool of a chat completion request: ``{"type": "function", "function": {...}}``.

    .. versionadded:: 0.3.0
    """

    type: Literal["function"]
    """Always ``"function"``."""
    function: FunctionDefinition
    """The function."""


class NamedFunction(TypedDict):
    """The function a named tool choice forces.

    .. versionadded:: 0.3.0
    """

    name: str
    """The name of the function."""


class ChatCompletionNamedToolChoiceParam(TypedDict):
    """Force one tool: ``{"type": "function", "function": {"name": ...}}``.

    .. versionadded:: 0.3.0
    """

    type: Literal["function"]
    """Always ``"function"``."""
    function: NamedFunction
    """The function to call."""


ChatCompletionToolChoiceOptionParam = (
    Literal["none", "auto", "required"] | ChatCompletionNamedToolChoiceParam
)
"""``tool_choice``: ``"none"`` (answer in text), ``"auto"`` (the model decides),
``"required"`` (call at least one tool), or one named tool."""


class ChatCompletionStreamOptionsParam(TypedDict, total=False):
    """``stream_options`` of a streamed chat completion.

    .. versionadded:: 0.3.0
    """

    include_usage: bool
    """End the stream with a chunk of no choices and the usage of the whole request."""
    include_obfuscation: bool
    """Pad chunks with random ``obfuscation`` text (OpenAI's default is True)."""


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


class JSONSchema(_JSONSchemaRequired, total=False):
    """The schema of a ``json_schema`` response format.

    .. versionadded:: 0.2.0
    """

    schema: dict[str, Any]
    """The JSON Schema the answer must follow."""
    description: str
    """What the answer is for."""
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
"""The ``response_format`` of a chat completion request."""


publish(globals())
