"""OpenAI-compatible ``chat/completions`` (plain and streamed), on two servers.

Two servers answer chat completions: the OpenAI-compatible one (``/openai/v1/``), whose
errors are ``{"error": {"message", "type", "param", "code"}}`` and whose streams end with
``data: [DONE]``; and the LLM Engine's ``v2/chat/completions``
(``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/v2/chat_completion.py``),
which answers FastAPI errors, leaves null keys out of its chunks, sends no ``[DONE]`` (the
body just ends), and reports a failure mid-stream as ``{"error": {"status_code", "content":
{"error", "timestamp"}}}``. Any model name is accepted: the fake model answers for all, with
text, JSON or tool calls (:mod:`smarter.testing._openai_answers`).

The answer's length is ``max_tokens`` (``max_completion_tokens``), default 16;
``finish_reason`` is ``"length"`` when the caller's own limit cut the answer, ``"stop"``
when the default length or a ``stop`` sequence ended it, ``"tool_calls"`` after tool calls.
A stream sends, per choice, a role chunk, one chunk per content piece (or, for tool calls, a
header chunk per call with its id and name, then its arguments in fragments), and a finish
chunk; with ``stream_options={"include_usage": true}`` a last chunk of no choices has the
usage (``openai/openai-openapi@f85dbe2:openapi.yaml``, ``ChatCompletionStreamOptions``).

In the ``extended`` profile chat streams carry ids like completion streams (so
``Last-Event-ID`` resumes them); their keep-alives are ``: ping`` comments only: an OpenAI
chunk has no null form.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from smarter.testing._faults import Fault
from smarter.testing._http import json_body, json_response
from smarter.testing._model import count_words
from smarter.testing._openai_answers import Answer, answer, bad, logprob_entries, pieces_of
from smarter.testing._routes_llm import last_event_id
from smarter.testing._sse import run_stream
from smarter.testing._state import new_id

__all__ = [
    "check_number",
    "engine_routes",
    "last_user_text",
    "limit_of",
    "messages_of",
    "routes",
    "text_of",
]

_MAX_TOKENS = 200_000
_ARGUMENT_PIECE = 9  # characters of arguments per streamed tool-call fragment


def text_of(content: Any) -> str:
    """The text of a message's content: a string, or a list of ``{"type": "text"}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get("text", "") for part in content if isinstance(part, dict)]
        return " ".join(part for part in parts if isinstance(part, str))
    return ""


def messages_of(value: Any, name: str) -> list[dict[str, Any]]:
    """A non-empty list of messages with a ``role``, or a 400 naming *name*."""
    if not isinstance(value, list) or not value:
        raise bad(f"'{name}' must be a non-empty list of messages.", name)
    for index, message in enumerate(value):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise bad(f"'{name}[{index}]' must be an object with a 'role'.", name)
    return value


def last_user_text(messages: list[dict[str, Any]]) -> str:
    """The prompt: the last user message (or, after a tool's answer, that answer)."""
    for message in reversed(messages):
        if message["role"] in ("user", "tool"):
            return text_of(message.get("content"))
    return text_of(messages[-1].get("content"))


def check_number(body: dict[str, Any], name: str, low: float, high: float, kind: Any) -> None:
    """A 400 unless ``body[name]`` is absent or a *kind* from *low* to *high*."""
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:
        raise bad(f"'{name}' must be a number from {low} to {high}.", name)


def limit_of(body: dict[str, Any], *names: str) -> int | None:
    """The caller's token limit (the first of *names* given), or None."""
    for name in names:
        if body.get(name) is not None:
            check_number(body, name, 1, _MAX_TOKENS, int)
            return int(body[name])
    return None


def _check(body: dict[str, Any], stream: bool) -> None:
    check_number(body, "temperature", 0, 2, (int, float))
    check_number(body, "top_p", 0, 1, (int, float))
    check_number(body, "top_logprobs", 0, 20, int)
    check_number(body, "seed", -(2**63), 2**63 - 1, int)
    for name, kind in (("logprobs", bool), ("parallel_tool_calls", bool), ("user", str)):
        if body.get(name) is not None and not isinstance(body[name], kind):
            raise bad(f"'{name}' must be a {kind.__name__}.", name)
    if body.get("top_logprobs") is not None and body.get("logprobs") is not True:
        raise bad("'logprobs' must be true when 'top_logprobs' is set.", "top_logprobs")
    options = body.get("stream_options")
    if options is not None and (not stream or not isinstance(options, dict)):
        raise bad("'stream_options' is only allowed (as an object) with 'stream'.", "stream")
    stop = body.get("stop")
    strings = isinstance(stop, list) and all(isinstance(item, str) for item in stop)
    if stop is not None and not isinstance(stop, str) and not strings:
        raise bad("'stop' must be a string or a list of strings.", "stop")


def _completion_id(request: web.Request) -> str:
    # Derived from the client's logical request id when it sends one, so that a resumed
    # stream keeps the id of the stream it continues.
    seed = request.headers.get("X-Smarter-RequestId")
    if not seed:
        return new_id("chatcmpl-")
    return "chatcmpl-" + hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()


def _logprobs(body: dict[str, Any], pieces: list[str], log_probs: list[float]) -> Any:
    if body.get("logprobs") is not True:
        return None
    top = body.get("top_logprobs") or 0
    content = [logprob_entries(p, lp, top) for p, lp in zip(pieces, log_probs, strict=False)]
    return {"content": content, "refusal": None}


