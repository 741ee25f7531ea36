"""What the fake model answers on the OpenAI-compatible routes: text, JSON, tool calls.

Deterministic like :func:`smarter.testing._model.generate`, and computable by a test:

- **Tool calls.** With ``tools`` and a ``tool_choice`` other than ``"none"``, the model calls
  every function the last user message names (as a word), or the first one when
  ``tool_choice`` is ``"required"`` and none is named, or the one a named ``tool_choice``
  forces; ``parallel_tool_calls=False`` keeps the first. After a ``tool`` message it answers
  in text. The arguments are an instance of the function's ``parameters`` schema
  (:func:`instance`), and the call id is a hash of the prompt, name and position.
- **JSON.** ``response_format`` ``json_schema`` gets an instance of the schema; ``json_object``
  gets ``{"answer": <the text>}``.
- **Text.** The fake model's words, as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

from smarter.testing._http import ApiError
from smarter.testing._model import VOCABULARY, generate, json_answer

__all__ = ["Answer", "ToolCall", "answer", "instance", "logprob_entries", "pieces_of"]

_DEFAULT_TOKENS = 16
_PIECE = 7  # characters per streamed fragment of JSON text
_DEPTH = 6


def bad(message: str, param: str | None = None) -> ApiError:
    """A 400 in the OpenAI shape, naming the parameter."""
    return ApiError(400, message, code="invalid_value" if param else None)


@dataclasses.dataclass(frozen=True)
class ToolCall:
    """One call of a function: id, name, and its arguments' JSON text."""

    id: str
    name: str
    arguments: str


@dataclasses.dataclass(frozen=True)
class Answer:
    """One choice's answer: content pieces (streamed one per chunk) or tool calls."""

    pieces: list[str]
    """What a stream sends as content deltas; their concatenation is ``content``."""
    finish_reason: str
    completion_tokens: int
    log_probs: list[float]
    """One per piece."""
    tool_calls: list[ToolCall] = dataclasses.field(default_factory=list)

    @property
    def content(self) -> str | None:
        """The text of the answer; None when the model called tools."""
        return None if self.tool_calls else "".join(self.pieces)


def pieces_of(text: str, size: int = _PIECE) -> list[str]:
    """*text* cut into fragments of *size* characters (the last may be shorter)."""
    return [text[start : start + size] for start in range(0, len(text), size)] or [""]


def answer(
    body: dict[str, Any], prompt: str, limit: int | None, choice: int, *, after_tool: bool
) -> Answer:
    """The answer of choice *choice* to *prompt* under the request *body*."""
    calls = _tool_calls(body, prompt, choice, after_tool=after_tool)
    if calls:
        return Answer([], "tool_calls", sum(len(c.arguments) for c in calls), [], calls)
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else list(stop or ())
    generation = generate(
        prompt,
        limit or _DEFAULT_TOKENS,
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
        stop=stops,
        choice=choice,
    )
    pieces = list(generation.tokens)
    log_probs = list(generation.log_probs)
    if pieces:
        pieces[0] = pieces[0].lstrip()
    reason = "length" if limit is not None and not generation.stopped else "stop"
    schema = _format_schema(body)
    if schema is not None:
        text = json.dumps(instance(schema, f"{prompt}\n{choice}"))
        pieces, reason = pieces_of(text), "stop"
        log_probs = [-0.01] * len(pieces)
    elif _json_object(body):
        pieces = json_answer("".join(pieces))
        log_probs = [-0.02] * len(pieces)
    return Answer(pieces, reason, len(generation.tokens), log_probs)


def _format(body: dict[str, Any]) -> Any:
    response_format = body.get("response_format")
    if response_format is None:
        text = body.get("text")
        response_format = text.get("format") if isinstance(text, dict) else None
    if response_format is None:
        return None
    if not isinstance(response_format, dict) or response_format.get("type") not in (
        "text",
        "json_object",
        "json_schema",
    ):
        raise bad("'response_format.type' must be 'text', 'json_object' or 'json_schema'.")
    return response_format


def _json_object(body: dict[str, Any]) -> bool:
    found = _format(body)
    return found is not None and found["type"] != "text"


