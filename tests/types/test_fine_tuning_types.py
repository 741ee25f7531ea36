"""The fine-tuning results of the LLM Engine, and the open ``BatchJobStatus``."""

from __future__ import annotations

from typing import Any

import pytest

from smarter._converter import structure
from smarter.types import (
    BaseModel,
    BatchJobStatus,
    CancelFineTuneResponse,
    CreateFineTuneResponse,
    GetFineTuneEventsResponse,
    GetFineTuneResponse,
    ListFineTunesResponse,
    LLMFineTuneEvent,
)

JOB = {"id": "ft-cjd2", "fine_tuned_model": "llama-2-7b.my-suffix.2026-01-05", "status": "SUCCESS"}
CASES: list[tuple[type[BaseModel], dict[str, Any], BaseModel]] = [
    (CreateFineTuneResponse, {"id": "ft-cjd2"}, CreateFineTuneResponse(id="ft-cjd2")),
    (
        GetFineTuneResponse,
        JOB,
        GetFineTuneResponse(
            id="ft-cjd2",
            fine_tuned_model="llama-2-7b.my-suffix.2026-01-05",
            status=BatchJobStatus.SUCCESS,
        ),
    ),
    (
        ListFineTunesResponse,
        {
            "jobs": [JOB, {"id": "ft-x1", "fine_tuned_model": None, "status": "RUNNING"}],
            "next_cursor": "ft-x1",
        },
        ListFineTunesResponse(
            jobs=[
                GetFineTuneResponse(
                    id="ft-cjd2",
                    fine_tuned_model="llama-2-7b.my-suffix.2026-01-05",
                    status=BatchJobStatus.SUCCESS,
                ),
                GetFineTuneResponse(id="ft-x1", status=BatchJobStatus.RUNNING),
            ],
            next_cursor="ft-x1",
        ),
    ),
    (CancelFineTuneResponse, {"success": True}, CancelFineTuneResponse(success=True)),
    (
        GetFineTuneEventsResponse,
        {
            "events": [
                {"timestamp": 1767600000.25, "message": "Training started", "level": "info"},
                {"timestamp": None, "message": "Epoch 1/3 done", "level": "info"},
            ]
        },
        GetFineTuneEventsResponse(
            events=[
                LLMFineTuneEvent(timestamp=1767600000.25, message="Training started", level="info"),
                LLMFineTuneEvent(message="Epoch 1/3 done", level="info"),
            ]
        ),
    ),
]


@pytest.mark.parametrize(
    ("cls", "body", "expected"), CASES, ids=["create", "get", "list", "cancel", "events"]
)
class TestWire:
    def test_structure(
        self, cls: type[BaseModel], body: dict[str, Any], expected: BaseModel
    ) -> None:
        """The body structures to the expected object, field by field."""
        assert expected == structure(body, cls)

    def test_to_dict(self, cls: type[BaseModel], body: dict[str, Any], expected: BaseModel) -> None:
        """``to_dict()`` gives the body back exactly."""
        assert body == structure(body, cls).to_dict()

    def test_unknown_fields(
        self, cls: type[BaseModel], body: dict[str, Any], expected: BaseModel
    ) -> None:
        """An unknown field is kept in ``to_dict()`` and readable as an attribute."""
        extended = {**body, "created_at": "2026-01-05T10:00:00Z"}

        obj = structure(extended, cls)

        assert (extended, "2026-01-05T10:00:00Z") == (obj.to_dict(), obj.created_at)


class TestStatus:
    @pytest.mark.parametrize("status", list(BatchJobStatus))
    def test_known_values_are_members(self, status: BatchJobStatus) -> None:
        """Every known status becomes its member."""
        job = structure({"id": "ft", "status": status.value}, GetFineTuneResponse)

        assert status is job.status

    def test_unknown_value_is_a_string(self) -> None:
        """A status this client does not know stays a plain string."""
        job = structure({"id": "ft", "status": "QUEUED"}, GetFineTuneResponse)
        expected = (str, "QUEUED")

        assert expected == (type(job.status), job.status)


class TestFieldsSet:
    def test_null_and_absent(self) -> None:
        """``fine_tuned_model`` sent as null is set; left out, it is not."""
        sent = structure(
            {"id": "ft", "fine_tuned_model": None, "status": "PENDING"}, GetFineTuneResponse
        )
        left_out = structure({"id": "ft", "status": "PENDING"}, GetFineTuneResponse)
        expected = ({"id", "fine_tuned_model", "status"}, {"id", "status"})

        assert expected == (sent.model_fields_set, left_out.model_fields_set)

    def test_list_without_cursor(self) -> None:
        """A list body without ``next_cursor`` (a server that does not paginate) is fine."""
        page = structure({"jobs": []}, ListFineTunesResponse)
        expected = (None, {"jobs"})

        assert expected == (page.next_cursor, page.model_fields_set)

    def test_integer_timestamp(self) -> None:
        """An integer timestamp is read as a float; the wire keeps the integer."""
        event = structure(
            {"timestamp": 1767600000, "message": "m", "level": "info"}, LLMFineTuneEvent
        )
        expected = (1767600000.0, float, 1767600000)

        assert expected == (event.timestamp, type(event.timestamp), event.to_dict()["timestamp"])
