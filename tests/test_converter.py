"""The converter: strict scalars, open enums, unknown fields, errors that name the path."""

from __future__ import annotations

import ast
import copy
import importlib
import json
import pickle
from pathlib import Path
from typing import Any, get_args

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from type_strategies import MODELS, objects, wire_dicts

import smarter.types
from smarter import APIResponseValidationError
from smarter._converter import structure, unstructure
from smarter._response import HTTPResponse
from smarter._wire import known_wire_keys, wire_keys
from smarter.types import (
    BaseModel,
    BatchJobStatus,
    CompletionSyncResponse,
    GetFileResponse,
    GetFineTuneResponse,
    GetLLMEndpointResponse,
    ListFilesResponse,
    LLMFineTuneEvent,
    ModelDownloadResponse,
    Response,
)

TYPES_DIR = Path(smarter.types.__file__).parent
SYNC_BODY = {
    "request_id": "9a1b",
    "output": {"text": "Hello", "num_prompt_tokens": 3, "num_completion_tokens": 2},
}


def _error(data: Any, cls: type[Any]) -> str:
    with pytest.raises(APIResponseValidationError) as info:
        structure(data, cls)
    return info.value.message


class TestValidationErrors:
    def test_str_for_int(self) -> None:
        """A string where an int belongs is refused, with the path and the value."""
        body = {"output": {"text": "Hi", "num_completion_tokens": "abc"}}

        expected = (
            "CompletionSyncResponse: $.output.num_completion_tokens: expected int, got str 'abc'"
        )

        assert expected == _error(body, CompletionSyncResponse)

    @pytest.mark.parametrize("output", [{"text": 5}, {"text": "a", "num_completion_tokens": "1"}])
    def test_a_wrong_leaf_chains_nothing(self, output: dict[str, Any]) -> None:
        """A value of the wrong type: all in the message (redactable), no cause carrying it."""
        with pytest.raises(APIResponseValidationError) as info:
            structure({"output": output}, CompletionSyncResponse)

        assert info.value.__cause__ is None
        assert "expected" in info.value.message

    def test_a_type_it_cannot_build_is_a_validation_error(self) -> None:
        """A class no converter knows: the call's error, not the converter's."""

        class Plain:
            pass

        with pytest.raises(APIResponseValidationError, match="Plain"):
            structure({}, Plain)

    def test_bool_for_int(self) -> None:
        """A bool is not an int, although Python says it is."""
        body = {
            "files": [
                {"id": "f1", "filename": "a", "size": 1},
                {"id": "f2", "filename": "b", "size": True},
            ]
        }
        expected = "ListFilesResponse: $.files[1].size: expected int, got bool True"

        assert expected == _error(body, ListFilesResponse)

    def test_int_for_str(self) -> None:
        """An int where a string belongs is refused, not turned into a string."""
        expected = "GetFileResponse: $.id: expected str, got int 7"

        assert expected == _error({"id": 7, "filename": "a", "size": 1}, GetFileResponse)

    def test_null_for_required_field(self) -> None:
        """Null is no value for a required, non-optional field."""
        body = {"output": {"text": None, "num_completion_tokens": 1}}

        expected = "CompletionSyncResponse: $.output.text: expected str, got null"

        assert expected == _error(body, CompletionSyncResponse)

    def test_missing_field(self) -> None:
        """A required field that is absent is named."""
        expected = "GetFileResponse: $.filename: required field missing"

        assert expected == _error({"id": "f1", "size": 1}, GetFileResponse)

    def test_list_for_object(self) -> None:
        """A list where an object belongs is refused."""
        expected = "CompletionSyncResponse: $.output: expected object, got list [1, 2]"

        assert expected == _error({"output": [1, 2]}, CompletionSyncResponse)

    def test_object_for_list(self) -> None:
        """An object where a list belongs is refused, not iterated over its keys."""
        expected = "ListFilesResponse: $.files: expected list, got dict {'a': 1}"

        assert expected == _error({"files": {"a": 1}}, ListFilesResponse)

    @pytest.mark.parametrize("body", [[], "text", 3, None])
    def test_body_not_an_object(self, body: Any) -> None:
        """A body that is not a JSON object is a validation error at the root."""
        assert _error(body, GetFileResponse).startswith("GetFileResponse: $: expected object")

    def test_open_enum_needs_a_string(self) -> None:
        """An open enum takes any string, but not a number."""
        expected = "GetFineTuneResponse: $.status: expected str, got int 3"

        assert expected == _error({"id": "ft", "status": 3}, GetFineTuneResponse)

    def test_dict_value(self) -> None:
        """A value of a typed dict is named by its key."""
        expected = "ModelDownloadResponse: $.urls['model.bin']: expected str, got null"

        assert expected == _error({"urls": {"model.bin": None}}, ModelDownloadResponse)

    def test_long_values_are_shortened(self) -> None:
        """The value in the message is cut, so a huge body does not flood the log."""
        expected = "GetFileResponse: $.size: expected int, got str '" + "x" * 36 + "..."

        assert expected == _error({"id": "f", "filename": "a", "size": "x" * 500}, GetFileResponse)

    def test_body_and_request_id_on_the_error(self) -> None:
        """The error carries the body and the request id; our own mismatch is not chained."""
        body = {"id": "f1"}

        with pytest.raises(APIResponseValidationError) as info:
            structure(body, GetFileResponse, request_id="req-1")

        # The message says it all; a chained cause would quote the value past redaction.
        assert (body, "req-1", None, True) == (
            info.value.body,
            info.value.request_id,
            info.value.__cause__,
            info.value.__suppress_context__,
        )

    def test_structure_list_names_the_index(self) -> None:
        """A list body names the index of the item that does not fit."""
        with pytest.raises(APIResponseValidationError) as info:
            structure([{"id": "a", "filename": "a", "size": 1}, {"id": "b"}], list[GetFileResponse])

        expected = "list[GetFileResponse]: $[1].filename: required field missing"
        assert expected == info.value.message


