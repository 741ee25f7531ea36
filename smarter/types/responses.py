"""Results and request parameters of the OpenAI-compatible ``responses`` route.

Shapes: ``openai/openai-openapi@f85dbe2:openapi.yaml`` (``Response``, ``OutputItem``,
``OutputTextContent``, ``RefusalContent``, ``FunctionToolCall``, ``ResponseError``); the
events of a streamed response are in :mod:`smarter.types.response_events`.
"""

from typing import Any, TypedDict

import attrs

from smarter.types._base import BaseModel, publish

__all__ = [
    "ResponseOutputText",
    "ResponseOutputItem",
    "ResponseUsage",
    "ResponseError",
    "ResponseIncompleteDetails",
    "Response",
    "ResponseInputItemParam",
    "ResponseTextConfig",
]


@attrs.frozen(kw_only=True)
class ResponseOutputText(BaseModel):
    """A content part of an output item: ``output_text`` for text the model wrote.

    .. versionadded:: 0.2.0
    .. versionchanged:: 0.3.0 ``refusal`` (a ``"refusal"`` part) and ``logprobs``.
    """

    type: str
    """The kind of content part, ``"output_text"`` for text, ``"refusal"`` for a refusal."""
    text: str | None = None
    """The text."""
    annotations: list[Any] | None = None
    """Citations and other annotations of the text, as sent."""
    refusal: str | None = None
    """Why the model refused, in a ``"refusal"`` part."""
    logprobs: list[Any] | None = None
    """The log probabilities of the text's tokens, as sent, when asked for."""


@attrs.frozen(kw_only=True)
class ResponseOutputItem(BaseModel):
    """One item of a response's output: the assistant's message, or a function call.

    .. versionadded:: 0.2.0
    .. versionchanged:: 0.3.0 ``call_id``, ``name`` and ``arguments`` of a
       ``"function_call"`` item.
    """

    type: str
    """The kind of item, ``"message"`` for a message."""
    id: str | None = None
    """The unique ID of the item."""
    role: str | None = None
    """Who wrote the message: ``"assistant"``."""
    status: str | None = None
    """The status of the item, e.g. ``"completed"``."""
    content: list[ResponseOutputText] | None = None
    """The content parts of the message."""
    call_id: str | None = None
    """A function call's id, for the ``function_call_output`` item that answers it."""
    name: str | None = None
    """The name of the function a ``"function_call"`` item calls."""
    arguments: str | None = None
    """The arguments of a function call, as the JSON text the model wrote."""


@attrs.frozen(kw_only=True)
class ResponseUsage(BaseModel):
    """How many tokens a response used.

    .. versionadded:: 0.2.0
    """

    input_tokens: int
    """Number of tokens in the input."""
    output_tokens: int
    """Number of tokens in the output."""
    total_tokens: int
    """Number of tokens in all: input and output."""


@attrs.frozen(kw_only=True)
class ResponseError(BaseModel):
    """Why a response failed.

    .. versionadded:: 0.3.0
    """

    code: str | None = None
    """What kind of failure: ``"server_error"``, ``"rate_limit_exceeded"``, ..."""
    message: str
    """What went wrong."""


@attrs.frozen(kw_only=True)
class ResponseIncompleteDetails(BaseModel):
    """Why a response is incomplete.

    .. versionadded:: 0.3.0
    """

    reason: str | None = None
    """``"max_output_tokens"`` or ``"content_filter"``."""


@attrs.frozen(kw_only=True)
class Response(BaseModel):
    """The answer of ``responses``.

    .. versionadded:: 0.2.0
    """

    id: str
    """The unique ID of the response."""
    object: str
    """Always ``"response"``."""
    created_at: int | float
    """When the response was created, in seconds since the Unix epoch."""
    model: str
    """The model that wrote the response."""
    status: str | None = None
    """The status of the response, e.g. ``"completed"``."""
    output: list[ResponseOutputItem]
    """The items the model produced."""
    usage: ResponseUsage | None = None
    """How many tokens the request used."""
    error: ResponseError | None = None
    """Why the response failed (``status`` ``"failed"``)."""
    incomplete_details: ResponseIncompleteDetails | None = None
    """Why the response is incomplete (``status`` ``"incomplete"``)."""

    @property
    def output_text(self) -> str:
        """The text of every ``output_text`` content part of every output item, joined."""
        return "".join(
            part.text
            for item in self.output
            for part in item.content or ()
            if part.type == "output_text" and part.text is not None
        )


class ResponseTextConfig(TypedDict, total=False):
    """The ``text`` of a response request: how the answer is formatted.

    .. versionadded:: 0.3.0
    """

    format: Any
    """``{"type": "text"}``, ``{"type": "json_object"}`` or ``{"type": "json_schema",
    "name", "schema", "strict"}``."""
    verbosity: str
    """``"low"``, ``"medium"`` or ``"high"``."""


class ResponseInputItemParam(TypedDict):
    """A message of the ``input`` of a response request.

    .. versionadded:: 0.2.0
    """

    role: str
    """Who wrote the message: ``"user"``, ``"assistant"``, ``"system"`` or ``"developer"``."""
    content: str
    """The text of the message."""


publish(globals())
