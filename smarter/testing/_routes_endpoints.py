"""LLM Engine model endpoint routes: create, update, list, get, delete, download.

Create and update answer at once with a task id; the endpoint is then ``UPDATE_PENDING``
for ``job_step`` seconds, ``UPDATE_IN_PROGRESS`` for another, then ``READY``
(``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/common/types/
endpoint.py``). Bodies: ``.../common/dtos/llms/model_endpoints.py``
(``CreateLLMModelEndpointV1Request``, ``UpdateLLMModelEndpointV1Request``); errors:
``.../api/llms_v1.py`` and ``.../domain/use_cases/llm_model_endpoint_use_cases.py``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from smarter.testing._http import CONTEXT, ApiError, Invalid, json_body, json_response, paginate
from smarter.testing._state import ModelEndpoint, make_endpoint, new_id

__all__ = ["routes"]

_FRAMEWORKS = (
    "vllm",
    "sglang",
    "deepspeed",
    "text_generation_inference",
    "lightllm",
    "tensorrt_llm",
)
#: Frameworks an update may name (UpdateLLMModelEndpointV1Request has no other variants).
_UPDATABLE = _FRAMEWORKS[:4]
#: Frameworks whose endpoints must be streaming (use cases, create).
_STREAMING_ONLY = ("vllm", "text_generation_inference", "lightllm", "tensorrt_llm")
_INTS = ("min_workers", "max_workers", "per_worker", "num_shards", "gpus", "nodes_per_worker")
_OBJECTS = ("metadata", "labels")


def _framework(invalid: Invalid, body: dict[str, Any], allowed: tuple[str, ...]) -> str:
    """The body's variant: a missing ``inference_framework`` is vLLM's (the discriminator)."""
    framework = body.get("inference_framework", "vllm")
    if framework not in allowed:
        invalid.add(
            ("body",),
            f"Input tag {framework!r} found using get_inference_framework() does not match "
            f"any of the expected tags: {', '.join(repr(tag) for tag in allowed)}",
            "union_tag_invalid",
        )
    return str(framework)


def _check_types(invalid: Invalid, body: dict[str, Any], framework: str) -> None:
    for name in _INTS:
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            invalid.add(("body", framework, name), "Input should be a valid integer", "int_type")
    for name in _OBJECTS:
        value = body.get(name)
        if value is not None and not isinstance(value, dict):
            invalid.add(("body", framework, name), "Input should be a valid dictionary")


async def create_endpoint(request: web.Request) -> web.Response:
    """``POST llm/model-endpoints`` -> ``{"endpoint_creation_task_id"}``."""
    context = request.app[CONTEXT]
    body = await json_body(request)
    invalid = Invalid()
    framework = _framework(invalid, body, _FRAMEWORKS)
    required = ("name", "model_name", "metadata", "min_workers", "max_workers", "per_worker")
    for name in (*required, "labels"):
        if body.get(name) is None:
            invalid.add(("body", framework, name), "Field required", "missing")
    _check_types(invalid, body, framework)
    invalid.raise_if_any()
    endpoint_type = body.get("endpoint_type", "sync")
    if framework in _STREAMING_ONLY and endpoint_type != "streaming":
        raise ApiError(
            400,
            f"Creating endpoint type {endpoint_type} is not allowed. Can only create "
            "streaming endpoints for text-generation-inference, vLLM, LightLLM, and "
            "TensorRT-LLM.",
        )
    name = str(body["name"])
    with context.state.lock:
        if name in context.state.endpoints:
            raise ApiError(400, "The specified model endpoint already exists.")
        endpoint = make_endpoint(
            {
                "name": name,
                "model_name": body["model_name"],
                "inference_framework": framework,
                "inference_framework_image_tag": body.get("inference_framework_image_tag")
                or "latest",
                "num_shards": body.get("num_shards") or 1,
                "quantize": body.get("quantize"),
                "checkpoint_path": body.get("checkpoint_path"),
            }
        )
        endpoint.body["spec"]["endpoint_type"] = endpoint_type
        endpoint.body["spec"]["labels"] = dict(body["labels"])
        endpoint.deployed_at, endpoint.step = time.monotonic(), context.job_step
        context.state.endpoints[name] = endpoint
    return json_response({"endpoint_creation_task_id": new_id("")})


async def update_endpoint(request: web.Request) -> web.Response:
    """``PUT llm/model-endpoints/{name}``: rebuilds the endpoint with the fields given."""
    context = request.app[CONTEXT]
    body = await json_body(request)
    invalid = Invalid()
    framework = _framework(invalid, body, _UPDATABLE)
    _check_types(invalid, body, framework)
    invalid.raise_if_any()
    with context.state.lock:
        endpoint = context.state.endpoints.get(request.match_info["name"])
        if endpoint is None:
            raise ApiError(404, "The specified LLM endpoint could not be found.")
        for name in ("model_name", "inference_framework_image_tag", "num_shards", "quantize"):
            if body.get(name) is not None:
                endpoint.body[name] = body[name]
        if "labels" in body and isinstance(endpoint.body.get("spec"), dict):
            endpoint.body["spec"]["labels"] = dict(body["labels"] or {})
        endpoint.deployed_at, endpoint.step = time.monotonic(), context.job_step
    return json_response({"endpoint_creation_task_id": new_id("")})


def _endpoint(request: web.Request) -> ModelEndpoint:
    name = request.match_info["name"]
    endpoint = request.app[CONTEXT].state.endpoints.get(name)
    if endpoint is None:
        raise ApiError(404, f"The specified model endpoint {name!r} was not found.")
    return endpoint


_ORDERS = ("newest", "oldest", "alphabetical")


async def list_endpoints(request: web.Request) -> web.Response:
    """``GET llm/model-endpoints?name=&order_by=``.

    scaleapi/llm-engine@a8236961: ``order_by`` is ``ModelEndpointOrderBy``
    (common/dtos/model_endpoints.py); the record repository sorts by creation for ``newest``
    and ``oldest`` and leaves ``alphabetical`` unsorted
    (infra/repositories/db_model_endpoint_record_repository.py).
    """
    endpoints = list(request.app[CONTEXT].state.endpoints.values())
    name = request.query.get("name")
    if name is not None:
        endpoints = [endpoint for endpoint in endpoints if endpoint.name == name]
    order = request.query.get("order_by")
    if order is not None and order not in _ORDERS:
        invalid = Invalid()
        invalid.add(
            ("query", "order_by"), "Input should be 'newest', 'oldest' or 'alphabetical'", "enum"
        )
        invalid.raise_if_any()
    if order in ("newest", "oldest"):
        endpoints.sort(key=lambda endpoint: endpoint.seq, reverse=order == "newest")
    body = paginate(request, "model_endpoints", endpoints, lambda item: item.wire())
    return json_response(body)


async def get_endpoint(request: web.Request) -> web.Response:
    """``GET llm/model-endpoints/{name}``."""
    return json_response(_endpoint(request).wire())


async def delete_endpoint(request: web.Request) -> web.Response:
    """``DELETE llm/model-endpoints/{name}``."""
    context = request.app[CONTEXT]
    endpoint = _endpoint(request)
    with context.state.lock:
        context.state.endpoints.pop(endpoint.name, None)
    return json_response({"deleted": True})


async def download_model(request: web.Request) -> web.Response:
    """``POST llm/model-endpoints/download`` -> ``{"urls": {file name: url}}``."""
    context = request.app[CONTEXT]
    body = await json_body(request)
    invalid = Invalid()
    model_name = body.get("model_name")
    if not isinstance(model_name, str) or not model_name:
        invalid.add(("body", "model_name"), "field required", "value_error.missing")
    download_format = body.get("download_format", "hugging_face")
    if not isinstance(download_format, str):
        invalid.add(("body", "download_format"), "download_format: must be a string")
    invalid.raise_if_any()
    known = any(
        model_name in (endpoint.name, endpoint.body.get("model_name"))
        for endpoint in context.state.endpoints.values()
    )
    if not known:
        raise ApiError(404, f"Model {model_name!r} was not found.")
    files = ("model.safetensors", "config.json", "tokenizer.json")
    urls = {name: f"{context.root}v1/downloads/{model_name}/{name}" for name in files}
    return json_response({"urls": urls})


async def download_file(request: web.Request) -> web.Response:
    """``GET downloads/{model}/{file}``: the target of a download URL (no auth, like S3)."""
    seed = f"{request.match_info['model']}/{request.match_info['file']}".encode()
    data = hashlib.blake2b(seed, digest_size=64).digest() * 16
    return web.Response(body=data, content_type="application/octet-stream")


_ROUTES: tuple[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]], ...] = (
    ("POST", "llm/model-endpoints", create_endpoint),
    ("GET", "llm/model-endpoints", list_endpoints),
    ("POST", "llm/model-endpoints/download", download_model),
    ("GET", "llm/model-endpoints/{name}", get_endpoint),
    ("PUT", "llm/model-endpoints/{name}", update_endpoint),
    ("DELETE", "llm/model-endpoints/{name}", delete_endpoint),
    ("GET", "downloads/{model}/{file}", download_file),
)


def routes(base: str) -> list[web.RouteDef]:
    """The route table under ``base`` (the LLM Engine's ``v1/``)."""
    return [web.route(method, base + path, handler) for method, path, handler in _ROUTES]