def _message(found: Answer, *, engine: bool) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": found.content, "refusal": None}
    if engine:
        # The LLM Engine's DTO sends every key of vLLM's message, null when unset.
        message.update(
            annotations=None, audio=None, function_call=None, tool_calls=None,
            reasoning_content=None,
        )  # fmt: skip
    if found.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in found.tool_calls
        ]
    return message


def _deltas(found: Answer, body: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Any]]:
    """The (delta, logprobs) of each chunk of one choice, the finish chunk excepted."""
    if found.tool_calls:
        yield {"role": "assistant", "content": None}, None
        for index, call in enumerate(found.tool_calls):
            head = {"index": index, "id": call.id, "type": "function"}
            yield {"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]}, None
            for piece in pieces_of(call.arguments, _ARGUMENT_PIECE):
                yield {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}, None
        return
    yield {"role": "assistant", "content": ""}, _logprobs(body, [], [])
    for piece, log_prob in zip(found.pieces, found.log_probs, strict=False):
        yield {"content": piece}, _logprobs(body, [piece], [log_prob])


def _chunks(
    head: dict[str, Any], answers: list[Answer], body: dict[str, Any], usage: dict[str, Any],
    *, engine: bool,
) -> list[str]:  # fmt: skip
    """Every chunk's data, in order: each choice in turn, then the usage chunk if asked."""
    events = []
    for index, found in enumerate(answers):
        steps: list[tuple[dict[str, Any], Any, str | None]] = [
            (delta, logprobs, None) for delta, logprobs in _deltas(found, body)
        ]
        for delta, logprobs, reason in [*steps, ({}, None, found.finish_reason)]:
            choice: dict[str, Any] = {"index": index, "delta": delta}
            choice.update(logprobs=logprobs, finish_reason=reason)
            chunk = {**head, "choices": [choice]}
            events.append(json.dumps(_without_nulls(chunk) if engine else chunk))
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append(json.dumps({**head, "choices": [], "usage": usage}))
    if not engine:
        events.append("[DONE]")
    return events


def _without_nulls(value: Any) -> Any:
    # pydantic's model_dump_json(exclude_none=True), as LLM Engine v2 sends its chunks.
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _chat_error(fault: Fault) -> str:
    error = {"message": fault.error_message, "type": "server_error", "code": fault.error_status}
    return json.dumps({"error": error})


def _engine_error(fault: Fault) -> str:
    # LLM Engine v2: the upstream error relayed, no request id (api/v2/chat_completion.py).
    content = {"error": fault.error_message, "timestamp": time.strftime("%Y-%m-%d %H:%M:%S")}
    return json.dumps({"error": {"status_code": fault.error_status, "content": content}})


async def chat_completions(request: web.Request) -> web.StreamResponse:
    """``POST chat/completions``, a ``chat.completion`` or, with ``stream``, its chunks."""
    return await _chat(request, engine=False)


async def engine_chat_completions(request: web.Request) -> web.StreamResponse:
    """``POST v2/chat/completions`` of the LLM Engine."""
    return await _chat(request, engine=True)


async def _chat(request: web.Request, *, engine: bool) -> web.StreamResponse:
    start = last_event_id(request)
    body = await json_body(request)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad("'model' is required.", "model")
    messages = messages_of(body.get("messages"), "messages")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise bad("'stream' must be a boolean.", "stream")
    _check(body, stream)
    limit = limit_of(body, "max_tokens", "max_completion_tokens")
    count = body.get("n", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 8:
        raise bad("'n' must be an integer from 1 to 8.", "n")
    prompt = last_user_text(messages)
    after_tool = messages[-1]["role"] == "tool"
    answers = [answer(body, prompt, limit, i, after_tool=after_tool) for i in range(count)]
    prompt_tokens = sum(count_words(text_of(message.get("content"))) for message in messages)
    completion_tokens = sum(found.completion_tokens for found in answers)
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    head = {
        "id": _completion_id(request),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }
    if stream:
        chunks = _chunks(head, answers, body, usage, engine=engine)
        events = ((index, data) for index, data in enumerate(chunks) if index >= start)
        return await run_stream(
            request, events, error_data=_engine_error if engine else _chat_error
        )
    choices = [
        {
            "index": index,
            "message": _message(found, engine=engine),
            "logprobs": _logprobs(body, found.pieces, found.log_probs),
            "finish_reason": found.finish_reason,
        }
        for index, found in enumerate(answers)
    ]
    completion: dict[str, Any] = {**head, "object": "chat.completion", "choices": choices}
    completion["usage"] = usage
    if engine:
        usage.update(completion_tokens_details=None, prompt_tokens_details=None)
        completion.update(service_tier=None, system_fingerprint=None)
    return json_response(completion)


def routes(base: str) -> list[web.RouteDef]:
    """The chat route under ``base`` (``"/openai/v1/"``); ``responses`` is its own module."""
    return [web.post(base + "chat/completions", chat_completions)]


def engine_routes(base: str) -> list[web.RouteDef]:
    """The LLM Engine's OpenAI-style routes under ``base`` (``"/v2/"``); no ``responses``."""
    return [web.post(base + "chat/completions", engine_chat_completions)]
