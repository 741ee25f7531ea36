"""Results of the LLM Engine batch completion routes (``v1/llm/batch-completions``, ``v2/...``).

Shapes: ``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/common/dtos/llms/
batch_completion.py`` (``BatchCompletionsJob``, ``BatchCompletionsJobStatus``,
``CreateBatchCompletionsV1Response``, ``CancelBatchCompletionsV2Response``,
``UpdateBatchCompletionsV2Response``) and ``.../common/dtos/batch_jobs.py``
(``GetDockerImageBatchJobV1Response``).
"""

from typing import Any

import attrs

from smarter.types._base import BaseModel, WireEnum, publish

__all__ = [
    "BatchCompletionStatus",
    "BatchCompletionJob",
    "UpdateBatchCompletionResponse",
    "CancelBatchCompletionResponse",
    "GetBatchCompletionResponse",
    "GetDockerImageBatchJobResponse",
]


class BatchCompletionStatus(WireEnum):
    """The status of a batch completion job (LLM Engine's ``BatchCompletionsJobStatus``).

    .. versionadded:: 0.3.0
    """

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


#: The statuses a job never leaves.
FINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})


@attrs.frozen(kw_only=True)
class BatchCompletionJob(BaseModel):
    """A batch completion job: its id and, as far as the server said, its status.

    The v1 create answers only ``job_id``; a read (``batch_completions.get``) gives the
    status, through LLM Engine's batch job status route, the one that works on ``a8236961``
    (``batch_job_status`` is that route's own word for it). The other fields are those of
    the v2 ``BatchCompletionsJob``, present when a server answered with one.

    .. versionadded:: 0.3.0
    """

    job_id: str
    """The job's id (``ft-...``)."""
    status: BatchCompletionStatus | str | None = None
    """``queued``, ``running``, ``completed``, ``failed``, ``cancelled`` or ``unknown``."""
    batch_job_status: str | None = None
    """The batch job's status as LLM Engine's job gateway reports it (``PENDING``,
    ``RUNNING``, ``SUCCESS``, ``FAILURE``, ...), when it was read there."""
    input_data_path: str | None = None
    """Where the job reads its prompts from, if not inline."""
    output_data_path: str | None = None
    """Where the job writes its outputs: one JSON array, an element per prompt."""
    model_config: dict[str, Any] | None = None
    """The model and its settings."""
    priority: str | None = None
    """The job's priority."""
    created_at: str | None = None
    """When the job was created."""
    expires_at: str | None = None
    """When the job expires."""
    completed_at: str | None = None
    """When the job finished."""
    metadata: dict[str, Any] | None = None
    """The job's metadata (its labels)."""

    @property
    def done(self) -> bool:
        """Whether the job is over: completed, failed or cancelled."""
        return self.status is not None and str(self.status) in FINAL_STATUSES


@attrs.frozen(kw_only=True)
class UpdateBatchCompletionResponse(BatchCompletionJob):
    """The answer to ``batch_completions.update()``: the job and whether it changed.

    .. versionadded:: 0.3.0
    """

    success: bool | None = None
    """Whether the update was applied."""


@attrs.frozen(kw_only=True)
class CancelBatchCompletionResponse(BaseModel):
    """The answer to ``batch_completions.cancel()``.

    .. versionadded:: 0.3.0
    """

    success: bool
    """Whether the job was cancelled (False for a job the server does not know)."""


@attrs.frozen(kw_only=True)
class GetBatchCompletionResponse(BaseModel):
    """The body of ``GET v2/batch-completions/{id}``: ``{"job": ...}``.

    .. versionadded:: 0.3.0
    """

    job: BatchCompletionJob
    """The job."""


@attrs.frozen(kw_only=True)
class GetDockerImageBatchJobResponse(BaseModel):
    """The body of ``GET v1/docker-image-batch-jobs/{id}``: the status of any batch job.

    .. versionadded:: 0.3.0
    """

    status: str
    """``PENDING``, ``RUNNING``, ``SUCCESS``, ``FAILURE``, ``CANCELLED``, ``TIMEOUT`` or
    ``UNDEFINED`` (the values of ``smarter.types.BatchJobStatus``)."""


publish(globals())
