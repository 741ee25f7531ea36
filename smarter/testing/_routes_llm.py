"""LLM Engine v1 routes: completions (sync and streamed) and fine-tuning jobs.

Errors use the FastAPI shapes of the real server: ``{"detail": str}``, and for validation
(422) ``{"detail": [{"loc", "msg", "type"}]}``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiohttp import web

from smarter.testing._faults import Fault
from smarter.testing._http import (
    CONTEXT,
    REQUEST_ID,
    ApiError,
    Invalid,
    json_body,
    json_response,
    paginate,
)
from smarter.testing._model import Generation, count_words, generate
from smarter.testing._sse import run_stream
from smarter.testing._state import FineTuneJob, new_id

__all__ = ["last_event_id", "routes"]

_MAX_NEW_TOKENS = 200_000
_SUFFIX_MAX = 28


# -- completions -----------------------------------------------------------------------


def _number(low: float, high: float, *, open_low: bool = False) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return (low < value if open_low else low <= value) and value <= high

    return check


def _integer(low: int, high: int) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high

    return check


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _string(value: Any) -> bool:
    return isinstance(value, str)


# name: (required, predicate, what a valid value is)
_COMPLETION_FIELDS: dict[str, tuple[bool, Callable[[Any], bool], str]] = {
    "prompt": (True, _string, "a string"),
    "max_new_tokens": (
        True,
        _integer(1, _MAX_NEW_TOKENS),
        f"an integer from 1 to {_MAX_NEW_TOKENS}",
    ),
    "temperature": (True, _number(0, 1), "a number from 0 to 1"),
    "top_p": (False, _number(0, 1, open_low=True), "a number, 0 < top_p <= 1"),
    "top_k": (False, _integer(-1, 2**31), "an integer >= -1"),
    "presence_penalty": (False, _number(0, 2), "a number from 0 to 2"),
    "frequency_penalty": (False, _number(0, 2), "a number from 0 to 2"),
    "stop_sequences": (False, _strings, "a list of strings"),
    "return_token_log_probs": (False, _boolean, "a boolean"),
    "include_stop_str_in_output": (False, _boolean, "a boolean"),
    "skip_special_tokens": (False, _boolean, "a boolean"),
    "guided_choice": (False, _strings, "a list of strings"),
    "guided_regex": (False, _string, "a string"),
    "guided_grammar": (False, _string, "a string"),
}


def _check_completion(body: dict[str, Any]) -> None:
    invalid = Invalid()
    for name, (required, valid, what) in _COMPLETION_FIELDS.items():
        value = body.get(name)
        if value is None:
            if required:
                invalid.add(("body", name), "field required", "value_error.missing")
        elif not valid(value):
            invalid.add(("body", name), f"{name} must be {what}")
    invalid.raise_if_any()


async def _completion_request(request: web.Request) -> tuple[dict[str, Any], Generation]:
    """Validate a completion request and run the fake model on it."""
    context = request.app[CONTEXT]
    model = request.query.get("model_endpoint_name")
    if not model:
        invalid = Invalid()
        invalid.add(("query", "model_endpoint_name"), "field required", "value_error.missing")
        invalid.raise_if_any()
    body = await json_body(request)
    _check_completion(body)
    if model not in context.state.endpoints:
        raise ApiError(404, f"The specified model endpoint {model!r} was not found.")
    prompt: str = body["prompt"]
    choices = body.get("guided_choice")
    if choices:
        digest = hashlib.blake2b(prompt.encode(), digest_size=4).digest()
        pick = choices[int.from_bytes(digest, "little") % len(choices)]
        generation = Generation([pick], [-0.01], count_words(prompt), stopped=False)
        return body, generation
    generation = generate(
        prompt,
        body["max_new_tokens"],
        temperature=body.get("temperature"),
        top_k=body.get("top_k"),
        top_p=body.get("top_p"),
        stop=body.get("stop_sequences") or (),
        include_stop=bool(body.get("include_stop_str_in_output")),
    )
    return body, generation


async def completions_sync(request: web.Request) -> web.Response:
    """``POST llm/completions-sync?model_endpoint_name=``."""
    body, generation = await _completion_request(request)
    tokens = None
    if body.get("return_token_log_probs"):
        pairs = zip(generation.tokens, generation.log_probs, strict=True)
        tokens = [{"token": token, "log_prob": log_prob} for token, log_prob in pairs]
    output = {
        "text": generation.text,
        "num_prompt_tokens": generation.num_prompt_tokens,
        "num_completion_tokens": len(generation.tokens),
        "tokens": tokens,
    }
    return json_response({"request_id": request[REQUEST_ID], "output": output})


def last_event_id(request: web.Request) -> int:
    """The index of the first event to send: one past ``Last-Event-ID``, or 0.

    Only the ``extended`` profile resumes: the real servers ignore the header.

    Raises:
        ApiError: 400 when the header is not an integer.
    """
    raw = request.headers.get("Last-Event-ID")
    if raw is None or not raw.strip() or not request.app[CONTEXT].profile.event_ids:
        return 0  # the real servers send no event ids and ignore the header
    try:
        return max(0, int(raw.strip()) + 1)
    except ValueError:
        raise ApiError(400, f"Last-Event-ID must be an integer, not {raw!r}") from None


def _completion_events(
    request_id: str, generation: Generation, log_probs: bool, start: int
) -> Iterator[tuple[int, str]]:
    # Built from string pieces: json.dumps of a dict per event would dominate the cost of
    # a 50,000-event stream.
    head = '{"request_id":' + json.dumps(request_id) + ',"output":{"text":'
    tokens = generation.tokens or [""]
    last = len(tokens) - 1
    quoted: dict[str, str] = {}
    for index in range(start, len(tokens)):
        token = tokens[index]
        text = quoted.get(token)
        if text is None:
            text = quoted[token] = json.dumps(token)
        detail = "null"
        if log_probs and generation.tokens:
            detail = f'{{"token":{text},"log_prob":{generation.log_probs[index]}}}'
        if index == last:
            counts = (
                f'"finished":true,"num_prompt_tokens":{generation.num_prompt_tokens},'
                f'"num_completion_tokens":{len(generation.tokens)}'
            )
        else:
            counts = '"finished":false,"num_prompt_tokens":null,"num_completion_tokens":null'
        yield index, f'{head}{text},{counts},"token":{detail}}},"error":null}}'


async def completions_stream(request: web.Request) -> web.StreamResponse:
    """``POST llm/completions-stream?model_endpoint_name=``: one event per token."""
    start = last_event_id(request)
    body, generation = await _completion_request(request)
    request_id = request[REQUEST_ID]
    events = _completion_events(
        request_id, generation, bool(body.get("return_token_log_probs")), start
    )

    def error_data(fault: Fault) -> str:
        stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        content = {"error": fault.error_message, "timestamp": stamp}
        error = {"status_code": fault.error_status, "content": content}
        return json.dumps({"request_id": request_id, "output": None, "error": error})

    keepalive = json.dumps({"request_id": request_id, "output": None, "error": None})
    return await run_stream(request, events, error_data=error_data, keepalive_data=keepalive)


# -- fine-tunes ------------------------------------------------------------------------


def _job(request: web.Request) -> FineTuneJob:
    job = request.app[CONTEXT].state.jobs.get(request.match_info["job_id"])
    if job is None:
        raise ApiError(404, f"Fine-tune job {request.match_info['job_id']!r} was not found.")
    return job


def _check_file_reference(request: web.Request, name: str, value: str) -> None:
    if value.startswith(("http://", "https://")):
        return
    if value not in request.app[CONTEXT].state.files:
        raise ApiError(400, f"{name} {value!r} is neither an uploaded file id nor a URL.")


async def create_fine_tune(request: web.Request) -> web.Response:
    """``POST llm/fine-tunes`` -> ``{"id": "ft-..."}``."""
    context = request.app[CONTEXT]
    body = await json_body(request)
    invalid = Invalid()
    for name in ("model", "training_file"):
        if not isinstance(body.get(name), str) or not body[name]:
            invalid.add(("body", name), "field required", "value_error.missing")
    for name in ("hyperparameters", "wandb_config"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            invalid.add(("body", name), f"{name}: must be an object", "type_error.dict")
    for name in ("validation_file", "suffix"):
        if body.get(name) is not None and not isinstance(body[name], str):
            invalid.add(("body", name), f"{name}: must be a string", "type_error.str")
    suffix = body.get("suffix")
    if isinstance(suffix, str) and len(suffix) > _SUFFIX_MAX:
        invalid.add(("body", "suffix"), f"suffix: at most {_SUFFIX_MAX} characters")
    invalid.raise_if_any()
    _check_file_reference(request, "training_file", body["training_file"])
    if body.get("validation_file"):
        _check_file_reference(request, "validation_file", body["validation_file"])
    job = FineTuneJob(
        id=new_id("ft-"),
        model=body["model"],
        training_file=body["training_file"],
        validation_file=body.get("validation_file"),
        hyperparameters=dict(body.get("hyperparameters") or {}),
        wandb_config=body.get("wandb_config"),
        suffix=suffix,
        step=context.job_step,
    )
    with context.state.lock:
        context.state.jobs[job.id] = job
    return json_response({"id": job.id})


async def list_fine_tunes(request: web.Request) -> web.Response:
    """``GET llm/fine-tunes``: jobs in creation order, oldest first."""
    jobs = list(request.app[CONTEXT].state.jobs.values())
    return json_response(paginate(request, "jobs", jobs, FineTuneJob.public))


async def get_fine_tune(request: web.Request) -> web.Response:
    """``GET llm/fine-tunes/{job_id}``."""
    return json_response(_job(request).public())


async def cancel_fine_tune(request: web.Request) -> web.Response:
    """``PUT llm/fine-tunes/{job_id}/cancel``: false once the job has finished."""
    context = request.app[CONTEXT]
    job = _job(request)
    with context.state.lock:
        status = job.status()
        if status in ("PENDING", "RUNNING"):
            job.cancelled_at = time.monotonic()
    return json_response({"success": status != "SUCCESS"})


_EVENT_MESSAGES = {
    "PENDING": "Fine-tune job created; waiting for a worker.",
    "RUNNING": "Training started.",
    "SUCCESS": "Training finished; the fine-tuned model is ready.",
    "CANCELLED": "Fine-tune job cancelled.",
}


async def fine_tune_events(request: web.Request) -> web.Response:
    """``GET llm/fine-tunes/{job_id}/events``: one event per status reached."""
    events = [
        {"timestamp": at, "message": _EVENT_MESSAGES[status], "level": "info"}
        for status, at in _job(request).timeline()
    ]
    return json_response({"events": events})


_ROUTES: tuple[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]], ...] = (
    ("POST", "llm/completions-sync", completions_sync),
    ("POST", "llm/completions-stream", completions_stream),
    ("POST", "llm/fine-tunes", create_fine_tune),
    ("GET", "llm/fine-tunes", list_fine_tunes),
    ("GET", "llm/fine-tunes/{job_id}", get_fine_tune),
    ("PUT", "llm/fine-tunes/{job_id}/cancel", cancel_fine_tune),
    ("GET", "llm/fine-tunes/{job_id}/events", fine_tune_events),
)


def routes(base: str) -> list[web.RouteDef]:
    """The route table under ``base`` (``"/api/v1/"``)."""
    return [web.route(method, base + path, handler) for method, path, handler in _ROUTES]
