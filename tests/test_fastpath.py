"""The fast paths: JSON as the json module reads it, bounded; structure functions by contract."""

from __future__ import annotations

import concurrent.futures
import json
import pickle
import types
from typing import Any, NoReturn

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarter._converter import structure
from smarter._fastpath import (
    FieldPlan,
    JSONTooDeepError,
    dumps_compact,
    generate_structure_fn,
    loads_json,
)
from smarter.types import CompletionStreamOutput, CompletionStreamResponse

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


class TestLoads:
    @given(JSON)
    def test_agrees_with_json_loads(self, value: object) -> None:
        """Any JSON document, compact or spaced, decodes as json.loads decodes it."""
        for data in (dumps_compact(value), json.dumps(value, indent=1).encode()):
            assert loads_json(data) == json.loads(data)

    @given(st.binary(max_size=64))
    def test_arbitrary_bytes_give_a_value_or_value_error(self, data: bytes) -> None:
        """Arbitrary bytes: the value json.loads gives, else a ValueError (never another)."""
        try:
            expected = json.loads(data)
        except ValueError:
            with pytest.raises(ValueError):
                loads_json(data)
        else:
            assert loads_json(data) == expected

    @pytest.mark.parametrize("depth", [129, 5_000, 100_000])
    def test_too_deep_is_refused(self, depth: int) -> None:
        """Nesting past max_depth: JSONTooDeepError naming the limit, never RecursionError."""
        with pytest.raises(JSONTooDeepError, match="deeper than 128"):
            loads_json(b"[" * depth + b"]" * depth)

    def test_the_limit_itself_is_accepted(self) -> None:
        """Nesting exactly max_depth deep decodes."""
        assert loads_json(b"[" * 128 + b"]" * 128, 128) is not None


class TestDumps:
    @given(JSON)
    def test_agrees_with_json_dumps(self, value: object) -> None:
        """Any JSON value encodes as compact, non-ASCII-escaping json.dumps encodes it."""
        expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        assert dumps_compact(value) == expected.encode()

    @pytest.mark.parametrize("value", [float("nan"), float("inf"), [float("-inf")]])
    def test_non_finite_numbers_are_refused(self, value: object) -> None:
        """NaN and infinities are not JSON: a ValueError, not invalid JSON on the wire."""
        with pytest.raises(ValueError):
            dumps_compact(value)

    def test_a_container_holding_itself_is_refused(self) -> None:
        """A circular body is a ValueError, and encoding goes on working after it."""
        looped: dict[str, object] = {"a": [1]}
        looped["self"] = looped

        with pytest.raises(ValueError, match="Circular reference"):
            dumps_compact(looped)
        assert dumps_compact({"a": [1, "é"]}) == '{"a":[1,"é"]}'.encode()

    def test_threads_encode_at_once(self) -> None:
        """Four threads encoding at once each get their own document, whole."""
        bodies = [{"n": n, "items": list(range(n % 50))} for n in range(2_000)]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            encoded = list(pool.map(dumps_compact, bodies))

        assert [json.loads(data) for data in encoded] == bodies


@attrs.frozen(kw_only=True)
class _Point:
    x: int
    wire: object = None
    headers: object = None
    rid: str | None = None


@attrs.frozen(kw_only=True)
class _Checked:
    x: int = attrs.field(validator=attrs.validators.gt(0))


class _Failed(Exception):
    pass


def _fail(d: Any, exc: Exception, response: Any, rid: str | None) -> NoReturn:
    raise _Failed(d, type(exc).__name__, rid)


def _generate(cls: type[Any]) -> tuple[Any, Any]:
    return generate_structure_fn(
        cls,
        [FieldPlan("x", ["x"], required=True, hook=lambda v, _: v)],
        mismatch=lambda expected, value: TypeError(expected),
        missing=KeyError,
        wire_slot="wire",
        id_slot="rid",
        headers_slot="headers",
        fail=_fail,
    )


class TestGeneratedStructure:
    def test_objects_are_their_class_and_frozen(self) -> None:
        """A built object is exactly its class (no builder shows), frozen, nested ones too."""
        chunk = structure({"output": {"text": "a", "finished": True}}, CompletionStreamResponse)

        assert type(chunk) is CompletionStreamResponse
        assert type(chunk.output) is CompletionStreamOutput
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            chunk.output.text = "b"  # type: ignore[misc]
        assert pickle.loads(pickle.dumps(chunk)) == chunk

    def test_a_class_with_a_validator_is_refused(self) -> None:
        """A class whose __init__ does work the fast path would skip fails when generated."""
        with pytest.raises(AssertionError, match="validator"):
            _generate(_Checked)

    def test_top_keeps_the_response_and_reports_failures(self) -> None:
        """The top-level twin keeps headers and id; a body that does not fit goes to fail."""
        structure_model, top = _generate(_Point)
        response = types.SimpleNamespace(headers={"a": "b"}, request_id="req_1")
        wire = {"x": 1}

        assert top(wire, response) == _Point(x=1, wire=wire, headers={"a": "b"}, rid="req_1")
        assert top(wire, response, "req_2").rid == "req_2"
        assert (top(wire, None, "req_3").rid, top(wire, None).x) == ("req_3", 1)
        assert type(structure_model(wire, _Point)) is _Point
        with pytest.raises(_Failed) as failed:
            top({"y": 2}, response, "req_4")
        assert failed.value.args == ({"y": 2}, "KeyError", "req_4")
