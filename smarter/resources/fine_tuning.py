"""Fine-tuning jobs of the LLM Engine: create, list, get, cancel, events."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from smarter._client import Options
from smarter._config import NOT_GIVEN, NotGiven, TimeoutTypes
from smarter._pagination import AsyncPaginator
from smarter._sync import SyncAPIResource, blocking
from smarter.resources._base import (
    AsyncAPIResource,
    check_limit,
    check_str,
    omit_none,
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

__all__ = ["AsyncFineTuning", "AsyncJobs", "FineTuning", "Jobs"]

_MAX_SUFFIX = 28


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
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
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
            timeout: This call's timeout, instead of the client's.
            extra_headers: More headers for this call.
            extra_query: More query parameters for this call.
            extra_body: More fields for the JSON body of this call.
        """
        if suffix is not None and len(suffix) > _MAX_SUFFIX:
            raise ValueError(f"suffix must be at most {_MAX_SUFFIX} characters, not {len(suffix)}")
        body = {
            "model": check_str(model, "model"),
            "training_file": check_str(training_file, "training_file"),
            # The LLM Engine server requires the field: an empty dict, not a null.
            "hyperparameters": dict(hyperparameters or {}),
            **omit_none(validation_file=validation_file, wandb_config=wandb_config, suffix=suffix),
        }
        return await self._client._call(
            "POST",
            "llm/fine-tunes",
            json_body=body,
            cast_to=CreateFineTuneResponse,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )

    def list(
        self,
        *,
        limit: int = 20,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> AsyncPaginator[GetFineTuneResponse]:
        """The fine-tuning jobs, *limit* per page: await it for a page, iterate it for all."""
        return self._client._list(
            "llm/fine-tunes",
            query=check_limit(limit),
            cast_to=ListFineTunesResponse,
            items=lambda body: body.jobs,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )

    async def get(
        self,
        fine_tune_id: str,
        /,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> GetFineTuneResponse:
        """One job: its status and, once it succeeded, the fine-tuned model's name."""
        return await self._client._call(
            "GET",
            f"llm/fine-tunes/{path_segment(fine_tune_id, 'fine_tune_id')}",
            cast_to=GetFineTuneResponse,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )

    async def cancel(
        self,
        fine_tune_id: str,
        /,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> CancelFineTuneResponse:
        """Cancel a job; ``success`` is False when it had already finished."""
        return await self._client._call(
            "PUT",
            f"llm/fine-tunes/{path_segment(fine_tune_id, 'fine_tune_id')}/cancel",
            cast_to=CancelFineTuneResponse,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )

    async def events(
        self,
        fine_tune_id: str,
        /,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> GetFineTuneEventsResponse:
        """What happened to a job, oldest first."""
        return await self._client._call(
            "GET",
            f"llm/fine-tunes/{path_segment(fine_tune_id, 'fine_tune_id')}/events",
            cast_to=GetFineTuneEventsResponse,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )


class AsyncFineTuning(AsyncAPIResource):
    """``client.fine_tuning``."""

    @cached_property
    def jobs(self) -> AsyncJobs:
        """Fine-tuning jobs."""
        return AsyncJobs(self._client)


class Jobs(SyncAPIResource[AsyncJobs]):
    """``client.fine_tuning.jobs``."""

    create = blocking(AsyncJobs.create)
    list = blocking(AsyncJobs.list)
    get = blocking(AsyncJobs.get)
    cancel = blocking(AsyncJobs.cancel)
    events = blocking(AsyncJobs.events)


class FineTuning(SyncAPIResource[AsyncFineTuning]):
    """``client.fine_tuning``."""

    @cached_property
    def jobs(self) -> Jobs:
        """Fine-tuning jobs."""
        return Jobs(self._async.jobs, self._portal)
