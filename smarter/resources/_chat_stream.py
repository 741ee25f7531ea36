"""The chunks of a streamed chat completion: how each event decodes, errors, and the end.

OpenAI's streams end with ``data: [DONE]``; LLM Engine's ``v2`` streams end with the body,
their chunks without null keys (``scaleapi/llm-engine@a8236961:model-engine/
model_engine_server/api/v2/chat_completion.py``). ``stream.final()`` folds the chunks into a
:class:`~smarter.types.ChatCompletion` (:class:`smarter._accumulate.ChatAccumulator`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smarter._accumulate import ChatAccumulator
from smarter._converter import structure, structurer
from smarter._fastpath import loads_json
from smarter._stream_kind import Accumulator, InStreamError, StreamKind, as_wire
from smarter.types.chat import ChatCompletion, ChatCompletionChunk

if TYPE_CHECKING:
    from smarter._response import HTTPResponse

__all__ = ["ChatChunks", "in_stream_error", "status_of"]


def status_of(code: object) -> int | None:
    """An error code that is an HTTP error status (``500``, ``"429"``), else None."""
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
        return code
    return None


class ChatChunks(StreamKind[ChatCompletionChunk]):
    """OpenAI-style chunks, ended by ``data: [DONE]``; an ``error`` event ends in error."""

    def __init__(self) -> None:
        self._build = structurer(ChatCompletionChunk)

    def decode(
        self, text: str, event: str, response: HTTPResponse
    ) -> tuple[ChatCompletionChunk | None, bool]:
        """A chunk, or None for ``[DONE]`` (the end); an error event raises."""
        # Speed (benchmarks/stream.py): the JSON scanner first; [DONE] is the one event that
        # is not JSON, looked for only then.
        try:
            data = loads_json(text, self.max_depth)
        except ValueError as exc:
            if text.strip() == "[DONE]":
                return None, True
            raise self.not_json(text, response, exc) from None
        if data.__class__ is dict and data.get("error"):
            raise in_stream_error(data["error"], data)
        return self._build(data, response), False

    def fold_wire(self) -> None:
        """Decode into wire dicts from now on (``final()``)."""
        self._build = as_wire

    def accumulator(self) -> Accumulator[ChatCompletionChunk, ChatCompletion]:
        """Folds the chunks into a :class:`~smarter.types.ChatCompletion`."""
        return ChatAccumulator(_build_completion)


def _build_completion(wire: dict[str, Any], response: HTTPResponse | None) -> ChatCompletion:
    return structure(wire, ChatCompletion, response=response)


def in_stream_error(error: object, data: object) -> InStreamError:
    """The error of an error event, in either shape a chat stream sends.

    OpenAI's ``{"message", "type", "code"}``, or the LLM Engine v2's ``{"status_code",
    "content": {"error", "timestamp"}}``
    (``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/v2/chat_completion.py``).
    """
    if not isinstance(error, dict):
        text = error if isinstance(error, str) else "The stream reported an error."
        return InStreamError(text, None, data)
    if "status_code" in error:
        content = error.get("content")
        message = content.get("error") if isinstance(content, dict) else content
        return InStreamError(
            message if isinstance(message, str) else "The stream reported an error.",
            status_of(error.get("status_code")),
            data,
        )
    message = error.get("message")
    return InStreamError(
        message if isinstance(message, str) else "The stream reported an error.",
        status_of(error.get("code")),
        data,
    )
