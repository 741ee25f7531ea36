"""The events of a streamed response (``responses.create(..., stream=True)``).

Shapes: ``openai/openai-openapi@f85dbe2:openapi.yaml#/components/schemas/ResponseStreamEvent``
and its members. Each event names its ``type``; the stream yields the class of a known type
and a plain :class:`ResponseStreamEvent` (its fields kept, readable as attributes) for any
other, so a new event type never breaks a stream: dispatch on ``isinstance`` or ``.type``.

A text turn is ``response.created``, ``response.in_progress``,
``response.output_item.added``, ``response.content_part.added``,
``response.output_text.delta`` (many), ``response.output_text.done``,
``response.content_part.done``, ``response.output_item.done`` and ``response.completed``.
"""

from typing import TYPE_CHECKING, Any

import attrs

from smarter.types._base import BaseModel, publish
from smarter.types.responses import Response, ResponseOutputItem, ResponseOutputText

__all__ = [
    "ResponseStreamEvent",
    "ResponseCreatedEvent",
    "ResponseQueuedEvent",
    "ResponseInProgressEvent",
    "ResponseCompletedEvent",
    "ResponseIncompleteEvent",
    "ResponseFailedEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseTextDeltaEvent",
    "ResponseTextDoneEvent",
    "ResponseRefusalDeltaEvent",
    "ResponseRefusalDoneEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseErrorEvent",
]


@attrs.frozen(kw_only=True)
class ResponseStreamEvent(BaseModel):
    """An event of a streamed response; the base of every event class.

    ``await stream.final()`` (``stream.final()`` when blocking) folds the events into the
    :class:`~smarter.types.Response`.

    .. versionadded:: 0.3.0
    """

    type: str
    """The event's type, ``"response.output_text.delta"`` and the like."""
    sequence_number: int | None = None
    """The event's position in the stream."""

    if TYPE_CHECKING:
        # What `final()` folds a stream of these into (read by type checkers only).
        def _final_result(self) -> Response: ...


@attrs.frozen(kw_only=True)
class ResponseCreatedEvent(ResponseStreamEvent):
    """``response.created``: the response as it starts (``status`` ``"in_progress"``).

    .. versionadded:: 0.3.0
    """

    response: Response
    """The response so far."""


@attrs.frozen(kw_only=True)
class ResponseQueuedEvent(ResponseStreamEvent):
    """``response.queued``: the response waits for a worker.

    .. versionadded:: 0.3.0
    """

    response: Response
    """The response so far."""


@attrs.frozen(kw_only=True)
class ResponseInProgressEvent(ResponseStreamEvent):
    """``response.in_progress``: the model is answering.

    .. versionadded:: 0.3.0
    """

    response: Response
    """The response so far."""


@attrs.frozen(kw_only=True)
class ResponseCompletedEvent(ResponseStreamEvent):
    """``response.completed``: the last event of a stream that succeeded.

    .. versionadded:: 0.3.0
    """

    response: Response
    """The whole response, usage included."""


@attrs.frozen(kw_only=True)
class ResponseIncompleteEvent(ResponseStreamEvent):
    """``response.incomplete``: the last event of a response cut short.

    ``response.incomplete_details`` says why.

    .. versionadded:: 0.3.0
    """

    response: Response
    """The response as far as it got."""


@attrs.frozen(kw_only=True)
class ResponseFailedEvent(ResponseStreamEvent):
    """``response.failed``: the stream raises the error of ``response.error`` instead.

    .. versionadded:: 0.3.0
    """

    response: Response
    """The response, with its ``error``."""


@attrs.frozen(kw_only=True)
class ResponseOutputItemAddedEvent(ResponseStreamEvent):
    """``response.output_item.added``: an output item starts.

    .. versionadded:: 0.3.0
    """

    output_index: int
    """The position of the item in ``output``."""
    item: ResponseOutputItem
    """The item as it starts."""


@attrs.frozen(kw_only=True)
class ResponseOutputItemDoneEvent(ResponseStreamEvent):
    """``response.output_item.done``: an output item is complete.

    .. versionadded:: 0.3.0
    """

    output_index: int
    """The position of the item in ``output``."""
    item: ResponseOutputItem
    """The whole item."""


