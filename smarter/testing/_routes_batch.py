"""LLM Engine batch completion routes: v1 create, v2 create/get/update/cancel, job status.

As LLM Engine ``a8236961`` answers them, bugs included, in every profile but ``extended``
(where the v2 routes work as their DTOs describe):

- ``POST v1/llm/batch-completions`` -> ``{"job_id"}``
  (``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/llms_v1.py``);
  ``data_parallelism`` > 1 is a 400, a tool other than ``code_evaluator`` too.
- ``POST v2/batch-completions`` creates the job, then answers 500: its answer puts a dict
  in the ``Dict[str, str]`` field ``metadata``
  (``.../infra/services/live_llm_batch_completions_service.py``, ``create_batch_job``).
- ``GET v2/batch-completions/{id}``: 500 for any existing job (three validation errors in
  ``get_batch_job``), 404 for an unknown one. ``POST v2/batch-completions/{id}`` (priority):
  500, not implemented.
- ``POST v2/batch-completions/{id}/actions/cancel`` -> ``{"success"}``: the job is deleted
  (``.../infra/gateways/live_docker_image_batch_job_gateway.py``), so it reads as 404 after.
- ``GET v1/docker-image-batch-jobs/{id}`` -> ``{"status"}``, the status read that works;
  ``PUT`` with ``{"cancel": true}`` cancels (``.../api/batch_jobs_v1.py``).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from smarter.testing._batch import BatchJob
from smarter.testing._http import CONTEXT, REQUEST_ID, ApiError, Invalid, json_body, json_response
from smarter.testing._state import new_id

__all__ = ["routes"]

_DAY = 86400
_NOT_FOUND = "The specified batch job could not be found"


def _fixed(request: web.Request) -> bool:
    """Whether the v2 routes work (the ``extended`` profile) rather than as upstream."""
    return request.app[CONTEXT].profile.name == "extended"


def _check_content(invalid: Invalid, content: Any, *, v2: bool) -> None:
    if content is None:
        return
    if v2 and isinstance(content, list):
        for index, item in enumerate(content):
            if not isinstance(item, dict) or not ("prompt" in item or "messages" in item):
                invalid.add(("body", "content", index), "a completion or chat request")
        return
    if not isinstance(content, dict):
        invalid.add(("body", "content"), "Input should be a valid dictionary", "dict_type")
        return
    prompts = content.get("prompts")
    if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
        invalid.add(("body", "content", "prompts"), "Field required", "missing")
    if not isinstance(content.get("max_new_tokens"), int):
        invalid.add(("body", "content", "max_new_tokens"), "Field required", "missing")
    temperature = content.get("temperature")
    if isinstance(temperature, bool) or not isinstance(temperature, int | float):
        invalid.add(("body", "content", "temperature"), "Field required", "missing")
    elif not 0 <= temperature <= 1:
        invalid.add(("body", "content", "temperature"), "Input should be at most 1")


async def _create(request: web.Request, *, v2: bool) -> BatchJob:
    """Validate a create body (``CreateBatchCompletionsV1Request`` / ``...V2Request``)."""
    context = request.app[CONTEXT]
    body = await json_body(request)
    invalid = Invalid()
    if not isinstance(body.get("output_data_path"), str):
        invalid.add(("body", "output_data_path"), "Field required", "missing")
    config = body.get("model_config")
    if not isinstance(config, dict) or not isinstance(config.get("model"), str):
        invalid.add(("body", "model_config"), "Field required", "missing")
    _check_content(invalid, body.get("content"), v2=v2)
    runtime = body.get("max_runtime_sec", _DAY)
    if runtime is None:
        runtime = _DAY
    if not isinstance(runtime, int) or not 1 <= runtime <= 2 * _DAY:
        invalid.add(("body", "max_runtime_sec"), f"Input should be from 1 to {2 * _DAY}")
    invalid.raise_if_any()
    if not v2 and (body.get("data_parallelism") or 1) > 1:
        raise ApiError(400, "Data parallelism is disabled for batch completions.")
    tool = body.get("tool_config")
    if isinstance(tool, dict) and tool.get("name") != "code_evaluator":
        raise ApiError(400, "Only code_evaluator tool is supported for batch completions.")
    assert isinstance(config, dict)
    # v1 takes the job's labels from model_config.labels (CreateBatchCompletionsV1Request.
    # from_api_v1); v2 from the top level.
    labels = (body.get("labels") if v2 else config.get("labels")) or {}
    job = BatchJob(
        id=new_id("ft-", 20),
        api="v2" if v2 else "v1",
        model_config=config,
        output_data_path=body["output_data_path"],
        input_data_path=body.get("input_data_path"),
        content=body.get("content"),
        labels=dict(labels),
        priority=body.get("priority"),
        max_runtime_sec=runtime,
        step=context.job_step,
    )
    with context.state.lock:
        context.state.batch_jobs[job.id] = job
    job.finish_later()
    return job


def _job(request: web.Request, message: str) -> BatchJob:
    job = request.app[CONTEXT].state.batch_jobs.get(request.match_info["job_id"])
    if job is None:
        raise ApiError(404, message)
    return job


def _internal(request: web.Request, detail: str) -> web.Response:
    return json_response({"detail": f"{detail} request_id: {request[REQUEST_ID]}"}, status=500)


async def create_v1(request: web.Request) -> web.Response:
    """``POST v1/llm/batch-completions`` -> ``{"job_id"}``."""
    job = await _create(request, v2=False)
    return json_response({"job_id": job.id})


async def create_v2(request: web.Request) -> web.Response:
    """``POST v2/batch-completions``: the job, or upstream's 500 after creating it."""
    job = await _create(request, v2=True)
    if _fixed(request):
        return json_response(job.v2_body())
    return _internal(request, "Internal server error.")


