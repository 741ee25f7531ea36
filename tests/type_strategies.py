"""Hypothesis strategies for the result types: wire bodies and objects built in Python.

Both are derived from the attrs fields of a class and the converter's table of wire names,
so a new field or a new type is covered without touching this module.
"""

from __future__ import annotations

import types
from functools import cache
from typing import Any, Union, get_args, get_origin

import attrs
from hypothesis import strategies as st

import smarter.types
from smarter._wire import known_wire_keys, wire_keys
from smarter.types._base import BaseModel, WireEnum

__all__ = ["MODELS", "json_values", "objects", "python_values", "wire_dicts", "wire_values"]

#: Every result class of smarter.types, by name.
MODELS: list[type[BaseModel]] = sorted(
    (
        obj
        for obj in (getattr(smarter.types, name) for name in smarter.types.__all__)
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not BaseModel
    ),
    key=lambda cls: cls.__name__,
)

_UNIONS = (Union, types.UnionType)
_text = st.text(max_size=8)
_floats = st.floats(allow_nan=False, allow_infinity=False)

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | _floats | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=6,
)
"""Any JSON value (no NaN or infinity: they are not JSON)."""

_WIRE_SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    str: _text,
    bool: st.booleans(),
    int: st.integers(),
    float: st.integers() | _floats,  # JSON may spell a float without a fraction
    Any: json_values,
}
_PYTHON_SCALARS: dict[Any, st.SearchStrategy[Any]] = {**_WIRE_SCALARS, float: _floats}


def _values(tp: Any, scalars: dict[Any, st.SearchStrategy[Any]], model: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return model(tp)
    if isinstance(tp, type) and issubclass(tp, WireEnum):
        members = list(tp)
        return st.sampled_from([m.value for m in members] if scalars is _WIRE_SCALARS else members)
    origin, args = get_origin(tp), get_args(tp)
    if origin in _UNIONS:
        return st.one_of([_values(arg, scalars, model) for arg in args])
    if origin is list:
        return st.lists(_values(args[0], scalars, model), max_size=3)
    if origin is dict:
        return st.dictionaries(_text, _values(args[1], scalars, model), max_size=3)
    if tp is types.NoneType:
        return st.none()
    return scalars[tp]


@cache
def wire_values(tp: Any) -> st.SearchStrategy[Any]:
    """JSON values that fit the field type *tp*."""
    strategy: st.SearchStrategy[Any] = _values(tp, _WIRE_SCALARS, wire_dicts)
    return strategy


@cache
def python_values(tp: Any) -> st.SearchStrategy[Any]:
    """Python values of the field type *tp*: enum members, floats as floats, objects."""
    strategy: st.SearchStrategy[Any] = _values(tp, _PYTHON_SCALARS, objects)
    return strategy


@st.composite
def _wire_dict(draw: st.DrawFn, cls: type[BaseModel]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for field in attrs.fields(cls):
        if field.default is not attrs.NOTHING and draw(st.booleans()):
            continue  # an optional field left out
        key = draw(st.sampled_from(wire_keys(cls)[field.name]))
        body[key] = draw(wire_values(field.type))
    body.update(draw(_unknown_fields(cls)))
    return body


@cache
def _unknown_fields(cls: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    known = known_wire_keys(cls)
    unknown = st.text(min_size=1, max_size=8).filter(lambda key: key not in known)
    return st.dictionaries(unknown, json_values, max_size=2)


@cache
def wire_dicts(cls: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies that *cls* accepts.

    Optional fields are absent or present (maybe null), each field under any of its accepted
    spellings, and a few unknown fields are mixed in.
    """
    return _wire_dict(cls)


@cache
def objects(cls: type[BaseModel]) -> st.SearchStrategy[BaseModel]:
    """Instances of *cls* built in Python, with every field drawn."""
    return st.builds(cls, **{f.name: python_values(f.type) for f in attrs.fields(cls)})
