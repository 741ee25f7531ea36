"""The OpenAI-compatible ``responses`` route: one model answer, whole or as events.

A streamed response (``stream=True``) is a stream of typed events
(:mod:`smarter.types.response_events`) with ``event:`` lines and no ``[DONE]``
(``openai/openai-openapi@f85dbe2:openapi.yaml``, ``createResponse`` "Streaming"). Its every
ending is an event: ``response.completed`` (or ``response.incomplete``) ends it; an ``error``
or ``response.failed`` event raises; a body that ends before any of them is cut short
(:class:`~smarter.IncompleteStreamError`), unlike LLM Engine's streams, where a clean end of
body is the end. LLM Engine serves no ``v2/responses``.
"""

from __future__ import annotations

from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Literal, overload

from smarter._accumulate import wire_of
from smarter._converter import structure, structurer
from smarter._exceptions import APIResponseValidationError
from smarter._stream_kind import Accumulator, InStreamError, StreamKind, as_wire
from smarter._streaming import AsyncStream
from smarter.resources._base import INT, NUMBER, OBJECT, STR, AsyncAPIResource, BodySpec
from smarter.types import response_events as events
from smarter.types.responses import Response, ResponseInputItemParam

if TYPE_CHECKING:
    from smarter._request import RequestOptions, Unpack
    from smarter._response import HTTPResponse
    from smarter.types.chat_params import ResponseFormat
    from smarter.types.responses import ResponseTextConfig

__all__ = ["AsyncResponses", "ResponseAccumulator", "ResponseEvents"]


