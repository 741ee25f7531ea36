"""Results of the OpenAI-compatible ``chat/completions`` route: completions and chunks.

Shapes: ``openai/openai-openapi@f85dbe2:openapi.yaml`` (``CreateChatCompletionResponse``,
``ChatCompletionMessageToolCall``, ``CreateChatCompletionStreamResponse``,
``ChatCompletionMessageToolCallChunk``, ``ChatCompletionTokenLogprob``). The request
parameters (typed dicts) are in :mod:`smarter.types.chat_params`.
"""

from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from smarter.types._base import BaseModel, publish

if TYPE_CHECKING:
    from smarter.types.chat_params import ChatCompletionMessageParam

__all__ = [
    "TopLogprob",
    "ChatCompletionTokenLogprob",
    "ChoiceLogprobs",
    "ToolCallFunction",
    "ChatCompletionMessageToolCall",
    "ChatCompletionMessage",
    "ChatCompletionChoice",
    "CompletionUsage",
    "ChatCompletion",
    "ChoiceDeltaToolCallFunction",
    "ChoiceDeltaToolCall",
    "ChoiceDelta",
    "ChatCompletionChunkChoice",
    "ChatCompletionChunk",
    "ParsedChatCompletionMessage",
    "ParsedChoice",
    "ParsedChatCompletion",
]

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class TopLogprob(BaseModel):
    """One of the likeliest tokens at a position, with its log probability.

    .. versionadded:: 0.3.0
    """

    token: str
    """The token."""
    logprob: float
    """Its log probability (-9999.0: very unlikely)."""
    bytes: list[int] | None = None
    """Its UTF-8 bytes, when the token is not valid UTF-8 on its own."""


@attrs.frozen(kw_only=True)
class ChatCompletionTokenLogprob(BaseModel):
    """A token of the answer with its log probability (``logprobs=True``).

    .. versionadded:: 0.3.0
    """

    token: str
    """The token."""
    logprob: float
    """Its log probability."""
    bytes: list[int] | None = None
    """Its UTF-8 bytes."""
    top_logprobs: list[TopLogprob] = attrs.Factory(list)
    """The likeliest tokens at this position (``top_logprobs=N``)."""


@attrs.frozen(kw_only=True)
class ChoiceLogprobs(BaseModel):
    """The log probabilities of a choice's tokens.

    .. versionadded:: 0.3.0
    """

    content: list[ChatCompletionTokenLogprob] | None = None
    """Of the tokens of the content."""
    refusal: list[ChatCompletionTokenLogprob] | None = None
    """Of the tokens of a refusal."""


@attrs.frozen(kw_only=True)
class ToolCallFunction(BaseModel):
    """The function a tool call calls, and its arguments.

    .. versionadded:: 0.3.0
    """

    name: str
    """The name of the function."""
    arguments: str
    """The arguments as the JSON text the model wrote: it may not be valid JSON (a
    non-strict tool, or an answer cut by the token limit)."""


@attrs.frozen(kw_only=True)
class ChatCompletionMessageToolCall(BaseModel):
    """A tool the model called.

    A ``"custom"`` tool call has no ``function``: its ``custom`` field (``name``,
    ``input``) is kept as sent and readable as an attribute.

    .. versionadded:: 0.3.0
    """

    id: str
    """The id of the call, for the ``tool_call_id`` of the message that answers it."""
    type: str = "function"
    """``"function"`` (or ``"custom"``)."""
    function: ToolCallFunction | None = None
    """The function called, for a ``"function"`` call."""


@attrs.frozen(kw_only=True)
class ChatCompletionMessage(BaseModel):
    """A message of a chat completion.

    .. versionadded:: 0.2.0
    .. versionchanged:: 0.3.0 ``refusal`` and ``tool_calls``.
    """

    role: str
    """Who wrote the message: ``"assistant"`` for a completion."""
    content: str | None = None
    """The text of the message; None when the model called tools or refused."""
    refusal: str | None = None
    """Why the model refused to answer, when it did (structured outputs)."""
    tool_calls: list[ChatCompletionMessageToolCall] | None = None
    """The tools the model called, if any."""

    def to_param(self) -> "ChatCompletionMessageParam":
        """This message as one of the ``messages`` of a next call (its wire form, typed).

        ``messages.append(reply.choices[0].message.to_param())`` continues a conversation,
        tool calls included.

        .. versionadded:: 0.3.0
        """
        return self.to_dict()  # type: ignore[return-value]  # the wire form is that dict


@attrs.frozen(kw_only=True)
class ChatCompletionChoice(BaseModel):
    """One of the answers of a chat completion.

    .. versionadded:: 0.2.0
    """

    index: int
    """The position of this choice in the list of choices."""
    message: ChatCompletionMessage
    """The message the model wrote."""
    finish_reason: str | None = None
    """Why the model stopped: ``"stop"``, ``"length"``, ``"tool_calls"``,
    ``"content_filter"``."""
    logprobs: ChoiceLogprobs | None = None
    """The log probabilities of the tokens, when ``logprobs=True`` asked for them."""


@attrs.frozen(kw_only=True)
class CompletionUsage(BaseModel):
    """How many tokens a chat completion used.

    .. versionadded:: 0.2.0
    """

    prompt_tokens: int
    """Number of tokens in the prompt."""
    completion_tokens: int
    """Number of tokens in the completion."""
    total_tokens: int
    """Number of tokens in all: prompt and completion."""


