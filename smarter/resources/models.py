"""LLM endpoints ("models") of the LLM Engine: create, update, wait, list, get, delete.

Bodies: ``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/common/dtos/llms/
model_endpoints.py`` (``CreateLLMModelEndpointV1Request``, ``UpdateLLMModelEndpointV1Request``).
A create requires ``metadata`` and ``labels`` (``{}`` is fine), so they are always sent; LLM
frameworks must be ``endpoint_type="streaming"`` (the server's default ``sync`` is refused
for them), so that is this client's default, as it is the ``llmengine`` client's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from smarter._polling import wait_for
from smarter.resources._base import (
    BOOL,
    INT,
    JSON,
    OBJECT,
    STR,
    STRINGS,
    AsyncAPIResource,
    BodySpec,
    check_limit,
    check_str,
    path_segment,
)
from smarter.types.models import (
    CreateLLMEndpointResponse,
    DeleteLLMEndpointResponse,
    GetLLMEndpointResponse,
    ListLLMEndpointsResponse,
    ModelDownloadResponse,
    UpdateLLMEndpointResponse,
)

if TYPE_CHECKING:
    from smarter._pagination import AsyncPaginator
    from smarter._request import RequestOptions, Unpack

__all__ = ["AsyncModels"]

#: What create and update share (``LLMModelEndpointCommonArgs``).
_COMMON = {
    "model_name": STR,
    "source": STR,
    "inference_framework": STR,
    "inference_framework_image_tag": STR,
    "num_shards": INT,
    "quantize": STR,
    "checkpoint_path": STR,
    "cpus": JSON,
    "memory": JSON,
    "storage": JSON,
    "gpus": INT,
    "gpu_type": STR,
    "min_workers": INT,
    "max_workers": INT,
    "per_worker": INT,
    "high_priority": BOOL,
    "post_inference_hooks": STRINGS,
    "default_callback_url": STR,
    "public_inference": BOOL,
    "labels": OBJECT,
    "metadata": OBJECT,
}
_CREATE = BodySpec(**_COMMON, name=STR, max_model_len=INT, nodes_per_worker=INT, endpoint_type=STR)
_UPDATE = BodySpec(**_COMMON, force_bundle_recreation=BOOL)


class AsyncModels(AsyncAPIResource):
    """``client.models``."""

    def list(
        self,
        *,
        limit: int = 20,
        name: str | None = None,
        order_by: Literal["newest", "oldest", "alphabetical"] | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[GetLLMEndpointResponse]:
        """The model endpoints (only the one called *name*, if given), *limit* per page.

        Args:
            limit: Items per page (the LLM Engine answers every item on one page).
            name: Only the endpoint of this exact name.
            order_by: ``"newest"`` or ``"oldest"`` first; ``"alphabetical"`` is accepted by
                LLM Engine but not applied (``ModelEndpointOrderBy``).
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``extra_body``.
        """
        query: dict[str, object] = {**check_limit(limit)}
        if name is not None:
            query["name"] = check_str(name, "name")
        if order_by is not None:
            if order_by not in ("newest", "oldest", "alphabetical"):
                raise ValueError(
                    f"order_by must be 'newest', 'oldest' or 'alphabetical', not {order_by!r}"
                )
            query["order_by"] = order_by
        return self._list(
            "v1/llm/model-endpoints",
            ListLLMEndpointsResponse,
            lambda body: body.model_endpoints,
            options,
            query=query,
        )

    async def get(self, name: str, /, **options: Unpack[RequestOptions]) -> GetLLMEndpointResponse:
        """One model endpoint by name."""
        path = f"v1/llm/model-endpoints/{path_segment(name, 'name')}"
        return await self._call("GET", path, GetLLMEndpointResponse, options)

    async def delete(
        self, name: str, /, **options: Unpack[RequestOptions]
    ) -> DeleteLLMEndpointResponse:
        """Delete a model endpoint."""
        path = f"v1/llm/model-endpoints/{path_segment(name, 'name')}"
        return await self._call("DELETE", path, DeleteLLMEndpointResponse, options)

    async def download(
        self,
        model_name: str,
        /,
        *,
        download_format: str = "hugging_face",
        **options: Unpack[RequestOptions],
    ) -> ModelDownloadResponse:
        """Links to download a (fine-tuned) model's files: ``{file_name: url}``."""
        body = {
            "model_name": check_str(model_name, "model_name"),
            "download_format": check_str(download_format, "download_format"),
        }
        return await self._call(
            "POST", "v1/llm/model-endpoints/download", ModelDownloadResponse, options, json=body
        )

    async def create(
        self,
        *,
        name: str,
        model: str,
        inference_framework_image_tag: str = "latest",
        source: str = "hugging_face",
        inference_framework: str = "vllm",
        num_shards: int = 1,
        quantize: str | None = None,
        checkpoint_path: str | None = None,
        max_model_len: int | None = None,
        cpus: str | int | float | None = None,
        memory: str | None = None,
        storage: str | None = None,
        gpus: int | None = None,
        gpu_type: str | None = None,
        nodes_per_worker: int | None = None,
        min_workers: int = 0,
        max_workers: int = 1,
        per_worker: int = 2,
        endpoint_type: str = "streaming",
        high_priority: bool | None = None,
        post_inference_hooks: Sequence[str] | None = None,
        default_callback_url: str | None = None,
        public_inference: bool | None = None,
        labels: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> CreateLLMEndpointResponse:
        """Deploy *model* as the endpoint *name* (self-hosted LLM Engine).

        The answer comes at once; the endpoint is ``UPDATE_PENDING``, then
        ``UPDATE_IN_PROGRESS``, then ``READY`` (or ``UPDATE_FAILED``): follow it with
        :meth:`wait_until_ready`. The arguments are those of the ``llmengine`` client's
        ``Model.create``; an engine setting without an argument here (vLLM's
        ``gpu_memory_utilization``...) goes in ``extra_body``.

        Args:
            name: The endpoint's name, used for completions.
            model: The model to serve (``model_name`` on the wire).
            inference_framework_image_tag: The framework's image tag (``"latest"``).
            source: Where the weights come from.
            inference_framework: ``vllm``, ``sglang``, ``text_generation_inference``, ...
            num_shards: Shards of the model (the GPUs of a worker).
            quantize: ``"bitsandbytes"`` or ``"awq"``.
            checkpoint_path: Where the weights are, for a fine-tuned model.
            max_model_len: vLLM's context length.
            cpus: CPUs per worker (inferred from the model when left out, as the next four).
            memory: Memory per worker (``"24Gi"``).
            storage: Disk per worker.
            gpus: GPUs per worker.
            gpu_type: ``"nvidia-ampere-a10"``, ``"nvidia-hopper-h100"``, ...
            nodes_per_worker: Nodes per worker (vLLM only, for a model past one node).
            min_workers: The fewest workers (0: scaled to zero when idle).
            max_workers: The most workers.
            per_worker: Requests per worker before another is started.
            endpoint_type: ``"streaming"`` (what LLM frameworks must be), ``"sync"``,
                ``"async"``.
            high_priority: Schedule the workers first.
            post_inference_hooks: Hooks run after each request.
            default_callback_url: Where async results are posted.
            public_inference: Whether other teams may use it (the server's default: True).
            labels: The endpoint's labels.
            metadata: Free-form metadata.
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``extra_body``.

        Raises:
            BadRequestError: the name is taken, or a setting is refused.

        .. versionadded:: 0.3.0
        """
        body = _CREATE.build(
            name=check_str(name, "name"),
            model_name=check_str(model, "model"),
            source=source,
            inference_framework=inference_framework,
            inference_framework_image_tag=inference_framework_image_tag,
            num_shards=num_shards,
            quantize=quantize,
            checkpoint_path=checkpoint_path,
            max_model_len=max_model_len,
            cpus=cpus,
            memory=memory,
            storage=storage,
            gpus=gpus,
            gpu_type=gpu_type,
            nodes_per_worker=nodes_per_worker,
            min_workers=min_workers,
            max_workers=max_workers,
            per_worker=per_worker,
            endpoint_type=endpoint_type,
            high_priority=high_priority,
            post_inference_hooks=post_inference_hooks,
            default_callback_url=default_callback_url,
            public_inference=public_inference,
            # Both required by the server's CreateLLMModelEndpointV1Request ({} is fine).
            labels=labels or {},
            metadata=metadata or {},
        )
        return await self._call(
            "POST",
            "v1/llm/model-endpoints",
            CreateLLMEndpointResponse,
            options,
            json=body,
            creates=f"models.get({name!r})",
        )

    async def update(
        self,
        name: str,
        /,
        *,
        model: str | None = None,
        inference_framework_image_tag: str | None = None,
        source: str | None = None,
        inference_framework: str | None = None,
        num_shards: int | None = None,
        quantize: str | None = None,
        checkpoint_path: str | None = None,
        cpus: str | int | float | None = None,
        memory: str | None = None,
        storage: str | None = None,
        gpus: int | None = None,
        gpu_type: str | None = None,
        min_workers: int | None = None,
        max_workers: int | None = None,
        per_worker: int | None = None,
        high_priority: bool | None = None,
        post_inference_hooks: Sequence[str] | None = None,
        default_callback_url: str | None = None,
        public_inference: bool | None = None,
        labels: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        force_bundle_recreation: bool | None = None,
        **options: Unpack[RequestOptions],
    ) -> UpdateLLMEndpointResponse:
        """Change the endpoint *name*: only the arguments given are sent.

        Takes the arguments of :meth:`create` that an endpoint can change (not its name,
        type or nodes per worker), and ``force_bundle_recreation``. The endpoint is rebuilt:
        follow it with :meth:`wait_until_ready`. LLM Engine refuses updates of LightLLM and
        TensorRT-LLM endpoints (422); a body without ``inference_framework`` is read as vLLM.

        .. versionadded:: 0.3.0
        """
        body = _UPDATE.build(
            model_name=model,
            inference_framework_image_tag=inference_framework_image_tag,
            source=source,
            inference_framework=inference_framework,
            num_shards=num_shards,
            quantize=quantize,
            checkpoint_path=checkpoint_path,
            cpus=cpus,
            memory=memory,
            storage=storage,
            gpus=gpus,
            gpu_type=gpu_type,
            min_workers=min_workers,
            max_workers=max_workers,
            per_worker=per_worker,
            high_priority=high_priority,
            post_inference_hooks=post_inference_hooks,
            default_callback_url=default_callback_url,
            public_inference=public_inference,
            labels=labels,
            metadata=metadata,
            force_bundle_recreation=force_bundle_recreation,
        )
        path = f"v1/llm/model-endpoints/{path_segment(name, 'name')}"
        return await self._call("PUT", path, UpdateLLMEndpointResponse, options, json=body)

    async def wait_until_ready(
        self,
        name: str,
        /,
        *,
        poll_interval: float = 5.0,
        timeout: float | None = None,
        on_progress: Callable[[GetLLMEndpointResponse], object] | None = None,
    ) -> GetLLMEndpointResponse:
        """Poll the endpoint *name* until it is ``READY`` and return it.

        ``READY`` is the status LLM Engine's own integration tests wait for; its workers may
        still be scaling up (``spec["deployment_state"]["available_workers"]``).

        Args:
            name: The endpoint.
            poll_interval: Seconds before the second read; each wait is half again as long
                as the one before (at most eight times this, or a minute).
            timeout: Seconds to wait at most, or None.
            on_progress: Called with the endpoint after every read.

        Each read is an ordinary call with the client's timeout and retries
        (``client.with_options(timeout=...)`` for others); *timeout* bounds the whole wait.

        Raises:
            WaitError: the deployment failed (``UPDATE_FAILED``, with the server's reason)
                or the endpoint is being deleted.
            WaitTimeoutError: *timeout* passed first (``.last`` is the endpoint).

        .. versionadded:: 0.3.0
        """
        return await wait_for(
            lambda: self.get(name),
            what=f"model endpoint {name!r}",
            state=lambda endpoint: str(endpoint.status),
            final=lambda endpoint: str(endpoint.status) == "READY",
            failed=_not_becoming_ready,
            poll_interval=poll_interval,
            timeout=timeout,
            on_progress=on_progress,
        )


def _not_becoming_ready(endpoint: GetLLMEndpointResponse) -> str | None:
    status = str(endpoint.status)
    if status == "UPDATE_FAILED":
        reason = (endpoint.spec or {}).get("status_reason")
        return "failed to deploy" + (f": {reason}" if reason else " (UPDATE_FAILED)")
    if status == "DELETE_IN_PROGRESS":
        return "is being deleted"
    return None
