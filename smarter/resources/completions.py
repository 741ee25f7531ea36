"""Completions of the LLM Engine: ``create()`` answers at once, ``stream()`` token by token."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from smarter._client import Options
from smarter._config import NOT_GIVEN, NotGiven, TimeoutTypes
from smarter._converter import structurer
from smarter._exceptions import APIResponseValidationError
from smarter._sse import ServerSentEvent
from smarter._streaming import AsyncStream, InStreamError, StreamKind
from smarter._sync import SyncAPIResource, blocking
from smarter.resources._base import AsyncAPIResource, check_str
from smarter.types.completions import CompletionStreamResponse, CompletionSyncResponse

__all__ = ["AsyncCompletions", "Completions"]


class CompletionChunks(StreamKind[CompletionStreamResponse]):
    """LLM Engine stream chunks: ``output: null`` is a keep-alive, ``finished`` ends it."""

    def __init__(self) -> None:
        self._build = structurer(CompletionStreamResponse)

    def decode(
        self, event: ServerSentEvent, request_id: str
    ) -> tuple[CompletionStreamResponse | None, bool]:
        data = self.json(event)
        if not isinstance(data, dict):
            raise APIResponseValidationError(
                "CompletionStreamResponse: $: expected an object", body=data
            )
        error = data.get("error")
        if error:
            content = error.get("content") if isinstance(error, dict) else None
            message = content.get("error") if isinstance(content, dict) else None
            status = error.get("status_code") if isinstance(error, dict) else None
            raise InStreamError(
                message if isinstance(message, str) else "The stream reported an error.",
                status if isinstance(status, int) and not isinstance(status, bool) else 500,
                data,
            )
        if data.get("output") is None:
            return None, False
        chunk = self._build(data, request_id)
        output = chunk.output
        return chunk, output is not None and output.finished


# The arguments that are not fields of the body.
_NOT_BODY = frozenset({"self", "model", "timeout", "extra_headers", "extra_query", "extra_body"})
_LISTS = ("stop_sequences", "guided_choice")


def _prepare(arguments: dict[str, Any]) -> dict[str, Any]:
    """The query, JSON body and options of a completion call, from the method's arguments.

    ``create()`` and ``stream()`` take the same arguments; both pass ``locals()`` here so the
    body is described once. Arguments left at None are left out of the body.
    """
    body = {k: v for k, v in arguments.items() if v is not None and k not in _NOT_BODY}
    check_str(body.get("prompt"), "prompt")
    for name in _LISTS:
        value = body.get(name)
        if isinstance(value, str):
            raise TypeError(f"{name} must be a list of strings, not one string")
        if value is not None:
            body[name] = list(value)
    return {
        "query": {"model_endpoint_name": check_str(arguments["model"], "model")},
        "json_body": body,
        "options": Options(
            arguments["timeout"],
            arguments["extra_headers"],
            arguments["extra_query"],
            arguments["extra_body"],
        ),
    }


class AsyncCompletions(AsyncAPIResource):
    """``client.completions``: text completions of an LLM Engine model endpoint."""

    async def create(
        self,
        *,
        model: str,
        prompt: str,
        max_new_tokens: int = 20,
        temperature: float = 0.2,
        stop_sequences: Sequence[str] | None = None,
        return_token_log_probs: bool = False,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        top_k: int | None = None,
        top_p: float | None = None,
        include_stop_str_in_output: bool | None = None,
        guided_json: Mapping[str, Any] | None = None,
        guided_regex: str | None = None,
        guided_choice: Sequence[str] | None = None,
        guided_grammar: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> CompletionSyncResponse:
        """Complete *prompt* with *model* and return the whole answer.

        Args:
            model: The name of the model endpoint.
            prompt: The text to complete.
            max_new_tokens: Most tokens to generate.
            temperature: Sampling temperature, 0 (greedy) to 1.
            stop_sequences: Stop generating at the first of these strings.
            return_token_log_probs: Also return each token with its log probability.
            presence_penalty: vLLM and LightLLM only, 0 to 2.
            frequency_penalty: vLLM and LightLLM only, 0 to 2.
            top_k: Sample from the k likeliest tokens (-1 for all).
            top_p: Sample from the smallest set of tokens of this total probability.
            include_stop_str_in_output: Keep the stop sequence in the text.
            guided_json: vLLM only: a JSON schema the output must follow.
            guided_regex: vLLM only: a regular expression the output must match.
            guided_choice: vLLM only: the output is one of these strings.
            guided_grammar: vLLM only: a context-free grammar the output must follow.
            timeout: This call's timeout, instead of the client's.
            extra_headers: More headers for this call.
            extra_query: More query parameters for this call.
            extra_body: More fields for the JSON body of this call.

        Raises:
            APIStatusError: the server refused (a subclass per status).
            APIConnectionError: the server could not be reached, or timed out.
        """
        return await self._client._call(
            "POST", "llm/completions-sync", cast_to=CompletionSyncResponse, **_prepare(locals())
        )

    def stream(
        self,
        *,
        model: str,
        prompt: str,
        max_new_tokens: int = 20,
        temperature: float = 0.2,
        stop_sequences: Sequence[str] | None = None,
        return_token_log_probs: bool = False,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        top_k: int | None = None,
        top_p: float | None = None,
        include_stop_str_in_output: bool | None = None,
        guided_json: Mapping[str, Any] | None = None,
        guided_regex: str | None = None,
        guided_choice: Sequence[str] | None = None,
        guided_grammar: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> AsyncStream[CompletionStreamResponse]:
        """Complete *prompt* with *model*, chunk by chunk as the tokens are generated.

        Takes the arguments of :meth:`create`. Returns at once; the request is sent when
        the stream is iterated (``async for``) or entered (``async with``). The last chunk
        has ``output.finished``; keep-alives are skipped.

        Raises:
            APIStatusError: the server refused, or an error chunk arrived.
            IncompleteStreamError: the stream broke and could not be resumed.
        """
        return self._client._stream(
            "llm/completions-stream", kind=CompletionChunks(), **_prepare(locals())
        )


class Completions(SyncAPIResource[AsyncCompletions]):
    """``client.completions``: text completions of an LLM Engine model endpoint."""

    create = blocking(AsyncCompletions.create)
    stream = blocking(AsyncCompletions.stream)
