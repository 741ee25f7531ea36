"""Batch completion jobs of the LLM Engine: many prompts run on the server's own cluster.

What LLM Engine ``a8236961`` really does decides the routes
(``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/v2/batch_completion.py``,
``.../api/llms_v1.py``, ``.../infra/services/live_llm_batch_completions_service.py``):

- **create**: ``POST v2/batch-completions`` creates the job, then fails to serialise its
  answer (a dict in the ``Dict[str, str]`` field ``metadata``) and answers **500** on every
  success: a client cannot learn the job's id, and a retry creates a second job. So
  ``create()`` uses ``POST v1/llm/batch-completions`` (``{"job_id"}``), and the v2 route
  only when asked (``api="v2"``) or when the server has no v1 route (a 404 "Not Found").
  Both are creates: retried only when the server provably did not act.
- **get**: ``GET v2/batch-completions/{id}`` answers 500 for every existing job (three
  validation errors in ``get_batch_job``), so ``get()`` reads ``GET v1/docker-image-batch-
  jobs/{id}``, which every batch job has, and maps its status as the server's own
  ``to_dto`` does (PENDING queued, RUNNING running, SUCCESS completed, FAILURE and TIMEOUT
  failed, CANCELLED cancelled, else unknown); the v2 route only on a server without it.
- **cancel**: ``POST v2/batch-completions/{id}/actions/cancel`` works (``{"success"}``;
  an unknown id is ``success: false``); ``PUT v1/docker-image-batch-jobs/{id}`` on a server
  without v2. The real server deletes a cancelled job: reading it afterwards is a 404.
- **update** (priority): ``POST v2/batch-completions/{id}``; ``a8236961`` has not
  implemented it (``NotImplementedError``, answered as 500).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from smarter._converter import structure
from smarter._exceptions import NotFoundError
from smarter._polling import wait_for
from smarter.resources._base import (
    BOOL,
    INT,
    NUMBER,
    OBJECT,
    STR,
    STRINGS,
    AsyncAPIResource,
    BodySpec,
    check_str,
    path_segment,
)
from smarter.types.batch_completions import (
    BatchCompletionJob,
    CancelBatchCompletionResponse,
    GetBatchCompletionResponse,
    GetDockerImageBatchJobResponse,
    UpdateBatchCompletionResponse,
)

if TYPE_CHECKING:
    from smarter._request import RequestOptions, Unpack

__all__ = ["AsyncBatchCompletions"]

T = TypeVar("T")

#: LLM Engine's ``to_dto`` (live_llm_batch_completions_service.py): job status to v2 status.
_STATUS = {
    "PENDING": "queued",
    "RUNNING": "running",
    "SUCCESS": "completed",
    "FAILURE": "failed",
    "TIMEOUT": "failed",
    "CANCELLED": "cancelled",
}

#: ``CreateBatchCompletionsV1RequestContent``: the prompts and how to complete them.
_CONTENT = BodySpec(
    prompts=STRINGS,
    max_new_tokens=INT,
    temperature=NUMBER,
    stop_sequences=STRINGS,
    return_token_log_probs=BOOL,
    presence_penalty=NUMBER,
    frequency_penalty=NUMBER,
    top_k=INT,
    top_p=NUMBER,
    skip_special_tokens=BOOL,
)
_BODY = BodySpec(
    output_data_path=STR,
    input_data_path=STR,
    content=OBJECT,
    model_config=OBJECT,
    labels=OBJECT,
    priority=STR,
    max_runtime_sec=INT,
)
_CREATES = "fine_tuning.jobs.list(), which lists the batch jobs too"
_CREATES_V2 = (
    "fine_tuning.jobs.list(), which lists the batch jobs too (LLM Engine a8236961 answers "
    "every v2 create with a 500 after creating the job; api='v1' avoids it)"
)


async def _unless_unknown_route(
    first: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]
) -> T:
    """*first*'s answer, or *fallback*'s when the server has no such route at all."""
    try:
        return await first()
    except NotFoundError as missing:
        if not missing._unknown_route:
            raise
    return await fallback()


class AsyncBatchCompletions(AsyncAPIResource):
    """``client.batch_completions``: LLM Engine batch completion jobs.

    .. versionadded:: 0.3.0
    """

    async def create(
        self,
        *,
        model: str,
        output_data_path: str,
        prompts: Sequence[str] | None = None,
        input_data_path: str | None = None,
        max_new_tokens: int = 20,
        temperature: float = 0.2,
        stop_sequences: Sequence[str] | None = None,
        return_token_log_probs: bool | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        top_k: int | None = None,
        top_p: float | None = None,
        skip_special_tokens: bool | None = None,
        model_config: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
        priority: str | None = None,
        max_runtime_sec: int | None = None,
        api: Literal["auto", "v1", "v2"] = "auto",
        **options: Unpack[RequestOptions],
    ) -> BatchCompletionJob:
        """Start a batch job completing *prompts* (or the prompts at *input_data_path*).

        Args:
            model: The model to run (``model_config.model``).
            output_data_path: Where the job writes its outputs (a path of the server's
                storage, e.g. ``s3://...``): one JSON array, an element per prompt.
            prompts: The prompts, sent in the request.
            input_data_path: Instead of *prompts*: a JSON file on the server's storage
                holding the prompts and their settings (a v1 ``content`` object).
            max_new_tokens: Most tokens per completion.
            temperature: Sampling temperature, 0 to 1.
            stop_sequences: Stop at the first of these strings.
            return_token_log_probs: Also return each token's log probability.
            presence_penalty: 0 to 2.
            frequency_penalty: 0 to 2.
            top_k: Sample from the k likeliest tokens (-1 for all).
            top_p: Sample from the smallest set of tokens of this total probability.
            skip_special_tokens: Leave special tokens out of the text.
            model_config: More of the model's settings (``checkpoint_path``, ``num_shards``,
                ``max_context_length``, ``seed``, vLLM settings).
            labels: The job's labels.
            priority: The job's priority.
            max_runtime_sec: The longest the job may run.
            api: ``"auto"`` (v1, or v2 on a server without v1), ``"v1"`` or ``"v2"``.
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``extra_body``.

        Raises:
            ValueError: both or neither of *prompts* and *input_data_path*.
            InternalServerError: with ``api="v2"`` on LLM Engine ``a8236961``: the job was
                created anyway (see the module docstring).
        """
        if (prompts is None) == (input_data_path is None):
            raise ValueError("give prompts or input_data_path (one of them)")
        if api not in ("auto", "v1", "v2"):
            raise ValueError(f"api must be 'auto', 'v1' or 'v2', not {api!r}")
        content = None
        if prompts is not None:
            content = _CONTENT.build(
                prompts=prompts,
                max_new_tokens=max_new_tokens,
                temperature=temperature,
                stop_sequences=stop_sequences,
                return_token_log_probs=return_token_log_probs,
                presence_penalty=presence_penalty,
                frequency_penalty=frequency_penalty,
                top_k=top_k,
                top_p=top_p,
                skip_special_tokens=skip_special_tokens,
            )
        config = {**OBJECT("model_config", model_config or {}), "model": check_str(model, "model")}
        common = {
            "output_data_path": check_str(output_data_path, "output_data_path"),
            "input_data_path": input_data_path,
            "content": content,
            "priority": priority,
            "max_runtime_sec": max_runtime_sec,
        }
        # v1 takes the job's labels from model_config.labels and ignores the top-level ones
        # (CreateBatchCompletionsV1Request.from_api_v1); v2 the other way round.
        v1 = _BODY.build(**common, model_config={**config, "labels": dict(labels or {})})
        v2 = _BODY.build(**common, model_config=config, labels=labels)

        def send(path: str, body: dict[str, Any], creates: str) -> Awaitable[BatchCompletionJob]:
            return self._call("POST", path, BatchCompletionJob, options, json=body, creates=creates)

        if api == "v2":
            return await send("v2/batch-completions", v2, _CREATES_V2)
        if api == "v1":
            return await send("v1/llm/batch-completions", v1, _CREATES)
        return await _unless_unknown_route(
            lambda: send("v1/llm/batch-completions", v1, _CREATES),
            lambda: send("v2/batch-completions", v2, _CREATES_V2),
        )

    async def get(self, job_id: str, /, **options: Unpack[RequestOptions]) -> BatchCompletionJob:
        """A job and its status (``queued``, ``running``, ``completed``, ``failed``, ...)."""
        segment = path_segment(job_id, "job_id")

        async def status() -> BatchCompletionJob:
            path = f"v1/docker-image-batch-jobs/{segment}"
            found = await self._call("GET", path, GetDockerImageBatchJobResponse, options)
            raw = str(found.status)
            wire = {
                "job_id": job_id,
                "status": _STATUS.get(raw, "unknown"),
                "batch_job_status": raw,
            }
            return structure(wire, BatchCompletionJob, request_id=found._request_id)

        async def v2() -> BatchCompletionJob:
            path = f"v2/batch-completions/{segment}"
            return (await self._call("GET", path, GetBatchCompletionResponse, options)).job

        return await _unless_unknown_route(status, v2)

    async def cancel(
        self, job_id: str, /, **options: Unpack[RequestOptions]
    ) -> CancelBatchCompletionResponse:
        """Cancel a job; ``success`` is False for a job the server does not know."""
        segment = path_segment(job_id, "job_id")
        return await _unless_unknown_route(
            lambda: self._call(
                "POST",
                f"v2/batch-completions/{segment}/actions/cancel",
                CancelBatchCompletionResponse,
                options,
            ),
            lambda: self._call(
                "PUT",
                f"v1/docker-image-batch-jobs/{segment}",
                CancelBatchCompletionResponse,
                options,
                json={"cancel": True},
            ),
        )

    async def update(
        self, job_id: str, /, *, priority: str, **options: Unpack[RequestOptions]
    ) -> UpdateBatchCompletionResponse:
        """Change a job's priority (LLM Engine ``a8236961`` answers 500: not implemented)."""
        segment = path_segment(job_id, "job_id")
        body = {"job_id": job_id, "priority": check_str(priority, "priority")}
        return await self._call(
            "POST",
            f"v2/batch-completions/{segment}",
            UpdateBatchCompletionResponse,
            options,
            json=body,
        )

    async def wait(
        self,
        job_id: str,
        /,
        *,
        poll_interval: float = 5.0,
        timeout: float | None = None,
        on_progress: Callable[[BatchCompletionJob], object] | None = None,
    ) -> BatchCompletionJob:
        """Poll a job until it is over (completed, failed or cancelled) and return it.

        Args:
            job_id: The job.
            poll_interval: Seconds before the second read; each wait is half again as long
                as the one before (at most eight times this, or a minute).
            timeout: Seconds to wait at most, or None.
            on_progress: Called with the job after every read.

        Each read is an ordinary call with the client's timeout and retries
        (``client.with_options(timeout=...)`` for others); *timeout* bounds the whole wait.

        Raises:
            WaitTimeoutError: *timeout* passed first (``.last`` is the job as last read).
            NotFoundError: the job is gone (LLM Engine deletes a cancelled job).
        """
        return await wait_for(
            lambda: self.get(job_id),
            what=f"batch job {job_id}",
            state=lambda job: str(job.status),
            final=lambda job: job.done,
            poll_interval=poll_interval,
            timeout=timeout,
            on_progress=on_progress,
        )
