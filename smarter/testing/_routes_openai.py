"""OpenAI-compatible routes: ``chat/completions`` (plain and streamed) and ``responses``.

Two servers answer chat completions: the OpenAI-compatible one (``/openai/v1/``), whose
errors are ``{"error": {"message", "type", "param", "code"}}`` and whose streams end with
``data: [DONE]``; and the LLM Engine's ``v2/chat/completions``
(``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/v2/chat_completion.py``),
which answers FastAPI errors, leaves null keys out of its chunks, sends no ``[DONE]`` (the
body just ends), and reports a failure mid-stream as ``{"error": {"status_code", "content":
{"error", "timestamp"}}}``. Any model name is accepted: the fake model answers for all.

The answer is the fake model's words for the last user message. Its length is
``max_tokens`` (``max_output_tokens``), default 16; ``finish_reason`` is ``"length"`` when the
caller's own ``max_tokens`` cut the answer, and ``"stop"`` when the default length or a
``stop`` sequence ended it.

In the ``extended`` profile chat streams carry ids like completion streams (so
``Last-Event-ID`` resumes them); their keep-alives are ``: ping`` comments only: an OpenAI
chunk has no null form.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from smarter.testing._faults import Fault
from smarter.testing._http import ApiError, json_body, json_response
from smarter.testing._model import count_words, generate, json_answer
from smarter.testing._routes_llm import last_event_id
from smarter.testing._sse import run_stream
from smarter.testing._state import new_id

__all__ = ["engine_routes", "routes"]

_DEFAULT_TOKENS = 16
_MAX_TOKENS = 200_000


def _bad(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, code="invalid_value" if param else None)


def _text_of(content: Any) -> str:
    """The text of a message's content: a string, or a list of ``{"type": "text"}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get("text", "") for part in content if isinstance(part, dict)]
        return " ".join(part for part in parts if isinstance(part, str))
    return ""


