"""Folding a stream into its whole result: ``stream.final()`` and ``stream.text()``.

Each stream kind makes an :class:`~smarter._stream_kind.Accumulator`; the ones here fold the
chunks' wire dicts (unknown fields included) into the wire dict of the whole result, which
the kind's ``build`` structures like any body:

- :class:`ChatAccumulator`: OpenAI chat chunks into a ``chat.completion``. Chunks merge by
  choice ``index``, and tool-call fragments by their own ``index``, not by ``id``: ``id``,
  ``type`` and the function's ``name`` are taken once (a server that repeats them on every
  fragment is not doubled, unlike openai-python's accumulator), ``arguments`` fragments are
  joined. ``content``, ``refusal`` and unknown string fields of a delta (``reasoning_content``)
  are joined; log probabilities are appended; the last non-null ``finish_reason`` and
  ``usage`` win. Rules: ``/work/notes/openai-extras.md`` section 5, after
  ``openai/openai-openapi@f85dbe2:openapi.yaml#/components/schemas/ChatCompletionMessageToolCallChunk``.
- :class:`CompletionAccumulator`: LLM Engine chunks into a ``CompletionSyncResponse``.
- the responses stream's accumulator is beside its events, in :mod:`smarter.resources.responses`.

Folding is opt-in (``final()`` / ``text()``): plain iteration pays nothing for it
(benchmarks/stream.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from smarter._exceptions import APIResponseValidationError, SmarterError
from smarter._stream_kind import Accumulator

if TYPE_CHECKING:
    from smarter._response import HTTPResponse
    from smarter._stream_kind import Accumulates
    from smarter._streaming import AsyncStream

__all__ = [
    "ChatAccumulator",
    "CompletionAccumulator",
    "accumulator_of",
    "add_checked",
    "fold",
    "fold_text",
    "wire_of",
]

R = TypeVar("R")
Build = Callable[[dict[str, Any], "HTTPResponse | None"], R]


def accumulator_of(stream: AsyncStream[Any]) -> Accumulator[Any, Any]:
    """The accumulator of *stream*'s ``final()`` and ``text()``, made on first use.

    Raises:
        SmarterError: chunks were already taken by iterating the stream; they would be
            missing from the result, and a short result must never pass for a whole one.
    """
    accumulator = stream._accumulator
    if accumulator is None:
        if stream._delivered:
            raise SmarterError(
                "final() and text() read a stream from its start, but chunks were already "
                "taken by iterating it: use one or the other (text() and then final() works)."
            )
        accumulator = stream._accumulator = stream._kind.accumulator()
    return accumulator


async def fold(stream: AsyncStream[Accumulates[R]]) -> R:
    """Read the rest of *stream* into its accumulator and return the whole result.

    Raises:
        APIResponseValidationError: a chunk, or the whole, does not fit (the stream is
            closed).
    """
    accumulator = accumulator_of(stream)
    stream._kind.fold_wire()  # the chunks are dropped once folded: none is built
    try:
        async for chunk in stream:
            add_checked(accumulator, chunk, stream)
    except APIResponseValidationError:
        await stream.close()
        raise
    result: R = accumulator.result(stream.response)
    return result


def add_checked(accumulator: Accumulator[Any, Any], chunk: Any, stream: AsyncStream[Any]) -> None:
    """Fold *chunk* in; a wire dict of the wrong shape is the server's fault, said so.

    ``final()`` folds wire dicts that no typed chunk checked (``fold_wire``): a chunk whose
    ``choices`` is no list, or that is no object at all, must not surface as an
    ``AttributeError`` from inside the accumulator.
    """
    try:
        accumulator.add(chunk)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        raise APIResponseValidationError(
            f"A chunk of the stream does not fit: {type(exc).__name__}: {exc}",
            body=chunk,
            response=stream.response,
            request=stream._request,
        ) from None


async def fold_text(stream: AsyncStream[Any]) -> AsyncIterator[str]:
    """The text pieces of *stream*, each chunk folded in on the way (``final()`` may follow)."""
    accumulator = accumulator_of(stream)
    async for chunk in stream:
        accumulator.add(chunk)
        piece = accumulator.text(chunk)
        if piece:
            yield piece


def wire_of(chunk: Any) -> dict[str, Any]:
    """The wire dict of a chunk (or the chunk, already one); read, never changed."""
    if chunk.__class__ is dict:
        return chunk
    wire: dict[str, Any] | None = getattr(chunk, "_wire", None)
    return wire if wire is not None else chunk.to_dict()


# -- chat --------------------------------------------------------------------------------------

_HEAD_FIRST = ("id", "created", "model")
# Top-level fields a later chunk may set: the last non-null wins.
_TOP_LATER = ("usage", "system_fingerprint", "service_tier")
_TOP_SKIPPED = frozenset({"object", "choices", "obfuscation"})


class _Choice:
    """One choice being folded.

    Text is kept as lists of pieces, joined once at the end: joining as the pieces come
    would copy the text so far on every chunk (quadratic in a long answer;
    benchmarks/stream.py, ``smarter-chat-tools-final``).
    """

    __slots__ = ("content", "extra", "finish_reason", "logprobs", "refusal", "role", "tools")

    def __init__(self) -> None:
        self.role: Any = None
        self.content: list[str] | None = None
        self.refusal: list[str] | None = None
        # index -> [id, type, name, argument pieces]
        self.tools: dict[int, list[Any]] = {}
        self.extra: dict[str, Any] = {}
        self.finish_reason: Any = None
        self.logprobs: dict[str, Any] | None = None

    def add(self, choice: dict[str, Any]) -> None:
        delta = choice.get("delta")
        if delta:
            self._delta(delta)
        finish_reason = choice.get("finish_reason")
        if finish_reason is not None:
            self.finish_reason = finish_reason
        logprobs = choice.get("logprobs")
        if logprobs:
            folded = self.logprobs = self.logprobs or {"content": None, "refusal": None}
            for key in ("content", "refusal"):
                if isinstance(logprobs.get(key), list):
                    folded[key] = [*(folded[key] or ()), *logprobs[key]]

    def _delta(self, delta: dict[str, Any]) -> None:
        for key, value in delta.items():  # the keys present: one or two in most chunks
            if value is None:
                continue
            if key == "tool_calls":
                for position, fragment in enumerate(value):
                    self._tool(position, fragment)
            elif key == "content":
                if self.content is None:
                    self.content = []
                self.content.append(value)
            elif key == "refusal":
                if self.refusal is None:
                    self.refusal = []
                self.refusal.append(value)
            elif key == "role":
                if self.role is None:
                    self.role = value
            else:
                self._other(key, value)

    def _other(self, key: str, value: Any) -> None:
        """``function_call`` (deprecated: name once, arguments joined), unknown fields."""
        extra = self.extra
        if key == "function_call" and isinstance(value, dict):
            whole = extra.setdefault(key, {"name": None, "arguments": []})
            whole["name"] = whole["name"] or value.get("name")
            if isinstance(value.get("arguments"), str):
                whole["arguments"].append(value["arguments"])
        elif isinstance(value, str):  # reasoning_content and the like: joined
            extra.setdefault(key, []).append(value)
        else:
            extra[key] = value

    def _tool(self, position: int, fragment: Any) -> None:
        if not isinstance(fragment, dict):
            return
        index = fragment.get("index", position)
        tool = self.tools.get(index)
        if tool is None:
            tool = self.tools[index] = [None, None, None, []]
        function = fragment.get("function")
        if function:
            arguments = function.get("arguments")
            if arguments:
                tool[3].append(arguments)
            if tool[2] is None:  # once: a repeated name is not a name twice over
                tool[2] = function.get("name")
        if tool[0] is None:
            tool[0] = fragment.get("id")
        if tool[1] is None:
            tool[1] = fragment.get("type")

    def result(self, index: int) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": self.role or "assistant",
            "content": None if self.content is None else "".join(self.content),
            "refusal": None if self.refusal is None else "".join(self.refusal),
        }
        for key, kept in self.extra.items():
            if key == "function_call":
                message[key] = {**kept, "arguments": "".join(kept["arguments"])}
            else:
                message[key] = "".join(kept) if isinstance(kept, list) else kept
        if self.tools:
            calls = []
            for _, (call_id, kind, name, pieces) in sorted(self.tools.items()):
                call: dict[str, Any] = {} if call_id is None else {"id": call_id}
                call["type"] = kind or "function"
                function = {} if name is None else {"name": name}
                call["function"] = {**function, "arguments": "".join(pieces)}
                calls.append(call)
            message["tool_calls"] = calls
        return {
            "index": index,
            "message": message,
            "finish_reason": self.finish_reason,
            "logprobs": self.logprobs,
        }


class ChatAccumulator(Accumulator[Any, R]):
    """OpenAI chat chunks into a ``chat.completion`` (see the module docstring).

    The top-level fields are the first chunk's, ``usage``, ``system_fingerprint`` and
    ``service_tier`` the last non-null ones.
    """

    def __init__(self, build: Build[R]) -> None:
        self._build = build
        self._top: dict[str, Any] | None = None
        self._choices: dict[int, _Choice] = {}

    def add(self, chunk: Any) -> None:
        """Fold in one chunk."""
        wire = wire_of(chunk)
        if wire.get("object", "chat.completion.chunk") != "chat.completion.chunk":
            return  # not a chunk (Azure's content-filter events), as openai-python skips them
        top = self._top
        if top is None:
            top = self._top = {k: v for k, v in wire.items() if k not in _TOP_SKIPPED}
        else:
            for key in _TOP_LATER:
                value = wire.get(key)
                if value is not None:
                    top[key] = value
        choices = self._choices
        for choice in wire.get("choices") or ():
            index = choice.get("index", 0)
            folded = choices.get(index)
            if folded is None:
                folded = choices[index] = _Choice()
            folded.add(choice)

    def text(self, chunk: Any) -> str | None:
        """The content the first choice's delta adds."""
        for choice in wire_of(chunk).get("choices") or ():
            if choice.get("index", 0) == 0:
                content = (choice.get("delta") or {}).get("content")
                return content if isinstance(content, str) else None
        return None

    def result(self, response: HTTPResponse | None) -> R:
        """The ``chat.completion`` of the chunks folded in."""
        top = {k: v for k, v in (self._top or {}).items() if v is not None or k in _HEAD_FIRST}
        head = {key: top.pop(key) for key in _HEAD_FIRST if key in top}
        choices = [choice.result(index) for index, choice in sorted(self._choices.items())]
        return self._build(
            {**head, "object": "chat.completion", "choices": choices, **top}, response
        )