@attrs.frozen(kw_only=True)
class ResponseContentPartAddedEvent(ResponseStreamEvent):
    """``response.content_part.added``: a content part of a message starts.

    .. versionadded:: 0.3.0
    """

    item_id: str
    """The id of the message."""
    output_index: int
    """The position of the message in ``output``."""
    content_index: int
    """The position of the part in the message's ``content``."""
    part: ResponseOutputText
    """The part as it starts."""


@attrs.frozen(kw_only=True)
class ResponseContentPartDoneEvent(ResponseStreamEvent):
    """``response.content_part.done``: a content part is complete.

    .. versionadded:: 0.3.0
    """

    item_id: str
    """The id of the message."""
    output_index: int
    """The position of the message in ``output``."""
    content_index: int
    """The position of the part in the message's ``content``."""
    part: ResponseOutputText
    """The whole part."""


@attrs.frozen(kw_only=True)
class ResponseTextDeltaEvent(ResponseStreamEvent):
    """``response.output_text.delta``: a piece of text.

    .. versionadded:: 0.3.0
    """

    item_id: str
    """The id of the message."""
    output_index: int
    """The position of the message in ``output``."""
    content_index: int
    """The position of the text part in the message's ``content``."""
    delta: str
    """The text this event adds."""
    logprobs: list[Any] | None = None
    """The log probabilities of its tokens, as sent, when asked for."""


@attrs.frozen(kw_only=True)
class ResponseTextDoneEvent(ResponseStreamEvent):
    """``response.output_text.done``: a text part is complete.

    .. versionadded:: 0.3.0
    """

    item_id: str
    """The id of the message."""
    output_index: int
    """The position of the message in ``output``."""
    content_index: int
    """The position of the text part in the message's ``content``."""
    text: str
    """The whole text of the part."""
    logprobs: list[Any] | None = None
    """The log probabilities of its tokens, as sent, when asked for."""


@attrs.frozen(kw_only=True)
class ResponseRefusalDeltaEvent(ResponseStreamEvent):
    """``response.refusal.delta``: a piece of a refusal.

    .. versionadded:: 0.3.0
    """

    item_id: str
    """The id of the message."""
    output_index: int
    """The position of the message in ``output``."""
    content_index: int
    """The position of the refusal part in the message's ``content``."""
    delta: str
    """The text this event adds to the refusal."""


@attrs.frozen(kw_only=True)
class ResponseRefusalDoneEvent(ResponseStreamEvent):
    """``response.refusal.done``: a refusal is complete.

    .. versionadded:: 0.3.0
    """

    item_id: str
    """The id of the message."""
    output_index: int
    """The position of the message in ``output``."""
    content_index: int
    """The position of the refusal part in the message's ``content``."""
    refusal: str
    """The whole refusal."""


@attrs.frozen(kw_only=True)
class ResponseFunctionCallArgumentsDeltaEvent(ResponseStreamEvent):
    """``response.function_call_arguments.delta``: a fragment of a call's arguments.

    .. versionadded:: 0.3.0
    """

    item_id: str
    """The id of the ``function_call`` item."""
    output_index: int
    """The position of the item in ``output``."""
    delta: str
    """The fragment of the arguments' JSON text."""


@attrs.frozen(kw_only=True)
class ResponseFunctionCallArgumentsDoneEvent(ResponseStreamEvent):
    """``response.function_call_arguments.done``: a call's arguments are complete.

    .. versionadded:: 0.3.0
    """

    item_id: str
    """The id of the ``function_call`` item."""
    output_index: int
    """The position of the item in ``output``."""
    arguments: str
    """The whole arguments' JSON text."""
    name: str | None = None
    """The name of the function."""


@attrs.frozen(kw_only=True)
class ResponseErrorEvent(ResponseStreamEvent):
    """``error``: the stream raises this error instead of yielding it.

    .. versionadded:: 0.3.0
    """

    message: str
    """What went wrong."""
    code: str | None = None
    """What kind of error."""
    param: str | None = None
    """The request parameter it is about, if any."""


publish(globals())