def _messages(value: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise _bad(f"'{name}' must be a non-empty list of messages.", name)
    for index, message in enumerate(value):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise _bad(f"'{name}[{index}]' must be an object with a 'role'.", name)
    return value


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            return _text_of(message.get("content"))
    return _text_of(messages[-1].get("content"))


def _optional_number(body: dict[str, Any], name: str, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise _bad(f"'{name}' must be a number from {low} to {high}.", name)


def _limit(body: dict[str, Any], *names: str) -> int | None:
    for name in names:
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_TOKENS:
            raise _bad(f"'{name}' must be an integer from 1 to {_MAX_TOKENS}.", name)
        return value
    return None


def _json_mode(body: dict[str, Any]) -> bool:
    response_format = body.get("response_format")
    if response_format is None:
        text = body.get("text")
        response_format = text.get("format") if isinstance(text, dict) else None
    if response_format is None:
        return False
    if not isinstance(response_format, dict) or response_format.get("type") not in (
        "text",
        "json_object",
        "json_schema",
    ):
        raise _bad("'response_format.type' must be 'text', 'json_object' or 'json_schema'.")
    return bool(response_format["type"] != "text")


@dataclasses.dataclass(frozen=True)
class _Answer:
    pieces: list[str]
    """What a stream sends as content deltas; their concatenation is ``content``."""
    finish_reason: str
    completion_tokens: int

    @property
    def content(self) -> str:
        return "".join(self.pieces)


def _answer(body: dict[str, Any], prompt: str, limit: int | None, choice: int = 0) -> _Answer:
    stop = body.get("stop")
    strings = isinstance(stop, list) and all(isinstance(item, str) for item in stop)
    if stop is not None and not isinstance(stop, str) and not strings:
        raise _bad("'stop' must be a string or a list of strings.", "stop")
    stops = [stop] if isinstance(stop, str) else list(stop or ())
    generation = generate(
        prompt,
        limit or _DEFAULT_TOKENS,
        temperature=body.get("temperature"),
        stop=stops,
        choice=choice,
    )
    pieces = list(generation.tokens)
    if pieces:
        pieces[0] = pieces[0].lstrip()
    if _json_mode(body):
        pieces = json_answer("".join(pieces))
    reason = "length" if limit is not None and not generation.stopped else "stop"
    return _Answer(pieces, reason, len(generation.tokens))


def _completion_id(request: web.Request) -> str:
    # Derived from the client's logical request id when it sends one, so that a resumed
    # stream keeps the id of the stream it continues.
    seed = request.headers.get("X-Smarter-RequestId")
    if not seed:
        return new_id("chatcmpl-")
    return "chatcmpl-" + hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()


def _chat_events(
    head: str, answer: _Answer, start: int, *, engine: bool
) -> Iterator[tuple[int, str]]:
    # Event 0 announces the role, events 1..n carry the content, n+1 the finish reason,
    # n+2 is [DONE] (not on the LLM Engine); the ids are these indexes, so Last-Event-ID
    # resumes anywhere.
    count = len(answer.pieces)
    tail = "" if engine else ',"logprobs":null,"finish_reason":null'
    for index in range(start, count + 3):
        if index == 0:
            delta, end = '{"role":"assistant","content":""}', tail
        elif index <= count:
            delta, end = '{"content":' + json.dumps(answer.pieces[index - 1]) + "}", tail
        elif index == count + 1:
            finish = json.dumps(answer.finish_reason)
            delta = "{}"
            end = (
                f',"finish_reason":{finish}'
                if engine
                else f',"logprobs":null,"finish_reason":{finish}'
            )
        else:
            if not engine:
                yield index, "[DONE]"
            return
        yield index, f"{head}{delta}{end}}}]}}"


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
        raise _bad("'model' is required.", "model")
    messages = _messages(body.get("messages"), "messages")
    _optional_number(body, "temperature", 0, 2)
    limit = _limit(body, "max_tokens", "max_completion_tokens")
    count = body.get("n", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 8:
        raise _bad("'n' must be an integer from 1 to 8.", "n")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise _bad("'stream' must be a boolean.", "stream")
    prompt = _last_user_text(messages)
    completion_id = _completion_id(request)
    created = int(time.time())
    if stream:
        answer = _answer(body, prompt, limit)
        head = (
            f'{{"id":{json.dumps(completion_id)},"object":"chat.completion.chunk",'
            f'"created":{created},"model":{json.dumps(model)},"choices":[{{"index":0,"delta":'
        )
        events = _chat_events(head, answer, start, engine=engine)
        return await run_stream(
            request, events, error_data=_engine_error if engine else _chat_error
        )
    answers = [_answer(body, prompt, limit, choice) for choice in range(count)]
    prompt_tokens = sum(count_words(_text_of(message.get("content"))) for message in messages)
    completion_tokens = sum(answer.completion_tokens for answer in answers)
    message: dict[str, Any] = {"role": "assistant", "refusal": None}
    if engine:
        # The LLM Engine's DTO sends every key of vLLM's message, null when unset.
        message.update(
            annotations=None, audio=None, function_call=None, tool_calls=None,
            reasoning_content=None,
        )  # fmt: skip
    choices = [
        {
            "index": index,
            "message": {**message, "content": answer.content},
            "logprobs": None,
            "finish_reason": answer.finish_reason,
        }
        for index, answer in enumerate(answers)
    ]
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    completion: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": choices,
        "usage": usage,
    }
    if engine:
        usage.update(completion_tokens_details=None, prompt_tokens_details=None)
        completion.update(service_tier=None, system_fingerprint=None)
    return json_response(completion)


async def responses(request: web.Request) -> web.Response:
    """``POST responses``: a ``response`` with one assistant message."""
    body = await json_body(request)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("'model' is required.", "model")
    raw_input = body.get("input")
    if isinstance(raw_input, str):
        text = raw_input
    else:
        text = _last_user_text(_messages(raw_input, "input"))
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise _bad("'instructions' must be a string.", "instructions")
    if body.get("stream"):
        raise _bad("The reference server does not stream responses.", "stream")
    _optional_number(body, "temperature", 0, 2)
    limit = _limit(body, "max_output_tokens")
    prompt = f"{instructions}\n{text}" if instructions else text
    answer = _answer(body, prompt, limit)
    input_tokens = count_words(prompt)
    message = {
        "type": "message",
        "id": new_id("msg_"),
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": answer.content, "annotations": []}],
    }
    usage = {
        "input_tokens": input_tokens,
        "output_tokens": answer.completion_tokens,
        "total_tokens": input_tokens + answer.completion_tokens,
    }
    return json_response(
        {
            "id": new_id("resp_"),
            "object": "response",
            "created_at": int(time.time()),
            "model": model,
            "status": "completed",
            "instructions": instructions,
            "max_output_tokens": limit,
            "output": [message],
            "usage": usage,
        }
    )


def routes(base: str) -> list[web.RouteDef]:
    """The OpenAI-compatible route table under ``base`` (``"/openai/v1/"``)."""
    return [
        web.post(base + "chat/completions", chat_completions),
        web.post(base + "responses", responses),
    ]


def engine_routes(base: str) -> list[web.RouteDef]:
    """The LLM Engine's OpenAI-style routes under ``base`` (``"/v2/"``)."""
    return [web.post(base + "chat/completions", engine_chat_completions)]
