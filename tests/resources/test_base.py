"""What resources share: ``BodySpec``, the declared fields of a request body."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarter.resources._base import BOOL, INT, JSON, NUMBER, OBJECT, STR, STRINGS, BodySpec

CHECKS = {
    "prompt": STR,
    "max_new_tokens": INT,
    "temperature": NUMBER,
    "stream": BOOL,
    "stop": STRINGS,
    "metadata": OBJECT,
    "extra": JSON,
}
SPEC = BodySpec(**CHECKS)

VALUES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3)
VALUES |= st.lists(st.text(max_size=2), max_size=2) | st.dictionaries(st.text(max_size=2), VALUES)


def _reference(arguments: dict[str, Any]) -> dict[str, Any] | type[Exception]:
    """What a body is by definition: each non-None argument through its check."""
    body = {}
    for name, value in arguments.items():
        if value is not None:
            try:
                body[name] = CHECKS[name](name, value)
            except (TypeError, ValueError) as exc:
                return type(exc)
    return body


def test_fields_left_at_none_are_left_out() -> None:
    """Only the given fields are sent, each as given."""
    body = SPEC.build(prompt="hi", max_new_tokens=None, temperature=0.5, stream=None)

    assert body == {"prompt": "hi", "temperature": 0.5}


def test_a_wrong_type_names_the_field() -> None:
    """A value of the wrong type is a TypeError naming the field and the value."""
    with pytest.raises(TypeError, match=r"max_new_tokens must be an int, not bool True"):
        SPEC.build(max_new_tokens=True)


@pytest.mark.parametrize("value", [3, None])
def test_an_undeclared_name_is_refused(value: int | None) -> None:
    """A name the spec does not declare is refused, even at None: it is a programming error."""
    with pytest.raises(TypeError, match="unexpected keyword argument 'top_k'"):
        SPEC.build(prompt="hi", top_k=value)


@pytest.mark.parametrize("name", ["class", "_body", "_check0"])
def test_a_field_name_must_be_a_public_python_name(name: str) -> None:
    """A keyword, or a name of the generated code's own, is refused when declared."""
    with pytest.raises(ValueError, match=f"'{name}' cannot be a field"):
        BodySpec(**{name: STR})


def test_a_field_may_be_called_body() -> None:
    """A field named like a local of other code is sent as any other."""
    assert BodySpec(body=STR).build(body="hello") == {"body": "hello"}


@given(st.dictionaries(st.sampled_from(sorted(CHECKS)), VALUES))
def test_build_is_each_check_applied(arguments: dict[str, Any]) -> None:
    """The generated build gives the body, or the error, its checks define."""
    expected = _reference(arguments)

    if isinstance(expected, dict):
        assert SPEC.build(**arguments) == expected
    else:
        with pytest.raises(expected):
            SPEC.build(**arguments)


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers())
def test_numbers_are_finite_or_refused(value: float) -> None:
    """A finite number is sent as it is; NaN and infinity are refused by name."""
    if math.isfinite(value):
        assert SPEC.build(temperature=value) == {"temperature": value}
    else:
        with pytest.raises(ValueError, match="temperature must be a finite number"):
            SPEC.build(temperature=value)