# -- completions -------------------------------------------------------------------------------


class CompletionAccumulator(Accumulator[Any, R]):
    """LLM Engine completion chunks into a ``CompletionSyncResponse``.

    The text is joined; the token counts are the last ones sent (LLM Engine sends them on
    the final chunk, TensorRT-LLM's prompt count on every chunk), and the completion count
    is the number of chunks when no chunk sent it (each chunk of these streams is one token).
    ``tokens`` is the list of the chunks' ``token`` when they carried one.
    """

    def __init__(self, build: Build[R]) -> None:
        self._build = build
        self._request_id: Any = None
        self._text: list[str] = []
        self._counts: dict[str, Any] = {"num_prompt_tokens": None, "num_completion_tokens": None}
        self._tokens: list[Any] = []

    def add(self, chunk: Any) -> None:
        """Fold in one chunk."""
        wire = wire_of(chunk)
        if self._request_id is None:
            self._request_id = wire.get("request_id")
        output = wire.get("output") or {}
        text = output.get("text")
        self._text.append(text if isinstance(text, str) else "")
        for key in self._counts:
            if output.get(key) is not None:
                self._counts[key] = output[key]
        if output.get("token") is not None:
            self._tokens.append(output["token"])

    def text(self, chunk: Any) -> str | None:
        """The text the chunk adds."""
        output = wire_of(chunk).get("output") or {}
        text = output.get("text")
        return text if isinstance(text, str) else None

    def result(self, response: HTTPResponse | None) -> R:
        """The ``CompletionSyncResponse`` of the chunks folded in."""
        counts = dict(self._counts)
        if counts["num_completion_tokens"] is None:
            counts["num_completion_tokens"] = len(self._text)
        output = {"text": "".join(self._text), **counts, "tokens": self._tokens or None}
        return self._build({"request_id": self._request_id, "output": output}, response)