def _format_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema a ``json_schema`` format asks for (chat: nested; responses: flat)."""
    found = _format(body)
    if found is None or found["type"] != "json_schema":
        return None
    spec = found.get("json_schema", found)
    schema = spec.get("schema") if isinstance(spec, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise bad("'response_format.json_schema.name' is required.", "response_format")
    return schema if isinstance(schema, dict) else None


# -- tool calls --------------------------------------------------------------------------------


def _functions(body: dict[str, Any]) -> list[dict[str, Any]]:
    tools = body.get("tools")
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise bad("'tools' must be an array.", "tools")
    functions = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
            raise bad(f"'tools[{index}]' must be an object with a 'type'.", "tools")
        function = tool.get("function")
        if tool["type"] == "function":
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise bad(f"'tools[{index}].function.name' is required.", "tools")
            functions.append(function)
    return functions


def _tool_calls(
    body: dict[str, Any], prompt: str, choice: int, *, after_tool: bool
) -> list[ToolCall]:
    functions = _functions(body)
    mode = body.get("tool_choice", "auto" if functions else "none")
    if not functions or mode == "none" or after_tool:
        return []
    if isinstance(mode, dict):
        wanted = (mode.get("function") or {}).get("name")
        chosen = [f for f in functions if f["name"] == wanted]
        if not chosen:
            raise bad(f"'tool_choice' names no tool of the request: {wanted!r}.", "tool_choice")
    elif mode in ("auto", "required"):
        chosen = [f for f in functions if re.search(rf"\b{re.escape(f['name'])}\b", prompt)]
        if not chosen and mode == "required":
            chosen = functions[:1]
    else:
        raise bad("'tool_choice' must be 'none', 'auto', 'required' or an object.", "tool_choice")
    if body.get("parallel_tool_calls") is False:
        chosen = chosen[:1]
    calls = []
    for position, function in enumerate(chosen):
        seed = f"{prompt}\n{choice}\n{position}\n{function['name']}"
        digest = hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        arguments = json.dumps(instance(parameters, seed))
        calls.append(ToolCall(f"call_{digest}", function["name"], arguments))
    return calls


# -- instances of a JSON schema ------------------------------------------------------------


class _Words:
    """An endless, deterministic supply of the fake model's words and numbers."""

    def __init__(self, seed: str) -> None:
        self._seed = seed
        self._batch = 0
        self._words: Iterator[str] = iter(())

    def word(self) -> str:
        for word in self._words:
            return word
        self._batch += 1
        tokens = generate(f"{self._seed}\n{self._batch}", 32).tokens
        self._words = iter([token.strip() for token in tokens])
        return self.word()

    def number(self) -> int:
        return VOCABULARY.index(self.word()) + 1


def instance(schema: dict[str, Any], seed: str) -> Any:
    """A value that fits *schema* (the subset structured outputs use), made from *seed*.

    Objects get every property; ``anyOf`` / ``oneOf`` the first variant that is not null;
    ``enum`` one of its values; arrays two items; ``$ref`` is followed into ``$defs``.
    """
    return _value(schema, _Words(seed), schema, 0)


def _value(schema: Any, words: _Words, root: dict[str, Any], depth: int) -> Any:  # noqa: PLR0911, PLR0912 (a table)
    if not isinstance(schema, dict):
        return words.word()
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return _value(target, words, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][words.number() % len(schema["enum"])]
    variants = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(variants, list) and variants:
        real = [v for v in variants if not (isinstance(v, dict) and v.get("type") == "null")]
        if not real or depth >= _DEPTH:
            return None
        return _value(real[0], words, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        if depth >= _DEPTH:
            return {}
        value = {name: _value(sub, words, root, depth + 1) for name, sub in properties.items()}
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, dict):
            value[words.word()] = _value(extra, words, root, depth + 1)
        return value
    if kind == "array":
        count = 0 if depth >= _DEPTH else max(2, schema.get("minItems") or 0)
        return [_value(schema.get("items"), words, root, depth + 1) for _ in range(count)]
    if kind == "integer":
        return words.number()
    if kind == "number":
        return words.number() + 0.5
    if kind == "boolean":
        return words.number() % 2 == 0
    if kind == "null":
        return None
    return words.word()


def logprob_entries(piece: str, log_prob: float, top: int) -> dict[str, Any]:
    """The ``ChatCompletionTokenLogprob`` of one piece, with *top* alternatives."""
    alternatives = [
        {"token": token, "logprob": round(log_prob - 1 - rank, 4), "bytes": list(token.encode())}
        for rank, token in enumerate(t for t in VOCABULARY if t != piece.strip())
        if rank < max(top - 1, 0)
    ]
    entry = {"token": piece, "logprob": log_prob, "bytes": list(piece.encode())}
    return {**entry, "top_logprobs": [entry, *alternatives][:top]}
