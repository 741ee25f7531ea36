"""The JSON fast paths: the same answers as the json module, and a bound on nesting."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarter._fastpath import JSONTooDeepError, dumps_compact, loads_json

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
    @pytest.mark.parametrize("value", [float("nan"), float("inf"), [float("-inf")]])
    def test_non_finite_numbers_are_refused(self, value: object) -> None:
        """NaN and infinities are not JSON: a ValueError, not invalid JSON on the wire."""
        with pytest.raises(ValueError):
            dumps_compact(value)
