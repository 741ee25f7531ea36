"""OpenAI-compatible chat: ``chat.completions`` (answers or streams) and ``chat.responses``."""

from __future__ import annotations

from collections.abc import Coroutine, Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, Literal, overload

from smarter._client import Options
from smarter._config import NOT_GIVEN, NotGiven, TimeoutTypes
from smarter._converter import structurer
from smarter._sse import ServerSentEvent
from smarter._streaming import AsyncStream, InStreamError, StreamKind
from smarter._sync import Stream, SyncAPIResource
from smarter.resources._base import AsyncAPIResource, check_str, omit_none
from smarter.resources.responses import AsyncResponses, Responses
from smarter.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    ResponseFormat,
)

__all__ = ["AsyncChat", "AsyncChatCompletions", "Chat", "ChatCompletions"]


def _status(code: object) -> int | None:
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
        self, event: ServerSentEvent, request_id: str
    ) -> tuple[ChatCompletionChunk | None, bool]:
        if event.data.strip() == "[DONE]":
            return None, True
        data = self.json(event)
        error = data.get("error") if isinstance(data, dict) else None
        if error:
            message = error.get("message") if isinstance(error, dict) else error
            raise InStreamError(
                message if isinstance(message, str) else "The stream reported an error.",
                _status(error.get("code")) if isinstance(error, dict) else None,
                data,
            )
        return self._build(data, request_id), False


class AsyncChatCompletions(AsyncAPIResource):
    """``client.chat.completions``."""

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        stream: Literal[False] = False,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
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
        stop: str | Sequence[str] | None = None,
        stream: Literal[True],
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> AsyncStream[ChatCompletionChunk]: ...
    def create(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        stream: bool = False,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> Coroutine[Any, Any, ChatCompletion] | AsyncStream[ChatCompletionChunk]:
        """A chat completion of *messages* by *model*: ``await`` it, or iterate the stream.

        With ``stream=True`` it returns an :class:`~smarter.AsyncStream` of
        :class:`~smarter.types.ChatCompletionChunk` at once (``async for`` it, or ``await``
        it to open it first); else a coroutine of the whole
        :class:`~smarter.types.ChatCompletion`.

        Args:
            model: The model to answer.
            messages: The conversation: ``{"role", "content"}`` dicts.
            response_format: ``{"type": "json_object"}`` and the like.
            temperature: Sampling temperature.
            max_tokens: Most tokens to generate.
            stop: Stop at this string (or the first of these strings).
            stream: Stream the answer as it is generated.
            timeout: This call's timeout, instead of the client's.
            extra_headers: More headers for this call.
            extra_query: More query parameters for this call.
            extra_body: More fields for the JSON body of this call.
        """
        body = omit_none(
            model=check_str(model, "model"),
            messages=list(messages),
            response_format=response_format,
            temperature=temperature,
            max_tokens=max_tokens,
            stop=stop if stop is None or isinstance(stop, str) else list(stop),
        )
        options = Options(timeout, extra_headers, extra_query, extra_body)
        client = self._client
        if stream:
            return client._stream(
                "chat/completions",
                json_body={**body, "stream": True},
                kind=ChatChunks(),
                options=options,
            )
        return client._call(
            "POST", "chat/completions", json_body=body, cast_to=ChatCompletion, options=options
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


class ChatCompletions(SyncAPIResource[AsyncChatCompletions]):
    """``client.chat.completions``."""

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        stream: Literal[False] = False,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> ChatCompletion: ...
    @overload
    def create(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        stream: Literal[True],
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> Stream[ChatCompletionChunk]: ...
    def create(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        stream: bool = False,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> ChatCompletion | Stream[ChatCompletionChunk]:
        """A chat completion of *messages* by *model*, or a stream of it (``stream=True``).

        The blocking twin of :meth:`AsyncChatCompletions.create`, with the same arguments.
        """
        result: ChatCompletion | Stream[ChatCompletionChunk] = self._portal.call(
            self._async.create,
            model=model,
            messages=messages,
            response_format=response_format,
            temperature=temperature,
            max_tokens=max_tokens,
            stop=stop,
            stream=stream,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        return result


class Chat(SyncAPIResource[AsyncChat]):
    """``client.chat``: ``completions`` and ``responses``."""

    @cached_property
    def completions(self) -> ChatCompletions:
        """Chat completions."""
        return ChatCompletions(self._async.completions, self._portal)

    @cached_property
    def responses(self) -> Responses:
        """The responses API (the same object as ``client.responses``)."""
        return Responses(self._async.responses, self._portal)
