"""Completions of the LLM Engine: ``create()`` answers at once, ``stream()`` token by token."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from smarter._accumulate import CompletionAccumulator
from smarter._converter import structure, structurer
from smarter._exceptions import APIResponseValidationError
from smarter._runner import AsyncRun, run_many
from smarter._stream_kind import Accumulator, InStreamError, StreamKind, as_wire
from smarter._streaming import AsyncStream
from smarter.resources._base import (
    BOOL,
    INT,
    NUMBER,
    OBJECT,
    STR,
    STRINGS,
    AsyncAPIResource,
    BodySpec,
    check_str,
    same_parameters_as,
)
from smarter.types.completions import CompletionStreamResponse, CompletionSyncResponse

if TYPE_CHECKING:
    import os

    from smarter._request import RequestOptions, Unpack
    from smarter._response import HTTPResponse

__all__ = ["AsyncCompletions", "CompletionChunks"]

#: The body of ``llm/completions-sync`` and ``llm/completions-stream``.
_BODY = BodySpec(
    prompt=STR,
    max_new_tokens=INT,
    temperature=NUMBER,
    stop_sequences=STRINGS,
    return_token_log_probs=BOOL,
    presence_penalty=NUMBER,
    frequency_penalty=NUMBER,
    top_k=INT,
    top_p=NUMBER,
    include_stop_str_in_output=BOOL,
    guided_json=OBJECT,
    guided_regex=STR,
    guided_choice=STRINGS,
    guided_grammar=STR,
    skip_special_tokens=BOOL,
)


class CompletionChunks(StreamKind[CompletionStreamResponse]):
    """LLM Engine stream chunks: ``output: null`` is a keep-alive, ``finished`` ends it."""

    def __init__(self) -> None:
        self._build = structurer(CompletionStreamResponse)

    def decode(
        self, text: str, event: str, response: HTTPResponse
    ) -> tuple[CompletionStreamResponse | None, bool]:
        """A chunk (None for a keep-alive), and whether it is ``finished``."""
        data = self.json(text, response)
        if data.__class__ is not dict:
            raise APIResponseValidationError(
                "CompletionStreamResponse: $: expected an object", body=data, response=response
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
        output = data.get("output")
        if output is None:
            return None, False
        # Read from the wire dict: the chunk was just built from it (and checked), or, when
        # final() folds wire dicts (fold_wire), the accumulator reports a misshapen output.
        chunk = self._build(data, response)
        return chunk, output.__class__ is dict and output.get("finished") is True

    def fold_wire(self) -> None:
        """Decode into wire dicts from now on (``final()``)."""
        self._build = as_wire

    def accumulator(self) -> Accumulator[CompletionStreamResponse, CompletionSyncResponse]:
        """Folds the chunks into a :class:`~smarter.types.CompletionSyncResponse`."""
        return CompletionAccumulator(_build_completion)


def _build_completion(
    wire: dict[str, Any], response: HTTPResponse | None
) -> CompletionSyncResponse:
    return structure(wire, CompletionSyncResponse, response=response)


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
        skip_special_tokens: bool | None = None,
        **options: Unpack[RequestOptions],
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
            skip_special_tokens: Leave special tokens out of the text (the server's
                default is True).
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``extra_body``.

        Raises:
            APIStatusError: the server refused (a subclass per status).
            APIConnectionError: the server could not be reached, or timed out.
        """
        body = _BODY.build(
            prompt=check_str(prompt, "prompt"),
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            stop_sequences=stop_sequences,
            return_token_log_probs=return_token_log_probs,
            presence_penalty=presence_penalty,
            frequency_penalty=frequency_penalty,
            top_k=top_k,
            top_p=top_p,
            include_stop_str_in_output=include_stop_str_in_output,
            guided_json=guided_json,
            guided_regex=guided_regex,
            guided_choice=guided_choice,
            guided_grammar=guided_grammar,
            skip_special_tokens=skip_special_tokens,
        )
        query = {"model_endpoint_name": check_str(model, "model")}
        return await self._call(
            "POST",
            "v1/llm/completions-sync",
            CompletionSyncResponse,
            options,
            query=query,
            json=body,
        )

    @same_parameters_as(create)
    def stream(self, *, model: str, **arguments: Any) -> AsyncStream[CompletionStreamResponse]:
        """Complete *prompt* with *model*, chunk by chunk as the tokens are generated.

        Takes the arguments of :meth:`create`. Returns at once; the request is sent when
        the stream is iterated (``async for``) or entered (``async with``). The last chunk
        has ``output.finished``; keep-alives are skipped.

        Raises:
            APIStatusError: the server refused, or an error chunk arrived.
            IncompleteStreamError: the stream broke and could not be resumed.
        """
        options = {
            name: arguments.pop(name) for name in list(arguments) if name not in _BODY.fields
        }
        check_str(arguments["prompt"], "prompt")
        return self._stream(
            "v1/llm/completions-stream",
            CompletionChunks(),
            options,
            query={"model_endpoint_name": check_str(model, "model")},
            json=_BODY.build(**arguments),
        )

    def create_many(
        self,
        requests: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        concurrency: int = 32,
        max_requests_per_minute: float | None = None,
        max_tokens_per_minute: float | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        ordered: bool = True,
    ) -> AsyncRun[CompletionSyncResponse]:
        """Complete many prompts: one :meth:`create` per request, paced, recorded, resumable.

        Returns at once; ``async for outcome in run`` sends the requests and yields one
        :class:`~smarter.Outcome` per request (``outcome.result`` or ``outcome.error``: a
        failure is recorded, never raised mid-run). See the README, "Many requests".

        Args:
            requests: Dicts of the arguments of :meth:`create` (``model``, ``prompt``, ...),
                in a list or any (async) iterable, pulled lazily.
            concurrency: The most calls in flight; lowered while the server pushes back
                (429, 503), raised again after a clean stretch.
            max_requests_per_minute: Pace the requests evenly to this budget.
            max_tokens_per_minute: Keep the tokens (estimated from each request, corrected
                from each answer's usage) within this budget.
            checkpoint: A JSONL file that each outcome is appended to; a rerun with the same
                file skips the requests whose results it holds.
            ordered: Yield the outcomes in input order (True) or as they finish (False).

        Raises:
            TypeError: a request has an argument :meth:`create` does not take (for a list,
                here; for a lazy iterable, once the requests before it are done).
            ValueError: *concurrency* or a budget is not positive.

        .. versionadded:: 0.3.0
        """
        return run_many(
            self.create,
            requests,
            namespace="completions",
            concurrency=concurrency,
            max_requests_per_minute=max_requests_per_minute,
            max_tokens_per_minute=max_tokens_per_minute,
            checkpoint=checkpoint,
            ordered=ordered,
        )
