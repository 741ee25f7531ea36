"""Results of the LLM Engine completion routes, ``llm/completions-sync`` and ``-stream``."""

# No `from __future__ import annotations` in the type modules: the converter reads the field
# types at runtime, and `smarter.types` is the public module name of these classes.

from typing import TYPE_CHECKING

import attrs

from smarter.types._base import BaseModel, publish

__all__ = [
    "TokenOutput",
    "CompletionOutput",
    "CompletionSyncResponse",
    "CompletionStreamOutput",
    "StreamErrorContent",
    "StreamError",
    "CompletionStreamResponse",
]


@attrs.frozen(kw_only=True)
class TokenOutput(BaseModel):
    """One generated token and its log probability.

    .. versionadded:: 0.2.0
    """

    token: str
    """The token."""
    log_prob: float
    """The natural logarithm of the probability of the token."""


@attrs.frozen(kw_only=True)
class CompletionOutput(BaseModel):
    """Represents the output of a completion request to a model.

    .. versionadded:: 0.2.0
    """

    text: str
    """The text of the completion."""
    num_prompt_tokens: int | None = None
    """Number of tokens in the prompt."""
    num_completion_tokens: int
    """Number of tokens in the completion."""
    tokens: list[TokenOutput] | None = None
    """The tokens of the completion with their log probabilities, when
    ``return_token_log_probs`` was set."""


@attrs.frozen(kw_only=True)
class CompletionSyncResponse(BaseModel):
    """Response object for a synchronous prompt completion.

    .. versionadded:: 0.2.0
    """

    request_id: str | None = None
    """The unique ID of the corresponding Completion request.

    This request_id is generated on the server, and all logs associated with the request are
    grouped by the request_id, which allows for easier troubleshooting of errors: when running
    the Scale-hosted LLM Engine, provide it in any bug report; when running the self-hosted
    LLM Engine, it serves as a trace ID in your observability provider.
    """
    output: CompletionOutput
    """Completion output."""


@attrs.frozen(kw_only=True)
class CompletionStreamOutput(BaseModel):
    """One piece of a streamed completion.

    .. versionadded:: 0.2.0
    """

    text: str
    """The text of the completion."""
    finished: bool
    """Whether the completion is finished."""
    num_prompt_tokens: int | None = None
    """Number of tokens in the prompt."""
    num_completion_tokens: int | None = None
    """Number of tokens in the completion."""
    token: TokenOutput | None = None
    """The token of this chunk with its log probability, when ``return_token_log_probs``
    was set."""


@attrs.frozen(kw_only=True)
class StreamErrorContent(BaseModel):
    """What went wrong in a stream.

    .. versionadded:: 0.2.0
    """

    error: str
    """The error message."""
    timestamp: str | None = None
    """When the error happened, as the server wrote it."""


@attrs.frozen(kw_only=True)
class StreamError(BaseModel):
    """Error object for a stream prompt completion task.

    .. versionadded:: 0.2.0
    """

    status_code: int
    """The HTTP status code of the error."""
    content: StreamErrorContent
    """The error message and timestamp."""


@attrs.frozen(kw_only=True)
class CompletionStreamResponse(BaseModel):
    """Response object for a stream prompt completion task.

    A chunk with neither ``output`` nor ``error`` is a keep-alive and one with an ``error``
    raises: the stream hands neither to the caller, so every chunk it yields has ``output``.

    .. versionadded:: 0.2.0
    .. versionchanged:: 0.3.0 ``output`` is required (it was optional, which made
       ``chunk.output.text`` a type error).
    """

    request_id: str | None = None
    """The unique ID of the corresponding Completion request (see
    :attr:`CompletionSyncResponse.request_id`)."""
    output: CompletionStreamOutput
    """Completion output."""
    error: StreamError | None = None
    """Error of the response (if any)."""

    if TYPE_CHECKING:
        # What `final()` folds a stream of these into (read by type checkers only).
        def _final_result(self) -> CompletionSyncResponse: ...


publish(globals())
