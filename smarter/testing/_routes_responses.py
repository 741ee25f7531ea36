"""OpenAI's ``responses`` route, plain and streamed (the OpenAI mount only).

LLM Engine serves no ``v2/responses`` (``scaleapi/llm-engine@a8236961:model-engine/
model_engine_server/api/v2/__init__.py``). The body is ``CreateResponse``, the answer a
``Response`` with one assistant message (``openai/openai-openapi@f85dbe2:openapi.yaml``);
its text is the fake model's, or an instance of a ``text.format`` JSON schema.

With ``"stream": true`` the answer is the event stream of the spec's "Streaming" example:
``event: <type>`` and ``data: <json>`` per event, each with its ``sequence_number``, no
``[DONE]``: ``response.created``, ``response.in_progress``, ``response.output_item.added``,
``response.content_part.added``, one ``response.output_text.delta`` per piece of text,
``response.output_text.done``, ``response.content_part.done``,
``response.output_item.done`` and ``response.completed``. A scripted in-stream error is an
``error`` event (``ResponseErrorEvent``), after which the body ends.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from smarter.testing._faults import Fault
from smarter.testing._http import json_body, json_response
from smarter.testing._model import count_words
from smarter.testing._openai_answers import answer, bad
from smarter.testing._routes_llm import last_event_id
from smarter.testing._routes_openai import check_number, last_user_text, limit_of, messages_of
from smarter.testing._sse import run_stream
from smarter.testing._state import new_id

__all__ = ["responses", "routes"]


def _error_event(fault: Fault) -> str:
    code = "rate_limit_exceeded" if fault.error_status == 429 else "server_error"
    error = {"type": "error", "code": code, "message": fault.error_message, "param": None}
    return json.dumps({**error, "sequence_number": 0})


async def responses(request: web.Request) -> web.StreamResponse:
    """``POST responses``: a ``response`` with one assistant message, or its events."""
    start = last_event_id(request)
    body = await json_body(request)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad("'model' is required.", "model")
    raw_input = body.get("input")
    if isinstance(raw_input, str):
        text = raw_input
    else:
        text = last_user_text(messages_of(raw_input, "input"))
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise bad("'instructions' must be a string.", "instructions")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise bad("'stream' must be a boolean.", "stream")
    check_number(body, "temperature", 0, 2, (int, float))
    limit = limit_of(body, "max_output_tokens")
    prompt = f"{instructions}\n{text}" if instructions else text
    found = answer(body, prompt, limit, 0, after_tool=False)
    content = found.content or ""
    input_tokens = count_words(prompt)
    message = {
        "type": "message",
        "id": new_id("msg_"),
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": content, "annotations": []}],
    }
    usage = {
        "input_tokens": input_tokens,
        "output_tokens": found.completion_tokens,
        "total_tokens": input_tokens + found.completion_tokens,
    }
    whole: dict[str, Any] = {
        "id": new_id("resp_"),
        "object": "response",
        "created_at": int(time.time()),
        "model": model,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": instructions,
        "max_output_tokens": limit,
        "output": [message],
        "usage": usage,
    }
    if not stream:
        return json_response(whole)
    events = [(kind, data) for kind, data in _events(whole, message, found.pieces)]
    numbered = (
        (index, json.dumps({"type": kind, **data, "sequence_number": index}), kind)
        for index, (kind, data) in enumerate(events)
        if index >= start
    )
    return await run_stream(request, numbered, error_data=_error_event, error_name="error")


def _events(
    whole: dict[str, Any], message: dict[str, Any], pieces: list[str]
) -> list[tuple[str, dict[str, Any]]]:
    started = {**whole, "status": "in_progress", "output": [], "usage": None}
    item_id = message["id"]
    where = {"item_id": item_id, "output_index": 0, "content_index": 0}
    text = message["content"][0]["text"]
    empty = {"type": "output_text", "text": "", "annotations": []}
    events: list[tuple[str, dict[str, Any]]] = [
        ("response.created", {"response": started}),
        ("response.in_progress", {"response": started}),
        (
            "response.output_item.added",
            {"output_index": 0, "item": {**message, "status": "in_progress", "content": []}},
        ),
        ("response.content_part.added", {**where, "part": empty}),
    ]
    events += [
        ("response.output_text.delta", {**where, "delta": piece, "logprobs": []})
        for piece in pieces
    ]
    events += [
        ("response.output_text.done", {**where, "text": text, "logprobs": []}),
        ("response.content_part.done", {**where, "part": message["content"][0]}),
        ("response.output_item.done", {"output_index": 0, "item": message}),
        ("response.completed", {"response": whole}),
    ]
    return events


def routes(base: str) -> list[web.RouteDef]:
    """The responses route under ``base`` (``"/openai/v1/"``)."""
    return [web.post(base + "responses", responses)]
