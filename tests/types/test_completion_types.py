"""The completion results: sync responses and stream chunks as the LLM Engine sends them."""

from __future__ import annotations

from typing import Any

import pytest

import smarter
from smarter._converter import structure
from smarter.types import (
    BaseModel,
    CompletionOutput,
    CompletionStreamOutput,
    CompletionStreamResponse,
    CompletionSyncResponse,
    TokenOutput,
)

REQUEST_ID = "c4f1e3a0-6b1d-4b5e-9c3a-2f1e0d9c8b7a"
SYNC = {
    "request_id": REQUEST_ID,
    "output": {
        "text": "Paris is the capital of France.",
        "num_prompt_tokens": 12,
        "num_completion_tokens": 8,
        "tokens": [{"token": "Paris", "log_prob": -0.0123}, {"token": " is", "log_prob": -0.25}],
    },
}
CHUNK = {
    "request_id": REQUEST_ID,
    "output": {
        "text": " Paris",
        "finished": False,
        "num_prompt_tokens": None,
        "num_completion_tokens": 1,
        "token": {"token": " Paris", "log_prob": -0.01},
    },
    "error": None,
}
LAST_CHUNK = {
    "request_id": REQUEST_ID,
    "output": {"text": ".", "finished": True, "num_prompt_tokens": 12, "num_completion_tokens": 8},
}
ERROR_CHUNK = {
    "request_id": REQUEST_ID,
    "output": None,
    "error": {
        "status_code": 503,
        "content": {"error": "Model endpoint is not ready", "timestamp": "2026-01-05T10:00:00Z"},
    },
}

CASES: list[tuple[type[BaseModel], dict[str, Any], BaseModel]] = [
    (
        CompletionSyncResponse,
        SYNC,
        CompletionSyncResponse(
            request_id=REQUEST_ID,
            output=CompletionOutput(
                text="Paris is the capital of France.",
                num_prompt_tokens=12,
                num_completion_tokens=8,
                tokens=[
                    TokenOutput(token="Paris", log_prob=-0.0123),
                    TokenOutput(token=" is", log_prob=-0.25),
                ],
            ),
        ),
    ),
    (
        CompletionStreamResponse,
        CHUNK,
        CompletionStreamResponse(
            request_id=REQUEST_ID,
            output=CompletionStreamOutput(
                text=" Paris",
                finished=False,
                num_completion_tokens=1,
                token=TokenOutput(token=" Paris", log_prob=-0.01),
            ),
        ),
    ),
    (
        CompletionStreamResponse,
        LAST_CHUNK,
        CompletionStreamResponse(
            request_id=REQUEST_ID,
            output=CompletionStreamOutput(
                text=".", finished=True, num_prompt_tokens=12, num_completion_tokens=8
            ),
        ),
    ),
]
IDS = ["sync", "chunk", "last-chunk"]


@pytest.mark.parametrize(("cls", "body", "expected"), CASES, ids=IDS)
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
        extended = {**body, "latency": {"queue_ms": 3}}

        obj = structure(extended, cls)

        assert (extended, {"queue_ms": 3}) == (obj.to_dict(), obj.latency)


class TestNotYielded:
    @pytest.mark.parametrize("body", [ERROR_CHUNK, {"request_id": REQUEST_ID}])
    def test_error_and_keepalive_chunks_are_not_chunks(self, body: dict[str, Any]) -> None:
        """Error chunks and keep-alives are not chunks: streams raise or skip them."""
        with pytest.raises(smarter.APIResponseValidationError, match="output"):
            structure(body, CompletionStreamResponse)


class TestFieldsSet:
    def test_null_is_present(self) -> None:
        """A field sent as null is set; a field not sent is not."""
        chunk = structure(CHUNK, CompletionStreamResponse)
        expected = (
            {"request_id", "output", "error"},
            {"text", "finished", "num_prompt_tokens", "num_completion_tokens", "token"},
        )

        assert expected == (chunk.model_fields_set, chunk.output.model_fields_set)

    def test_absent_is_not(self) -> None:
        """Optional fields left out of the body are not in ``model_fields_set``."""
        output = structure(LAST_CHUNK, CompletionStreamResponse).output
        expected = {"text", "finished", "num_prompt_tokens", "num_completion_tokens"}

        assert (expected, None) == (output.model_fields_set, output.token)


class TestRequestId:
    def test_sync_response(self) -> None:
        """The request id of the response is on the result, next to the body's own."""
        response = structure(SYNC, CompletionSyncResponse, request_id="x-req-1")

        expected = ("x-req-1", REQUEST_ID)

        assert expected == (response._request_id, response.request_id)
