"""Results of the LLM Engine fine-tuning routes, ``llm/fine-tunes``."""

from typing import Any

import attrs

from smarter.types._base import BaseModel, WireEnum, publish

__all__ = [
    "BatchJobStatus",
    "Hyperparameters",
    "CreateFineTuneResponse",
    "GetFineTuneResponse",
    "ListFineTunesResponse",
    "CancelFineTuneResponse",
    "LLMFineTuneEvent",
    "GetFineTuneEventsResponse",
]

Hyperparameters = dict[str, str | int | float | dict[str, Any]]
"""The ``hyperparameters`` of a fine-tuning job: names to values, as the trainer takes them."""


class BatchJobStatus(WireEnum):
    """The status of a fine-tuning job.

    .. versionadded:: 0.2.0
    """

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCELLED = "CANCELLED"
    UNDEFINED = "UNDEFINED"
    TIMEOUT = "TIMEOUT"


@attrs.frozen(kw_only=True)
class CreateFineTuneResponse(BaseModel):
    """Response object for creating a FineTune.

    .. versionadded:: 0.2.0
    """

    id: str
    """The ID of the FineTune."""


@attrs.frozen(kw_only=True)
class GetFineTuneResponse(BaseModel):
    """Response object for retrieving a FineTune.

    .. versionadded:: 0.2.0
    """

    id: str
    """The ID of the FineTune."""
    fine_tuned_model: str | None = None
    """The name of the resulting fine-tuned model.

    This can be plugged into the Completion API once the fine-tune is complete.
    """
    status: BatchJobStatus | str
    """The status of the FineTune job."""


@attrs.frozen(kw_only=True)
class ListFineTunesResponse(BaseModel):
    """Response object for listing FineTunes.

    .. versionadded:: 0.2.0
    """

    jobs: list[GetFineTuneResponse]
    """A list of FineTunes, represented as GetFineTuneResponses."""
    next_cursor: str | None = None
    """The cursor of the next page, or None on the last page."""


@attrs.frozen(kw_only=True)
class CancelFineTuneResponse(BaseModel):
    """Response object for cancelling a FineTune.

    .. versionadded:: 0.2.0
    """

    success: bool
    """Whether the cancellation succeeded."""


@attrs.frozen(kw_only=True)
class LLMFineTuneEvent(BaseModel):
    """One event in the log of a fine-tuning job.

    .. versionadded:: 0.2.0
    """

    timestamp: float | None = None
    """When the event happened, in seconds since the Unix epoch."""
    message: str
    """What happened."""
    level: str
    """The log level of the event, e.g. ``"info"``."""


@attrs.frozen(kw_only=True)
class GetFineTuneEventsResponse(BaseModel):
    """Response object for the events of a FineTune.

    .. versionadded:: 0.2.0
    """

    events: list[LLMFineTuneEvent]
    """The events of the job, oldest first."""


publish(globals())