@attrs.frozen(kw_only=True)
class ChatCompletion(BaseModel):
    """The answer of ``chat/completions``.

    .. versionadded:: 0.2.0
    """

    id: str
    """The unique ID of the chat completion."""
    object: str = "chat.completion"
    """Always ``"chat.completion"``."""
    created: int
    """When the completion was created, in seconds since the Unix epoch."""
    model: str
    """The model that wrote the completion."""
    choices: list[ChatCompletionChoice]
    """The answers; one unless ``n`` asked for more."""
    usage: CompletionUsage | None = None
    """How many tokens the request used."""


@attrs.frozen(kw_only=True)
class ChoiceDeltaToolCallFunction(BaseModel):
    """A piece of a tool call's function: its name (once), a fragment of its arguments.

    .. versionadded:: 0.3.0
    """

    name: str | None = None
    """The function's name, on the first fragment of the call."""
    arguments: str | None = None
    """A fragment of the arguments' JSON text; the fragments join into the whole."""


@attrs.frozen(kw_only=True)
class ChoiceDeltaToolCall(BaseModel):
    """A fragment of a tool call in a streamed chunk; fragments of one call share ``index``.

    .. versionadded:: 0.3.0
    """

    index: int
    """Which tool call of the message this fragment belongs to."""
    id: str | None = None
    """The id of the call, on its first fragment."""
    type: str | None = None
    """``"function"``, on its first fragment."""
    function: ChoiceDeltaToolCallFunction | None = None
    """The function's name and a fragment of its arguments."""


@attrs.frozen(kw_only=True)
class ChoiceDelta(BaseModel):
    """The part of a message that one streamed chunk adds.

    .. versionadded:: 0.2.0
    .. versionchanged:: 0.3.0 ``refusal`` and ``tool_calls``.
    """

    role: str | None = None
    """Who writes the message; only on the first chunk."""
    content: str | None = None
    """The text this chunk adds."""
    refusal: str | None = None
    """The part of a refusal this chunk adds."""
    tool_calls: list[ChoiceDeltaToolCall] | None = None
    """Fragments of tool calls."""


@attrs.frozen(kw_only=True)
class ChatCompletionChunkChoice(BaseModel):
    """One choice of a streamed chat completion chunk.

    .. versionadded:: 0.2.0
    """

    index: int
    """The position of this choice in the list of choices."""
    delta: ChoiceDelta
    """What this chunk adds to the message."""
    finish_reason: str | None = None
    """Why the model stopped; only on the last chunk of the choice."""
    logprobs: ChoiceLogprobs | None = None
    """The log probabilities of this chunk's tokens (``logprobs=True``)."""


@attrs.frozen(kw_only=True)
class ChatCompletionChunk(BaseModel):
    """One event of a streamed chat completion.

    ``await stream.final()`` (``stream.final()`` when blocking) folds the chunks into a
    :class:`ChatCompletion`.

    .. versionadded:: 0.2.0
    """

    id: str
    """The unique ID of the chat completion; the same on every chunk."""
    object: str = "chat.completion.chunk"
    """Always ``"chat.completion.chunk"``."""
    created: int
    """When the completion was created, in seconds since the Unix epoch."""
    model: str
    """The model that writes the completion."""
    choices: list[ChatCompletionChunkChoice]
    """What this chunk adds to each choice; none on the usage chunk."""
    usage: CompletionUsage | None = None
    """The usage of the whole request, on the last chunk with ``stream_options={
    "include_usage": True}``."""

    if TYPE_CHECKING:
        # What `final()` folds a stream of these into (read by type checkers only).
        def _final_result(self) -> ChatCompletion: ...


# -- parse(): the same classes with the structured reply --------------------------------------
# Generic for type checkers (``parsed`` is the caller's class); at run time ``parsed`` is a
# plain field the resource fills after structuring, never read from the wire.


@attrs.frozen(kw_only=True)
class ParsedChatCompletionMessage(ChatCompletionMessage, Generic[T]):
    """A message of :meth:`chat.completions.parse` with its reply structured.

    .. versionadded:: 0.3.0
    """

    if TYPE_CHECKING:
        parsed: T | None = None
    else:
        parsed: Any = None
        """The content structured into the class of ``response_format``; None when the
        model refused (see ``refusal``) or called tools instead."""


@attrs.frozen(kw_only=True)
class ParsedChoice(ChatCompletionChoice, Generic[T]):
    """A choice of :meth:`chat.completions.parse`.

    .. versionadded:: 0.3.0
    """

    if TYPE_CHECKING:
        message: ParsedChatCompletionMessage[T]
    else:
        message: ParsedChatCompletionMessage
        """The message, with ``parsed``."""


@attrs.frozen(kw_only=True)
class ParsedChatCompletion(ChatCompletion, Generic[T]):
    """The answer of :meth:`chat.completions.parse`: ``choices[i].message.parsed``.

    .. versionadded:: 0.3.0
    """

    if TYPE_CHECKING:
        choices: list[ParsedChoice[T]]  # type: ignore[assignment]  # a narrower list
    else:
        choices: list[ParsedChoice]
        """The answers, each message with its reply structured."""


publish(globals())
