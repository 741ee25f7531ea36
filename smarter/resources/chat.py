"""OpenAI-compatible chat: ``chat.completions`` (answers or streams) and ``chat.responses``."""

from __future__ import annotations

from collections.abc import AsyncIterable, Coroutine, Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, overload

from smarter._converter import structurer
from smarter._runner import AsyncRun, run_many
from smarter._stream_kind import InStreamError, StreamKind
from smarter._streaming import AsyncStream
from smarter.resources._base import (
    INT,
    NUMBER,
    OBJECT,
    STR,
    STRINGS,
    AsyncAPIResource,
    BodySpec,
    check_str,
)
from smarter.resources.responses import AsyncResponses
from smarter.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    ResponseFormat,
)

if TYPE_CHECKING:
    import os

    from smarter._request import RequestOptions, Unpack
    from smarter._response import HTTPResponse

__all__ = ["AsyncChat", "AsyncChatCompletions", "ChatChunks", "MESSAGES", "STOP"]


def _status(code: object) -> int | None:
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
        return code
    return None


def MESSAGES(name: str, value: Any) -> list[dict[str, Any]]:  # noqa: N802 (a body check)
    """A list of messages: mappings with a ``role`` (a str is a common slip, refused here)."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise TypeError(
            f"{name} must be a list of messages such as "
            f'[{{"role": "user", "content": "Hi"}}], not {type(value).__name__}'
        )
    messages = [dict(message) if isinstance(message, Mapping) else message for message in value]
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise TypeError(
                f"{name}[{index}] must be a mapping with a 'role', not {message!r}"[:200]
            )
    return messages


def STOP(name: str, value: Any) -> str | list[str]:  # noqa: N802 (a body check)
    """One stop string, or a list of them."""
    return STR(name, value) if isinstance(value, str) else STRINGS(name, value)


#: The body of ``chat/completions``.
_BODY = BodySpec(
    model=STR,
    messages=MESSAGES,
    response_format=OBJECT,
    temperature=NUMBER,
    max_tokens=INT,
    max_completion_tokens=INT,
    stop=STOP,
)


class ChatChunks(StreamKind[ChatCompletionChunk]):
    """OpenAI-style chunks, ended by ``data: [DONE]``; an ``error`` event ends in error."""

    def __init__(self) -> None:
        self._build = structurer(ChatCompletionChunk)

    def decode(
        self, text: str, event: str, response: HTTPResponse
    ) -> tuple[ChatCompletionChunk | None, bool]:
        """A chunk, or None for ``[DONE]`` (the end); an error event raises."""
        if text.strip() == "[DONE]":
            return None, True
        data = self.json(text, response)
        error = data.get("error") if isinstance(data, dict) else None
        if error:
            raise _in_stream_error(error, data)
        return self._build(data, response), False


def _in_stream_error(error: object, data: object) -> InStreamError:
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
            _status(error.get("status_code")),
            data,
        )
    message = error.get("message")
    return InStreamError(
        message if isinstance(message, str) else "The stream reported an error.",
        _status(error.get("code")),
        data,
    )


class AsyncChatCompletions(AsyncAPIResource):
    """``client.chat.completions``."""

    _service = "openai"

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        stream: Literal[False] = False,
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, ChatCompletion]: ...
    @overload
    def create(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        stream: Literal[True],
        **options: Unpack[RequestOptions],
    ) -> AsyncStream[ChatCompletionChunk]: ...
    def create(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        stream: bool = False,
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, ChatCompletion] | AsyncStream[ChatCompletionChunk]:
        """A chat completion of *messages* by *model*: ``await`` it, or iterate the stream.

        With ``stream=True`` it returns an :class:`~smarter.AsyncStream` of
        :class:`~smarter.types.ChatCompletionChunk` at once (``async for`` it, or ``await``
        it to open it first); else a coroutine of the whole
        :class:`~smarter.types.ChatCompletion`. The arguments are checked at once, before
        anything is sent.

        Args:
            model: The model to answer.
            messages: The conversation: ``{"role", "content"}`` dicts.
            response_format: ``{"type": "json_object"}`` and the like.
            temperature: Sampling temperature.
            max_tokens: Most tokens to generate (deprecated by OpenAI for
                *max_completion_tokens*).
            max_completion_tokens: Most tokens to generate, reasoning tokens included.
            stop: Stop at this string (or the first of these strings).
            stream: Stream the answer as it is generated.
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``extra_body``.
        """
        body = _BODY.build(
            model=check_str(model, "model"),
            messages=messages,
            response_format=response_format,
            temperature=temperature,
            max_tokens=max_tokens,
            max_completion_tokens=max_completion_tokens,
            stop=stop,
        )
        if stream:
            body["stream"] = True
            return self._stream("chat/completions", ChatChunks(), options, json=body)
        return self._call("POST", "chat/completions", ChatCompletion, options, json=body)

    def create_many(
        self,
        requests: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        concurrency: int = 32,
        max_requests_per_minute: float | None = None,
        max_tokens_per_minute: float | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        ordered: bool = True,
    ) -> AsyncRun[ChatCompletion]:
        """Many chat completions: one :meth:`create` per request, paced, recorded, resumable.

        Takes dicts of the arguments of :meth:`create` (without ``stream``) and the run's
        settings of :meth:`AsyncCompletions.create_many
        <smarter.resources.completions.AsyncCompletions.create_many>`, and returns its
        :class:`~smarter.AsyncRun` of :class:`~smarter.Outcome`.

        .. versionadded:: 0.3.0
        """
        return run_many(
            self.create,
            requests,
            namespace="chat.completions",
            refuse={"stream": "create_many() makes whole answers; leave 'stream' out"},
            concurrency=concurrency,
            max_requests_per_minute=max_requests_per_minute,
            max_tokens_per_minute=max_tokens_per_minute,
            checkpoint=checkpoint,
            ordered=ordered,
        )


class AsyncChat(AsyncAPIResource):
    """``client.chat``: ``completions`` and ``responses``."""

    @cached_property
    def completions(self) -> AsyncChatCompletions:
        """Chat completions."""
        return AsyncChatCompletions(self._client)

    @cached_property
    def responses(self) -> AsyncResponses:
        """The responses API (the same object as ``client.responses``)."""
        return AsyncResponses(self._client)
