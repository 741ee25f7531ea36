"""Wire names: which keys of a body fill which field of a result class.

The models in :mod:`smarter.types` use Python names; the servers do not always:
``ChatbotManifest.api_version`` is ``apiVersion``, the LLM Engine server's
``inference_framework_image_tag`` is read as ``inference_framework_tag``, and the WhoAmI
classes read camelCase (newer servers) as well as snake_case (older ones).

And strict scalars: a ``str`` field takes a string, an ``int`` field an integer that is not a
bool, a ``float`` field an integer or a float (stored as float), a ``bool`` field a bool; an
open enum (``SomeEnum | str``) the member of a known value and the plain string of another.
cattrs' defaults (``str(x)``, ``int(x)``) would coerce silently; these hooks refuse, with a
message that says what was expected and found.

Only attrs is needed here, so a result built in Python can say which of its fields were set
without the converter (and cattrs) being imported.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from enum import Enum as _WireEnum  # the open enums are str enums (types._base.WireEnum)

__all__ = [
    "INLINE_CHECKS",
    "NULLABLE_CHECKS",
    "MismatchError",
    "fields_set",
    "known_wire_keys",
    "mismatch",
    "structure_bool",
    "structure_float",
    "structure_int",
    "structure_number",
    "structure_open_enum",
    "structure_optional_int",
    "structure_optional_str",
    "structure_str",
    "wire_keys",
]

Hook = Callable[[Any, Any], Any]

# By class name (and so for subclasses too), so that no resource's types are imported here.
# Field name -> the key it is written under, where that is not the field name.
_RENAMES: dict[str, dict[str, str]] = {
    "ChatbotManifest": {"api_version": "apiVersion"},
    "Manifest": {"api_version": "apiVersion"},
    "ManifestList": {"api_version": "apiVersion"},
}
# Field name -> other keys read into it; the first key present wins.
_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "GetLLMEndpointResponse": {"inference_framework_tag": ("inference_framework_image_tag",)},
}
# Classes whose fields may also arrive in camelCase (newer Smarter servers).
_CAMEL_CASE = frozenset({"WhoAmIUser", "WhoAmIAccount"})

_WIRE_KEYS: dict[type[Any], Mapping[str, tuple[str, ...]]] = {}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def wire_keys(cls: type[Any]) -> Mapping[str, tuple[str, ...]]:
    """Each field of *cls* and the wire keys read into it; the first is the one written."""
    keys = _WIRE_KEYS.get(cls)
    if keys is None:
        lineage = [base.__name__ for base in cls.__mro__]
        renames = next((_RENAMES[name] for name in lineage if name in _RENAMES), {})
        aliases = next((_ALIASES[name] for name in lineage if name in _ALIASES), {})
        camel = not _CAMEL_CASE.isdisjoint(lineage)
        found: dict[str, tuple[str, ...]] = {}
        for field in attrs.fields(cls):
            names = [renames.get(field.name, field.name), *aliases.get(field.name, ())]
            if camel and _camel(field.name) not in names:
                names.append(_camel(field.name))
            found[field.name] = tuple(names)
        keys = _WIRE_KEYS[cls] = types.MappingProxyType(found)
    return keys


def known_wire_keys(cls: type[Any]) -> frozenset[str]:
    """Every key and field name *cls* knows; any other key of a body is an unknown field."""
    return frozenset(wire_keys(cls)).union(*wire_keys(cls).values())


def fields_set(obj: Any) -> frozenset[str]:
    """The fields of *obj* that were on the wire, or that differ from their defaults."""
    cls: type[Any] = type(obj)
    wire = obj._wire
    if wire is not None:
        return frozenset(
            name for name, keys in wire_keys(cls).items() if any(key in wire for key in keys)
        )
    return frozenset(
        field.name
        for field in attrs.fields(cls)
        if not _is_default(field, getattr(obj, field.name))
    )


def _is_default(field: attrs.Attribute[Any], value: Any) -> bool:
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # a function in the stubs
        default = default.factory()
    return default is not attrs.NOTHING and bool(value == default)


class MismatchError(TypeError):
    """A value of the wrong JSON type; the message says what was expected and found."""


def mismatch(expected: str, value: Any) -> MismatchError:
    if value is None:
        return MismatchError(f"expected {expected}, got null")
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return MismatchError(f"expected {expected}, got {type(value).__name__} {text}")


def structure_str(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return value
    raise mismatch("str", value)


def structure_int(value: Any, _: Any) -> int:
    if isinstance(value, int) and value.__class__ is not bool:
        return value
    raise mismatch("int", value)


# `str | None` and `int | None` are most of the optional fields: one call each, not two.
def structure_optional_str(value: Any, _: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise mismatch("str", value)


def structure_optional_int(value: Any, _: Any) -> int | None:
    if value is None or (isinstance(value, int) and value.__class__ is not bool):
        return value
    raise mismatch("int", value)


def structure_float(value: Any, _: Any) -> float:
    if value.__class__ is float:
        return value
    if isinstance(value, (int, float)) and value.__class__ is not bool:
        return float(value)
    raise mismatch("float", value)


def structure_number(value: Any, _: Any) -> int | float:
    if isinstance(value, (int, float)) and value.__class__ is not bool:
        return value
    raise mismatch("number", value)


def structure_bool(value: Any, _: Any) -> bool:
    if value is True or value is False:
        return value
    raise mismatch("bool", value)


def structure_open_enum(value: Any, enum_cls: type[_WireEnum]) -> _WireEnum | str:
    if isinstance(value, str):
        return enum_cls._value2member_map_.get(value, value)
    raise mismatch("str", value)


# The leaf hooks the generated functions check inline instead of calling (see _fastpath,
# whose namespace names the error maker `_mismatch`).
INLINE_CHECKS: dict[Hook, str] = {
    # `v.__class__ is` first: the exact type, the common case, without a call.
    structure_str: (
        "if v.__class__ is not str and not isinstance(v, str): raise _mismatch('str', v)"
    ),
    structure_optional_str: (
        "if v is not None and v.__class__ is not str and not isinstance(v, str): "
        "raise _mismatch('str', v)"
    ),
    structure_int: (
        "if v.__class__ is not int and (not isinstance(v, int) or v.__class__ is bool): "
        "raise _mismatch('int', v)"
    ),
    structure_optional_int: (
        "if v is not None and v.__class__ is not int and "
        "(not isinstance(v, int) or v.__class__ is bool): raise _mismatch('int', v)"
    ),
    structure_bool: "if v is not True and v is not False: raise _mismatch('bool', v)",
}
# The inline checks that let null through: a field with one of them and a default of None
# needs no test of absence (see _fastpath).
NULLABLE_CHECKS = frozenset(
    {INLINE_CHECKS[structure_optional_str], INLINE_CHECKS[structure_optional_int]}
)
