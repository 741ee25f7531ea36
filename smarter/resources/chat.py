"""OpenAI-compatible chat: ``chat.completions`` (answers, streams, parse) and ``chat.responses``."""

from __future__ import annotations

from collections.abc import AsyncIterable, Coroutine, Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from smarter._runner import AsyncRun, run_many
from smarter._streaming import AsyncStream
from smarter.resources._base import AsyncAPIResource, check_str
from smarter.resources._chat_body import BODY, check_stream_options
from smarter.resources._chat_stream import ChatChunks
from smarter.resources._parse import fill_parsed, structured_format
from smarter.resources.responses import AsyncResponses
from smarter.types.chat import ChatCompletion, ChatCompletionChunk, ParsedChatCompletion

if TYPE_CHECKING:
    import os

    from smarter._request import RequestOptions, Unpack
    from smarter.types.chat_params import (
        ChatCompletionMessageParam,
        ChatCompletionStreamOptionsParam,
        ChatCompletionToolChoiceOptionParam,
        ChatCompletionToolParam,
        ResponseFormat,
    )

__all__ = ["AsyncChat", "AsyncChatCompletions"]

T = TypeVar("T")


class AsyncChatCompletions(AsyncAPIResource):
    """``client.chat.completions``."""

    _service = "openai"

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: ResponseFormat | Mapping[str, Any] | None = None,
        tools: Iterable[ChatCompletionToolParam] | None = None,
        tool_choice: ChatCompletionToolChoiceOptionParam | None = None,
        parallel_tool_calls: bool | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        n: int | None = None,
        seed: int | None = None,
        user: str | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        stream: Literal[False] = False,
        stream_options: ChatCompletionStreamOptionsParam | None = None,
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, ChatCompletion]: ...
    @overload
    def create(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: ResponseFormat | Mapping[str, Any] | None = None,
        tools: Iterable[ChatCompletionToolParam] | None = None,
        tool_choice: ChatCompletionToolChoiceOptionParam | None = None,
        parallel_tool_calls: bool | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        n: int | None = None,
        seed: int | None = None,
        user: str | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        stream: Literal[True],
        stream_options: ChatCompletionStreamOptionsParam | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncStream[ChatCompletionChunk]: ...
    def create(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: ResponseFormat | Mapping[str, Any] | None = None,
        tools: Iterable[ChatCompletionToolParam] | None = None,
        tool_choice: ChatCompletionToolChoiceOptionParam | None = None,
        parallel_tool_calls: bool | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        n: int | None = None,
        seed: int | None = None,
        user: str | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        stream: bool = False,
        stream_options: ChatCompletionStreamOptionsParam | None = None,
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, ChatCompletion] | AsyncStream[ChatCompletionChunk]:
        """A chat completion of *messages* by *model*: ``await`` it, or iterate the stream.

        With ``stream=True`` it returns an :class:`~smarter.AsyncStream` of
        :class:`~smarter.types.ChatCompletionChunk` at once (``async for`` it, ``await
        stream.final()`` for the whole :class:`~smarter.types.ChatCompletion`, or
        ``stream.text()``); else a coroutine of the whole completion. The arguments are
        checked at once, before anything is sent.

        Args:
            model: The model to answer.
            messages: The conversation: ``{"role", "content"}`` dicts, assistant turns with
                ``tool_calls``, ``{"role": "tool", "tool_call_id", "content"}`` answers.
            response_format: ``{"type": "json_object"}`` and the like (for a class, see
                :meth:`parse`).
            tools: Functions the model may call: ``{"type": "function", "function":
                {"name", "description", "parameters"}}``.
            tool_choice: ``"none"``, ``"auto"``, ``"required"``, or ``{"type": "function",
                "function": {"name": ...}}``.
            parallel_tool_calls: Whether the model may call several tools in one turn.
            temperature: Sampling temperature, 0 to 2.
            top_p: Sample from the smallest set of tokens of this total probability.
            max_tokens: Most tokens to generate (deprecated by OpenAI for
                *max_completion_tokens*).
            max_completion_tokens: Most tokens to generate, reasoning tokens included.
            stop: Stop at this string (or the first of these strings).
            n: How many answers (choices) to generate, 1 to 128.
            seed: Ask for the same answer to the same request, as far as the server can.
            user: An id of your end user, for the server's abuse monitoring.
            logprobs: Return the log probability of each token of the answer.
            top_logprobs: Also the likeliest tokens at each position, 0 to 20 (needs
                *logprobs*).
            stream: Stream the answer as it is generated.
            stream_options: ``{"include_usage": True}``: a last chunk with the usage.
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``extra_body``.

        .. versionchanged:: 0.3.0 *tools*, *tool_choice*, *parallel_tool_calls*, *top_p*,
           *n*, *seed*, *user*, *logprobs*, *top_logprobs* and *stream_options*.
        """
        body = BODY.build(
            model=check_str(model, "model"),
            messages=messages,
            response_format=response_format,
            tools=tools,
            tool_choice=tool_choice,
            parallel_tool_calls=parallel_tool_calls,
            temperature=temperature,
            top_p=top_p,
            max_tokens=max_tokens,
            max_completion_tokens=max_completion_tokens,
            stop=stop,
            n=n,
            seed=seed,
            user=user,
            logprobs=logprobs,
            top_logprobs=top_logprobs,
        )
        check_stream_options(body, stream, stream_options)
        if stream:
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

    @overload
    def parse(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: type[T],
        tools: Iterable[ChatCompletionToolParam] | None = None,
        tool_choice: ChatCompletionToolChoiceOptionParam | None = None,
        parallel_tool_calls: bool | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        n: int | None = None,
        seed: int | None = None,
        user: str | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, ParsedChatCompletion[T]]: ...
    @overload
    def parse(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: Mapping[str, Any],
        tools: Iterable[ChatCompletionToolParam] | None = None,
        tool_choice: ChatCompletionToolChoiceOptionParam | None = None,
        parallel_tool_calls: bool | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        n: int | None = None,
        seed: int | None = None,
        user: str | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, ParsedChatCompletion[Any]]: ...
    def parse(
        self,
        *,
        model: str,
        messages: Iterable[ChatCompletionMessageParam],
        response_format: type[Any] | Mapping[str, Any],
        tools: Iterable[ChatCompletionToolParam] | None = None,
        tool_choice: ChatCompletionToolChoiceOptionParam | None = None,
        parallel_tool_calls: bool | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        n: int | None = None,
        seed: int | None = None,
        user: str | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, ParsedChatCompletion[Any]]:
        """A chat completion whose answer is structured into *response_format*.

        *response_format* is an attrs class or a TypedDict: its JSON schema is sent
        (strict, where the type allows) and each ``choices[i].message.parsed`` is the
        answer built into it. A JSON schema as a dict is sent as it is, and ``parsed`` is the
        JSON value. A refusal leaves ``parsed`` None with ``message.refusal`` set. Takes the
        other arguments of :meth:`create`, but no stream.

        Raises:
            TypeError: *response_format* is none of these, or holds a type with no schema.
            APIResponseValidationError: an answer does not fit the type (the message names
                the field), is no JSON, or was cut by the token limit or content filter.

        .. versionadded:: 0.3.0
        """
        found = structured_format(response_format)
        body = BODY.build(
            model=check_str(model, "model"),
            messages=messages,
            response_format=found.body,
            tools=tools,
            tool_choice=tool_choice,
            parallel_tool_calls=parallel_tool_calls,
            temperature=temperature,
            top_p=top_p,
            max_tokens=max_tokens,
            max_completion_tokens=max_completion_tokens,
            stop=stop,
            n=n,
            seed=seed,
            user=user,
            logprobs=logprobs,
            top_logprobs=top_logprobs,
        )
        check_stream_options(body, False, None)
        call = self._call("POST", "chat/completions", ParsedChatCompletion, options, json=body)
        return fill_parsed(call, found)


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
