"""JSON schemas of Python types, for structured outputs (``chat.completions.parse()``).

:func:`response_format` turns the ``response_format`` a caller gives ``parse()`` into the
body's ``{"type": "json_schema", "json_schema": {...}}``: an attrs class or a TypedDict is
described by a schema generated here, a dict is taken as the schema itself.

A generated schema follows OpenAI's strict mode wherever the type allows
(``openai/openai-openapi@f85dbe2:openapi.yaml#/components/schemas/ResponseFormatJsonSchema``;
the rules as openai-python applies them, ``openai/openai-python@e43b422:src/openai/lib/
_pydantic.py``): every object lists all its properties in ``required`` and has
``additionalProperties: false``; a field that may be None is ``anyOf [<type>, null]``; a
class used inside another is a ``$defs`` entry, referred to by ``$ref``. A field with a
default is still required: the model writes every field, so the reply fits the class.
What strict mode cannot say (a ``dict[str, X]`` with free keys, ``Any``) is written all the
same and the schema is sent with ``strict: false``.

Only the types the converter structures are accepted: ``str``, ``int``, ``float``, ``bool``,
``None``, ``list[X]``, ``dict[str, X]``, ``Literal[...]``, enums, ``X | None``, ``Any``,
attrs classes and TypedDicts, nested. Anything else is a ``TypeError`` naming the field,
before anything is sent.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import attrs

__all__ = ["JSONSchemaFormat", "json_schema", "response_format"]

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
}
_JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number"}
_NAME = re.compile(r"[^a-zA-Z0-9_-]")


class JSONSchemaFormat:
    """A ``response_format`` to send, and what the reply is structured into.

    Attributes:
        body: The ``response_format`` of the request body.
        target: The type the reply's JSON is structured into, or None to keep the JSON
            value as it is (a schema given as a dict).
    """

    __slots__ = ("body", "target")

    def __init__(self, body: dict[str, Any], target: Any) -> None:
        self.body = body
        self.target = target


def response_format(value: Any) -> JSONSchemaFormat:
    """The ``response_format`` of ``parse(response_format=value)``.

    *value* is an attrs class or a TypedDict (its schema is generated, strict where it can
    be), a ``{"type": "json_schema", ...}`` or ``{"type": "json_object"}`` format (sent as
    it is), or a JSON schema as a dict (sent as the format's ``schema``, not strict: its
    rules are the caller's).

    Raises:
        TypeError: *value* is none of these, or holds a type with no JSON schema.
    """
    if isinstance(value, dict):
        if value.get("type") in ("json_schema", "json_object"):
            return JSONSchemaFormat(dict(value), None)
        name = _NAME.sub("_", str(value.get("title") or "response"))[:64]
        body = {"type": "json_schema", "json_schema": {"name": name, "schema": dict(value)}}
        return JSONSchemaFormat(body, None)
    if not _is_class(value):
        raise TypeError(
            "response_format must be an attrs class, a TypedDict or a JSON schema (a dict), "
            f"not {value!r}"[:200]
        )
    schema, strict = json_schema(value)
    spec: dict[str, Any] = {"name": _NAME.sub("_", value.__name__)[:64], "schema": schema}
    spec["strict"] = strict
    return JSONSchemaFormat({"type": "json_schema", "json_schema": spec}, value)


def _is_class(value: Any) -> bool:
    return isinstance(value, type) and (attrs.has(value) or typing.is_typeddict(value))


def json_schema(tp: Any) -> tuple[dict[str, Any], bool]:
    """The JSON schema of an attrs class or TypedDict, and whether it is strict-compatible.

    Raises:
        TypeError: a field's type has no JSON schema; the message names the field.
    """
    builder = _Builder()
    root = builder.object_schema(tp, tp.__name__)
    if builder.defs:
        root["$defs"] = builder.defs
    return root, builder.strict


class _Builder:
    """Writes one schema: the root's properties inline, nested classes under ``$defs``."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}
        self.strict = True
        self._names: dict[Any, str] = {}

    def object_schema(self, cls: Any, where: str) -> dict[str, Any]:
        if attrs.has(cls):
            attrs.resolve_types(cls)
            fields = {field.name: field.type for field in attrs.fields(cls)}
        else:
            fields = get_type_hints(cls)
        properties = {
            name: self.schema(field_type, f"{where}.{name}") for name, field_type in fields.items()
        }
        schema: dict[str, Any] = {"type": "object", "title": cls.__name__}
        doc = _summary(cls)
        if doc:
            schema["description"] = doc
        schema.update(properties=properties, required=list(properties), additionalProperties=False)
        return schema

    def schema(self, tp: Any, where: str) -> dict[str, Any]:  # noqa: PLR0911 (a table)
        if tp in _SCALARS:
            return dict(_SCALARS[tp])
        if tp is Any or tp is object:
            self.strict = False
            return {}
        origin, args = get_origin(tp), get_args(tp)
        if origin in (Union, types.UnionType):
            rest = [arg for arg in args if arg is not type(None)]
            if len(rest) != 1:
                raise TypeError(f"{where}: only `X | None` unions have a schema, not {tp}")
            return {"anyOf": [self.schema(rest[0], where), {"type": "null"}]}
        if origin is Literal:
            return _enum_schema(list(args), where)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return _enum_schema([member.value for member in tp], where)
        if origin is list or tp is list:
            items = self.schema(args[0] if args else Any, f"{where}[]")
            return {"type": "array", "items": items}
        if origin is dict or tp is dict:
            if args and args[0] is not str:
                raise TypeError(f"{where}: JSON object keys are strings, not {args[0]}")
            self.strict = False  # free keys: strict mode has no way to say it
            return {"type": "object", "additionalProperties": self.schema(args[1], where)}
        if _is_class(tp):
            return {"$ref": f"#/$defs/{self._define(tp)}"}
        raise TypeError(f"{where}: {tp!r} has no JSON schema (use str, int, float, bool, "
                        "lists, Literal, enums, attrs classes or TypedDicts)")  # fmt: skip

    def _define(self, cls: Any) -> str:
        name = self._names.get(cls)
        if name is None:
            name = cls.__name__
            while name in self.defs:  # two classes of one name from different modules
                name += "_"
            self._names[cls] = name
            self.defs[name] = {}  # reserved first: a class may refer to itself
            self.defs[name] = self.object_schema(cls, cls.__name__)
        return name


def _enum_schema(values: list[Any], where: str) -> dict[str, Any]:
    kinds = {_JSON_TYPES.get(type(value)) for value in values}
    if None in kinds:
        raise TypeError(f"{where}: enum values must be str, int, float or bool: {values!r}")
    schema: dict[str, Any] = {"enum": values}
    if len(kinds) == 1:
        schema = {"type": kinds.pop(), **schema}
    return schema


def _summary(cls: Any) -> str | None:
    """The first paragraph of a class's own docstring (not attrs' or TypedDict's generic one)."""
    doc = vars(cls).get("__doc__")
    if not isinstance(doc, str) or not doc.strip():
        return None
    return " ".join(doc.strip().split("\n\n")[0].split())