async def get_v2(request: web.Request) -> web.Response:
    """``GET v2/batch-completions/{job_id}``: ``{"job"}``, or upstream's 500."""
    job = _job(request, f"Batch completion {request.match_info['job_id']} not found.")
    if _fixed(request):
        return json_response({"job": job.v2_body()})
    stamp = datetime.datetime.now(datetime.timezone.utc).isoformat()
    body = {
        "error": "Internal error occurred. Our team has been notified.",
        "timestamp": stamp,
        "request_id": request[REQUEST_ID],
    }
    return json_response(body, status=500)


async def update_v2(request: web.Request) -> web.Response:
    """``POST v2/batch-completions/{job_id}``: the priority; not implemented upstream."""
    body = await json_body(request)
    if not isinstance(body.get("job_id"), str):
        invalid = Invalid()
        invalid.add(("body", "job_id"), "Field required", "missing")
        invalid.raise_if_any()
    if not _fixed(request):
        return json_response({"detail": "Internal server error"}, status=500)
    job = _job(request, f"Batch completion {request.match_info['job_id']} not found.")
    job.priority = body.get("priority")
    return json_response({**job.v2_body(), "success": True})


def _cancel(request: web.Request) -> bool:
    context = request.app[CONTEXT]
    with context.state.lock:
        job = context.state.batch_jobs.get(request.match_info["job_id"])
        if job is None:
            return False
        if _fixed(request):
            if job.status() in ("PENDING", "RUNNING"):
                job.cancelled_at = time.monotonic()
        else:
            # The Kubernetes job is deleted: nothing reads it afterwards.
            del context.state.batch_jobs[job.id]
    return True


async def cancel_v2(request: web.Request) -> web.Response:
    """``POST v2/batch-completions/{job_id}/actions/cancel`` -> ``{"success"}``."""
    return json_response({"success": _cancel(request)})


async def job_status(request: web.Request) -> web.Response:
    """``GET v1/docker-image-batch-jobs/{job_id}`` -> ``{"status"}``."""
    return json_response({"status": _job(request, _NOT_FOUND).status()})


async def job_update(request: web.Request) -> web.Response:
    """``PUT v1/docker-image-batch-jobs/{job_id}`` with ``{"cancel": bool}``."""
    body = await json_body(request)
    if not isinstance(body.get("cancel"), bool):
        invalid = Invalid()
        invalid.add(("body", "cancel"), "Field required", "missing")
        invalid.raise_if_any()
    _job(request, _NOT_FOUND)
    return json_response({"success": bool(body["cancel"]) and _cancel(request)})


_ROUTES: tuple[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]], ...] = (
    ("POST", "v1/llm/batch-completions", create_v1),
    ("GET", "v1/docker-image-batch-jobs/{job_id}", job_status),
    ("PUT", "v1/docker-image-batch-jobs/{job_id}", job_update),
    ("POST", "v2/batch-completions", create_v2),
    ("GET", "v2/batch-completions/{job_id}", get_v2),
    ("POST", "v2/batch-completions/{job_id}", update_v2),
    ("POST", "v2/batch-completions/{job_id}/actions/cancel", cancel_v2),
)


def routes(base: str) -> list[web.RouteDef]:
    """The route table under ``base`` (the LLM Engine's root)."""
    return [web.route(method, base + path, handler) for method, path, handler in _ROUTES]
