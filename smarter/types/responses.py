"""Results and request parameters of the OpenAI-compatible ``responses`` route."""

from typing import Any, TypedDict

import attrs

from smarter.types._base import BaseModel, publish

__all__ = [
    "ResponseOutputText",
    "ResponseOutputItem",
    "ResponseUsage",
    "Response",
    "ResponseInputItemParam",
    "ResponseTextConfig",
]


@attrs.frozen(kw_only=True)
class ResponseOutputText(BaseModel):
    """A content part of an output item: ``output_text`` for text the model wrote.

    .. versionadded:: 0.2.0
    """

    type: str
    """The kind of content part, ``"output_text"`` for text."""
    text: str | None = None
    """The text."""
    annotations: list[Any] | None = None
    """Citations and other annotations of the text, as sent."""


@attrs.frozen(kw_only=True)
class ResponseOutputItem(BaseModel):
    """One item of a response's output, usually the assistant's message.

    .. versionadded:: 0.2.0
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
