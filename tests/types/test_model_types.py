"""The model endpoint results of the LLM Engine, and their open enums."""

from __future__ import annotations

from typing import Any

import pytest

from smarter._converter import structure
from smarter.types import (
    BaseModel,
    DeleteLLMEndpointResponse,
    GetLLMEndpointResponse,
    ListLLMEndpointsResponse,
    LLMInferenceFramework,
    LLMSource,
    ModelDownloadRequest,
    ModelDownloadResponse,
    ModelEndpointStatus,
    Quantization,
)

ENDPOINT = {
    "id": "end_cg7t1m2l3",
    "name": "llama-2-7b",
    "model_name": "llama-2-7b",
    "source": "hugging_face",
    "status": "READY",
    "inference_framework": "vllm",
    "inference_framework_tag": "0.4.2",
    "num_shards": 1,
    "quantize": None,
    "spec": {"id": "end_cg7t1m2l3", "endpoint_type": "streaming", "min_workers": 1},
}
MINIMAL = {
    "name": "example-model",
    "source": "hugging_face",
    "status": "UPDATE_PENDING",
    "inference_framework": "text_generation_inference",
}
EXPECTED_ENDPOINT = GetLLMEndpointResponse(
    id="end_cg7t1m2l3",
    name="llama-2-7b",
    model_name="llama-2-7b",
    source=LLMSource.HUGGING_FACE,
    status=ModelEndpointStatus.READY,
    inference_framework=LLMInferenceFramework.VLLM,
    inference_framework_tag="0.4.2",
    num_shards=1,
    spec={"id": "end_cg7t1m2l3", "endpoint_type": "streaming", "min_workers": 1},
)
EXPECTED_MINIMAL = GetLLMEndpointResponse(
    name="example-model",
    source=LLMSource.HUGGING_FACE,
    status=ModelEndpointStatus.UPDATE_PENDING,
    inference_framework=LLMInferenceFramework.TEXT_GENERATION_INFERENCE,
)
URLS = {"model.safetensors": "https://models.example.com/llama/model.safetensors?sig=abc"}
CASES: list[tuple[type[BaseModel], dict[str, Any], BaseModel]] = [
    (GetLLMEndpointResponse, ENDPOINT, EXPECTED_ENDPOINT),
    (GetLLMEndpointResponse, MINIMAL, EXPECTED_MINIMAL),
    (
        ListLLMEndpointsResponse,
        {"model_endpoints": [ENDPOINT, MINIMAL], "next_cursor": None},
        ListLLMEndpointsResponse(model_endpoints=[EXPECTED_ENDPOINT, EXPECTED_MINIMAL]),
    ),
    (DeleteLLMEndpointResponse, {"deleted": True}, DeleteLLMEndpointResponse(deleted=True)),
    (ModelDownloadResponse, {"urls": URLS}, ModelDownloadResponse(urls=URLS)),
    (
        ModelDownloadRequest,
        {"model_name": "llama-2-7b"},
        ModelDownloadRequest(model_name="llama-2-7b"),
    ),
]


@pytest.mark.parametrize(
    ("cls", "body", "expected"),
    CASES,
    ids=["endpoint", "minimal", "list", "delete", "download", "download-request"],
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
        extended = {**body, "labels": {"team": "ml"}}

        obj = structure(extended, cls)

        assert (extended, {"team": "ml"}) == (obj.to_dict(), obj.labels)


class TestImageTag:
    def test_server_spelling(self) -> None:
        """The server's ``inference_framework_image_tag`` fills ``inference_framework_tag``."""
        body = {**MINIMAL, "inference_framework_image_tag": "1.0.3"}
        expected = ("1.0.3", body, "inference_framework_tag")

        endpoint = structure(body, GetLLMEndpointResponse)

        assert expected == (
            endpoint.inference_framework_tag,
            endpoint.to_dict(),
            *(endpoint.model_fields_set - set(EXPECTED_MINIMAL.model_fields_set)),
        )

    def test_both_spellings(self) -> None:
        """When both spellings are sent, ``inference_framework_tag`` wins."""
        body = {**MINIMAL, "inference_framework_tag": "new", "inference_framework_image_tag": "old"}
        expected = "new"

        assert expected == structure(body, GetLLMEndpointResponse).inference_framework_tag

    def test_alias_is_not_an_unknown_field(self) -> None:
        """The other spelling is a known key, not an extra attribute."""
        endpoint = structure(
            {**MINIMAL, "inference_framework_image_tag": "1"}, GetLLMEndpointResponse
        )

        assert not hasattr(endpoint, "inference_framework_image_tag")


class TestOpenEnums:
    def test_unknown_values_stay_strings(self) -> None:
        """Values this client does not know are kept as plain strings."""
        body = {
            "name": "m",
            "source": "s3",
            "status": "SCALING",
            "inference_framework": "tgi-next",
            "quantize": "gptq",
        }
        expected = ["s3", "SCALING", "tgi-next", "gptq"]

        endpoint = structure(body, GetLLMEndpointResponse)
        values = [endpoint.source, endpoint.status, endpoint.inference_framework, endpoint.quantize]

        assert (expected, {str}) == (values, {type(value) for value in values})

    @pytest.mark.parametrize(
        "member",
        [*LLMSource, *LLMInferenceFramework, *ModelEndpointStatus, *Quantization],
        ids=str,
    )
    def test_known_values_are_members(self, member: Any) -> None:
        """Every known value becomes its member."""
        field = {
            LLMSource: "source",
            LLMInferenceFramework: "inference_framework",
            ModelEndpointStatus: "status",
            Quantization: "quantize",
        }[type(member)]

        endpoint = structure({**MINIMAL, field: member.value}, GetLLMEndpointResponse)

        assert member is getattr(endpoint, field)


class TestFieldsSet:
    def test_null_and_absent(self) -> None:
        """``quantize`` sent as null is set; ``id`` left out is not."""
        full = structure(ENDPOINT, GetLLMEndpointResponse)
        minimal = structure(MINIMAL, GetLLMEndpointResponse)
        expected = (True, False, set(ENDPOINT), set(MINIMAL))

        assert expected == (
            "quantize" in full.model_fields_set,
            "quantize" in minimal.model_fields_set,
            full.model_fields_set,
            minimal.model_fields_set,
        )


class TestDownloadRequest:
    def test_default_format(self) -> None:
        """A download request built in Python defaults to ``hugging_face``."""
        expected = ({"model_name": "llama-2-7b", "download_format": "hugging_face"}, {"model_name"})

        request = ModelDownloadRequest(model_name="llama-2-7b")

        assert expected == (request.to_dict(), request.model_fields_set)
