"""Fine-tuning jobs of the LLM Engine: create, list, get, cancel, events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from smarter._polling import wait_for
from smarter.resources._base import (
    OBJECT,
    STR,
    AsyncAPIResource,
    BodySpec,
    check_limit,
    check_str,
    path_segment,
)
from smarter.types.fine_tuning import (
    CancelFineTuneResponse,
    CreateFineTuneResponse,
    GetFineTuneEventsResponse,
    GetFineTuneResponse,
    Hyperparameters,
    ListFineTunesResponse,
)

if TYPE_CHECKING:
    from smarter._pagination import AsyncPaginator
    from smarter._request import RequestOptions, Unpack

__all__ = ["AsyncFineTuning", "AsyncJobs"]

_MAX_SUFFIX = 28
#: The statuses a job never leaves (``BatchJobStatus``; UNDEFINED may still change).
_FINAL = frozenset({"SUCCESS", "FAILURE", "CANCELLED", "TIMEOUT"})


def _suffix(name: str, value: Any) -> str:
    suffix = STR(name, value)
    if len(suffix) > _MAX_SUFFIX:
        raise ValueError(f"{name} must be at most {_MAX_SUFFIX} characters, not {len(suffix)}")
    return suffix


#: The body of ``llm/fine-tunes``.
_BODY = BodySpec(
    model=STR,
    training_file=STR,
    validation_file=STR,
    hyperparameters=OBJECT,
    wandb_config=OBJECT,
    suffix=_suffix,
)


class AsyncJobs(AsyncAPIResource):
    """``client.fine_tuning.jobs``."""

    async def create(
        self,
        *,
        model: str,
        training_file: str,
        validation_file: str | None = None,
        hyperparameters: Hyperparameters | None = None,
        wandb_config: Mapping[str, Any] | None = None,
        suffix: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> CreateFineTuneResponse:
        """Start fine-tuning *model* on *training_file*.

        Args:
            model: The base model.
            training_file: A file id (``files.create``) or an http(s) URL of a CSV with
                ``prompt`` and ``response`` columns.
            validation_file: The same, for validation.
            hyperparameters: Training settings (``{"epochs": 2, ...}``).
            wandb_config: Weights & Biases settings.
            suffix: Up to 28 characters added to the fine-tuned model's name.
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``extra_body``.
        """
        body = _BODY.build(
            model=check_str(model, "model"),
            training_file=check_str(training_file, "training_file"),
            validation_file=validation_file,
            # The LLM Engine server requires the field: an empty dict, not a null.
            hyperparameters=hyperparameters or {},
            wandb_config=wandb_config,
            suffix=suffix,
        )
        return await self._call(
            "POST",
            "v1/llm/fine-tunes",
            CreateFineTuneResponse,
            options,
            json=body,
            creates="fine_tuning.jobs.list()",
        )

    def list(
        self, *, limit: int = 20, **options: Unpack[RequestOptions]
    ) -> AsyncPaginator[GetFineTuneResponse]:
        """The fine-tuning jobs, *limit* per page: await it for a page, iterate it for all."""
        return self._list(
            "v1/llm/fine-tunes",
            ListFineTunesResponse,
            lambda body: body.jobs,
            options,
            query=check_limit(limit),
        )

    async def get(
        self, fine_tune_id: str, /, **options: Unpack[RequestOptions]
    ) -> GetFineTuneResponse:
        """One job: its status and, once it succeeded, the fine-tuned model's name."""
        path = f"v1/llm/fine-tunes/{path_segment(fine_tune_id, 'fine_tune_id')}"
        return await self._call("GET", path, GetFineTuneResponse, options)

    async def cancel(
        self, fine_tune_id: str, /, **options: Unpack[RequestOptions]
    ) -> CancelFineTuneResponse:
        """Cancel a job; ``success`` is False when it had already finished."""
        path = f"v1/llm/fine-tunes/{path_segment(fine_tune_id, 'fine_tune_id')}/cancel"
        return await self._call("PUT", path, CancelFineTuneResponse, options)

    async def events(
        self, fine_tune_id: str, /, **options: Unpack[RequestOptions]
    ) -> GetFineTuneEventsResponse:
        """What happened to a job, oldest first."""
        path = f"v1/llm/fine-tunes/{path_segment(fine_tune_id, 'fine_tune_id')}/events"
        return await self._call("GET", path, GetFineTuneEventsResponse, options)

    async def wait(
        self,
        fine_tune_id: str,
        /,
        *,
        poll_interval: float = 5.0,
        timeout: float | None = None,
        on_progress: Callable[[GetFineTuneResponse], object] | None = None,
    ) -> GetFineTuneResponse:
        """Poll a job until it is over (SUCCESS, FAILURE, CANCELLED, TIMEOUT); return it.

        Args:
            fine_tune_id: The job.
            poll_interval: Seconds before the second read; each wait is half again as long
                as the one before (at most eight times this, or a minute).
            timeout: Seconds to wait at most, or None.
            on_progress: Called with the job after every read.

        Each read is an ordinary call with the client's timeout and retries
        (``client.with_options(timeout=...)`` for others); *timeout* bounds the whole wait.

        Raises:
            WaitTimeoutError: *timeout* passed first (``.last`` is the job as last read).
            NotFoundError: the job is gone (LLM Engine deletes a cancelled job).

        .. versionadded:: 0.3.0
        """
        return await wait_for(
            lambda: self.get(fine_tune_id),
            what=f"fine-tune job {fine_tune_id}",
            state=lambda job: str(job.status),
            final=lambda job: str(job.status) in _FINAL,
            poll_interval=poll_interval,
            timeout=timeout,
            on_progress=on_progress,
        )


class AsyncFineTuning(AsyncAPIResource):
    """``client.fine_tuning``."""

    @cached_property
    def jobs(self) -> AsyncJobs:
        """Fine-tuning jobs."""
        return AsyncJobs(self._client)