class TestScalars:
    def test_float_takes_an_int(self) -> None:
        """An integer on the wire fills a float field as a float; the wire keeps the int."""
        event = structure({"timestamp": 5, "message": "m", "level": "info"}, LLMFineTuneEvent)

        assert (5.0, float, 5) == (
            event.timestamp,
            type(event.timestamp),
            event.to_dict()["timestamp"],
        )

    def test_number_keeps_its_kind(self) -> None:
        """An ``int | float`` field keeps an int an int and a float a float."""
        body = {"id": "r", "object": "response", "created_at": 17, "model": "m", "output": []}

        expected = (17, 1.5)

        assert expected == (
            structure(body, Response).created_at,
            structure({**body, "created_at": 1.5}, Response).created_at,
        )

    def test_any_is_taken_as_is(self) -> None:
        """An ``Any`` / ``dict[str, Any]`` field holds the very JSON value that was sent."""
        spec = {"nested": [1, {"x": None}]}
        endpoint = structure(
            {
                "name": "m",
                "source": "s",
                "status": "READY",
                "inference_framework": "vllm",
                "spec": spec,
            },
            GetLLMEndpointResponse,
        )

        assert endpoint.spec is spec


class TestOpenEnums:
    def test_known_value_is_a_member(self) -> None:
        """A known value becomes the enum member."""
        job = structure({"id": "ft", "status": "RUNNING"}, GetFineTuneResponse)

        assert BatchJobStatus.RUNNING is job.status

    def test_unknown_value_stays_a_string(self) -> None:
        """An unknown value is kept as a plain string, never an error."""
        job = structure({"id": "ft", "status": "PAUSED"}, GetFineTuneResponse)

        assert (str, "PAUSED") == (type(job.status), job.status)

    def test_str_is_the_value(self) -> None:
        """``str()`` and f-strings of a member give the wire value."""
        expected = ["SUCCESS", "SUCCESS"]

        assert expected == [str(BatchJobStatus.SUCCESS), f"{BatchJobStatus.SUCCESS}"]

    def test_unstructure_gives_the_value(self) -> None:
        """A member unstructures to its plain string."""
        job = GetFineTuneResponse(id="ft", status=BatchJobStatus.FAILURE)
        expected = {"id": "ft", "fine_tuned_model": None, "status": "FAILURE"}

        assert (expected, str) == (unstructure(job), type(job.to_dict()["status"]))