def _input(name: str, value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a str or a list of messages, not {type(value).__name__}")
    return list(value)


#: The body of ``responses``.
_BODY = BodySpec(
    model=STR,
    input=_input,
    instructions=STR,
    text=OBJECT,
    temperature=NUMBER,
    max_output_tokens=INT,
)

_EVENTS: dict[str, type[events.ResponseStreamEvent]] = {
    "response.created": events.ResponseCreatedEvent,
    "response.queued": events.ResponseQueuedEvent,
    "response.in_progress": events.ResponseInProgressEvent,
    "response.completed": events.ResponseCompletedEvent,
    "response.incomplete": events.ResponseIncompleteEvent,
    "response.output_item.added": events.ResponseOutputItemAddedEvent,
    "response.output_item.done": events.ResponseOutputItemDoneEvent,
    "response.content_part.added": events.ResponseContentPartAddedEvent,
    "response.content_part.done": events.ResponseContentPartDoneEvent,
    "response.output_text.delta": events.ResponseTextDeltaEvent,
    "response.output_text.done": events.ResponseTextDoneEvent,
    "response.refusal.delta": events.ResponseRefusalDeltaEvent,
    "response.refusal.done": events.ResponseRefusalDoneEvent,
    "response.function_call_arguments.delta": events.ResponseFunctionCallArgumentsDeltaEvent,
    "response.function_call_arguments.done": events.ResponseFunctionCallArgumentsDoneEvent,
}
_TERMINAL = frozenset({"response.completed", "response.incomplete"})
# ResponseErrorCode values that are HTTP statuses in other words (SPEC `ResponseErrorCode`).
_ERROR_STATUS = {"server_error": 500, "rate_limit_exceeded": 429}


class ResponseEvents(StreamKind[events.ResponseStreamEvent]):
    """Response events: typed by ``type``; ``response.completed`` ends them, errors raise."""

    final_event_required = True

    def __init__(self) -> None:
        self._builders = {name: structurer(cls) for name, cls in _EVENTS.items()}
        self._other = structurer(events.ResponseStreamEvent)

    def decode(
        self, text: str, event: str, response: HTTPResponse
    ) -> tuple[events.ResponseStreamEvent | None, bool]:
        """The event of its ``type`` (a plain ``ResponseStreamEvent`` for an unknown one)."""
        if text.strip() == "[DONE]":
            return None, False  # not an ending of its own: response.completed is
        data = self.json(text, response)
        if not isinstance(data, dict):
            raise APIResponseValidationError(
                "ResponseStreamEvent: $: expected an object", body=data, response=response
            )
        kind = data.get("type")
        if kind == "error":
            raise _error(data, data)
        if kind == "response.failed":
            failed = data.get("response")
            raise _error(failed.get("error") if isinstance(failed, dict) else None, data)
        build = self._builders.get(kind) if isinstance(kind, str) else None
        return (build or self._other)(data, response), kind in _TERMINAL

    def fold_wire(self) -> None:
        """Decode into wire dicts from now on (``final()``)."""
        self._builders = dict.fromkeys(self._builders, as_wire)
        self._other = as_wire

    def accumulator(self) -> Accumulator[events.ResponseStreamEvent, Response]:
        """Folds the events into the :class:`~smarter.types.Response`."""
        return ResponseAccumulator()


_LIFECYCLE = frozenset(
    {"response.created", "response.queued", "response.in_progress"}
    | {"response.completed", "response.incomplete", "response.failed"}
)
_DELTAS = {"response.output_text.delta": "text", "response.refusal.delta": "refusal"}


class ResponseAccumulator(Accumulator[events.ResponseStreamEvent, Response]):
    """Response events into the ``Response`` of the last lifecycle event.

    The terminal event (``response.completed`` / ``response.incomplete``) carries the whole
    response; its ``output`` is taken as sent, or rebuilt from the item, content-part and
    delta events when it is missing or empty (as openai-python 3.63 does).
    """

    def __init__(self) -> None:
        self._response: dict[str, Any] | None = None
        self._items: dict[int, dict[str, Any]] = {}
        # (output index, content index or None for arguments, kind) -> pieces, in order
        self._pieces: dict[tuple[int, int | None, str], list[str]] = {}
        self._parts: dict[tuple[int, int], dict[str, Any]] = {}

    def add(self, chunk: Any) -> None:
        """Fold in one event."""
        wire = wire_of(chunk)
        kind = wire.get("type")
        if kind in _LIFECYCLE:
            if isinstance(wire.get("response"), dict):
                self._response = wire["response"]
            return
        index = wire.get("output_index")
        if not isinstance(index, int):
            return
        if kind in ("response.output_item.added", "response.output_item.done"):
            if isinstance(wire.get("item"), dict):
                self._items[index] = wire["item"]
                self._pieces.pop((index, None, "arguments"), None)
            return
        delta = wire.get("delta")
        if kind == "response.function_call_arguments.delta" and isinstance(delta, str):
            self._pieces.setdefault((index, None, "arguments"), []).append(delta)
            return
        at = wire.get("content_index")
        if not isinstance(at, int):
            return
        if kind in ("response.content_part.added", "response.content_part.done"):
            if isinstance(wire.get("part"), dict):
                self._parts[index, at] = wire["part"]
                for field in ("text", "refusal"):
                    self._pieces.pop((index, at, field), None)
        elif kind in _DELTAS and isinstance(delta, str):
            self._pieces.setdefault((index, at, _DELTAS[kind]), []).append(delta)

    def text(self, chunk: Any) -> str | None:
        """The text an ``response.output_text.delta`` event adds."""
        wire = wire_of(chunk)
        if wire.get("type") != "response.output_text.delta":
            return None
        delta = wire.get("delta")
        return delta if isinstance(delta, str) else None

    def result(self, response: HTTPResponse | None) -> Response:
        """The ``Response`` of the events folded in."""
        whole = dict(self._response or {})
        if not whole.get("output") and (self._items or self._parts or self._pieces):
            whole["output"] = self._output()
        return structure(whole, Response, response=response)

    def _output(self) -> list[dict[str, Any]]:
        """The items as the events built them: parts and deltas laid over the items."""
        items = {index: dict(item) for index, item in self._items.items()}
        for (index, at), part in sorted(self._parts.items()):
            _part_of(items, index, at).update(part)
        for (index, place, field), pieces in self._pieces.items():
            if place is None:  # a function call's arguments
                item = items.setdefault(index, {})
                item[field] = (item.get(field) or "") + "".join(pieces)
                continue
            part = _part_of(items, index, place)
            part.setdefault("type", "output_text" if field == "text" else "refusal")
            part[field] = (part.get(field) or "") + "".join(pieces)
        return [item for _, item in sorted(items.items())]


def _part_of(items: dict[int, dict[str, Any]], index: int, at: int) -> dict[str, Any]:
    """A copy of content part *at* of item *index*, put in the item (made as needed)."""
    item = items.setdefault(index, {})
    content = item["content"] = list(item.get("content") or ())
    while len(content) <= at:
        content.append({})
    part = content[at] = dict(content[at])
    return part


def _error(error: Any, data: dict[str, Any]) -> InStreamError:
    """The error of an ``error`` event or of a failed response's ``error``."""
    if not isinstance(error, dict):
        return InStreamError("The response failed.", None, data)
    message = error.get("message")
    code = error.get("code")
    return InStreamError(
        message if isinstance(message, str) else "The response failed.",
        _ERROR_STATUS.get(code) if isinstance(code, str) else None,
        data,
    )


class AsyncResponses(AsyncAPIResource):
    """``client.responses`` (also ``client.chat.responses``)."""

    _service = "openai"

    @overload
    def create(
        self,
        *,
        model: str,
        input: str | Iterable[ResponseInputItemParam],
        instructions: str | None = None,
        text: ResponseTextConfig | None = None,
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        stream: Literal[False] = False,
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, Response]: ...
    @overload
    def create(
        self,
        *,
        model: str,
        input: str | Iterable[ResponseInputItemParam],
        instructions: str | None = None,
        text: ResponseTextConfig | None = None,
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        stream: Literal[True],
        **options: Unpack[RequestOptions],
    ) -> AsyncStream[events.ResponseStreamEvent]: ...
    def create(
        self,
        *,
        model: str,
        input: str | Iterable[ResponseInputItemParam],
        instructions: str | None = None,
        text: ResponseTextConfig | None = None,
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        stream: bool = False,
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, Response] | AsyncStream[events.ResponseStreamEvent]:
        """Ask *model* for a response to *input*: ``await`` it, or iterate its events.

        With ``stream=True`` it returns an :class:`~smarter.AsyncStream` of
        :class:`~smarter.types.ResponseStreamEvent` at once (``await stream.final()`` for
        the whole :class:`~smarter.types.Response`, ``stream.text()`` for its text).

        Args:
            model: The model to answer.
            input: A prompt, or a list of ``{"role", "content"}`` messages.
            instructions: A system message put before the input.
            text: How to answer: ``{"format": {"type": "json_object"}}`` and the like.
            response_format: The format alone, sent as ``text.format`` (OpenAI's
                ``CreateResponse`` has no ``response_format``); prefer *text*.
            temperature: Sampling temperature.
            max_output_tokens: Most tokens to generate.
            stream: Stream the response as events.
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``extra_body``.

        .. versionchanged:: 0.3.0 *stream*.
        """
        if response_format is not None:
            if text is not None:
                raise TypeError("pass text= or response_format=, not both")
            text = {"format": response_format}
        body = _BODY.build(
            model=STR("model", model),
            input=input,
            instructions=instructions,
            text=text,
            temperature=temperature,
            max_output_tokens=max_output_tokens,
        )
        if stream:
            body["stream"] = True
            return self._stream("responses", ResponseEvents(), options, json=body)
        return self._call("POST", "responses", Response, options, json=body)