class TestBaseModel:
    def test_wire_dict_is_not_copied(self) -> None:
        """Structuring keeps the body it was given, without copying it."""
        body = {"id": "f", "filename": "a", "size": 1}

        assert body is structure(body, GetFileResponse)._wire

    def test_to_dict_is_a_fresh_copy(self) -> None:
        """Changing what ``to_dict()`` returned changes nothing in the object."""
        response = structure(copy.deepcopy(SYNC_BODY), CompletionSyncResponse)
        first = response.to_dict()
        first["output"]["text"] = "changed"

        expected = SYNC_BODY

        assert expected == response.to_dict()

    def test_to_json(self) -> None:
        """``to_json()`` is the wire form as JSON, indented by default."""
        response = structure({"id": "f", "filename": "é", "size": 1, "x": None}, GetFileResponse)

        expected = (
            '{\n  "id": "f",\n  "filename": "é",\n  "size": 1,\n  "x": null\n}',
            '{"id": "f", "filename": "é", "size": 1, "x": null}',
        )

        assert expected == (
            response.to_json(),
            response.to_json(indent=None),
        )

    def test_unknown_field_as_attribute(self) -> None:
        """A field this client does not know is readable as an attribute."""
        response = structure({**SYNC_BODY, "latency_ms": 12}, CompletionSyncResponse)

        expected = 12

        assert expected == response.latency_ms

    def test_missing_attribute_raises(self) -> None:
        """A name that is neither a field nor on the wire raises AttributeError."""
        response = structure(SYNC_BODY, CompletionSyncResponse)

        with pytest.raises(
            AttributeError, match="'CompletionSyncResponse' object has no attribute 'nope'"
        ):
            response.nope  # noqa: B018 - reading the attribute is what raises

    def test_python_built_object_has_no_extras(self) -> None:
        """An object built in Python has no wire dict and no unknown fields."""
        built = GetFileResponse(id="f", filename="a", size=1)

        expected = (None, None, False)

        assert expected == (built._wire, built._request_id, hasattr(built, "extra"))

    def test_request_id_on_top_level_only(self) -> None:
        """``_request_id`` is set on the result, not on its nested objects."""
        response = structure(SYNC_BODY, CompletionSyncResponse, request_id="req-9")

        expected = ("req-9", None)

        assert expected == (response._request_id, response.output._request_id)

    def test_first_and_later_calls_keep_the_same(self) -> None:
        """A model's first structure (the general path) keeps what its later ones keep."""

        @attrs.frozen(kw_only=True)
        class Fresh(BaseModel):
            name: str

        headers = {"x-request-id": "srv-1"}
        response = HTTPResponse("GET", "http://h/", 200, headers, b"", "srv-1", None)
        built = [structure({"name": "a", "more": 1}, Fresh, None, response) for _ in range(2)]

        kept = [(o, o._wire, o._request_id, o._response_headers, o.more) for o in built]  # type: ignore[attr-defined]
        assert (
            kept[0] == kept[1] == (Fresh(name="a"), {"name": "a", "more": 1}, "srv-1", headers, 1)
        )

    def test_frozen(self) -> None:
        """Results cannot be changed."""
        response = structure(SYNC_BODY, CompletionSyncResponse)

        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            response.request_id = "x"  # type: ignore[misc]

    def test_python_built_fields_set(self) -> None:
        """For an object built in Python, the fields set are those not at their default."""
        built = GetFileResponse(id="f", filename="a", size=1)

        assert {"id", "filename", "size"} == built.model_fields_set

    def test_python_built_to_dict(self) -> None:
        """An object built in Python unstructures to wire names, with nested wire bodies kept."""
        nested = structure({"id": "f", "filename": "a", "size": 1, "x": 1}, GetFileResponse)
        page = ListFilesResponse(files=[nested])

        expected = {"files": [{"id": "f", "filename": "a", "size": 1, "x": 1}], "next_cursor": None}

        assert expected == page.to_dict()

    def test_pickle_keeps_the_wire(self) -> None:
        """A pickled result comes back with its body, unknown fields and request id."""
        response = structure({**SYNC_BODY, "extra": [1]}, CompletionSyncResponse, request_id="r")

        restored = pickle.loads(pickle.dumps(response))

        assert (response, response.to_dict(), "r") == (
            restored,
            restored.to_dict(),
            restored._request_id,
        )

    def test_copy_keeps_the_wire(self) -> None:
        """A deep copy keeps the fields that were set."""
        response = structure(
            {"id": "ft", "status": "PENDING", "fine_tuned_model": None}, GetFineTuneResponse
        )

        assert response.model_fields_set == copy.deepcopy(response).model_fields_set


class TestPublicNames:
    def test_every_name_resolves(self) -> None:
        """Every name of ``smarter.types.__all__`` is there, once."""
        missing = [name for name in smarter.types.__all__ if not hasattr(smarter.types, name)]

        assert [[], len(smarter.types.__all__)] == [missing, len(set(smarter.types.__all__))]

    def test_submodules_are_fully_exported(self) -> None:
        """``smarter.types`` re-exports exactly the public names of its modules."""
        homes = set(smarter.types._HOMES.values())  # type: ignore[attr-defined]

        exported = {name for home in homes for name in importlib.import_module(home).__all__}

        assert set(smarter.types.__all__) == exported - {"WireEnum", "copy_json", "publish"}

    def test_module_is_public(self) -> None:
        """Classes say they live in ``smarter.types``, the path users import."""
        classes = [getattr(smarter.types, name) for name in smarter.types.__all__]

        modules = {cls.__module__ for cls in classes if isinstance(cls, type) and not get_args(cls)}

        assert {"smarter.types"} == modules

    @pytest.mark.parametrize("path", sorted(TYPES_DIR.glob("*.py")), ids=lambda path: path.name)
    def test_types_import_no_converter(self, path: Path) -> None:
        """No types module imports cattrs or the converter, nor the package its modules.

        But the events of a streamed response, which carry a Response.
        """
        forbidden = ("cattrs", "smarter._converter", "smarter.types.")
        allowed = {"response_events.py": {"smarter.types.responses"}}.get(path.name, set())

        imported = [
            name
            for name in _runtime_imports(path)
            if name.startswith(forbidden) and name not in allowed
        ]

        assert not imported, imported


def _runtime_imports(path: Path) -> list[str]:
    """The modules a file imports at import time (not under TYPE_CHECKING, not in functions)."""
    names: list[str] = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module != "smarter.types._base":
            names.append(node.module or "")
    return names


class TestRoundTrips:
    @settings(max_examples=50, deadline=None)
    @given(data=st.data())
    @pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
    def test_wire_to_object_to_wire(self, cls: type[BaseModel], data: st.DataObject) -> None:
        """A body structures; ``to_dict()``, the fields set and unknown fields give it back."""
        body = data.draw(wire_dicts(cls))
        unknown = [key for key in body if key not in known_wire_keys(cls)]
        readable = [
            k for k in unknown if k.isidentifier() and not hasattr(cls, k) and k[:2] != "__"
        ]
        expected = (
            body,
            {name for name, keys in wire_keys(cls).items() if not body.keys().isdisjoint(keys)},
            [body[key] for key in readable],
        )

        obj = structure(json.loads(json.dumps(body)), cls)

        assert expected == (
            obj.to_dict(),
            obj.model_fields_set,
            [getattr(obj, key) for key in readable],
        )

    @settings(max_examples=50, deadline=None)
    @given(data=st.data())
    @pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
    def test_object_to_wire_to_object(self, cls: type[BaseModel], data: st.DataObject) -> None:
        """An object built in Python unstructures to a body that structures back to it."""
        obj = data.draw(objects(cls))

        wire = json.loads(json.dumps(unstructure(obj)))

        assert obj == structure(wire, cls)
