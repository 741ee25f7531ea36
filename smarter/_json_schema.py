"""Check a manifest against its kind's JSON schema, locally: the platform has no ``validate/``.

No tag of the platform has a ``validate/`` route (``smarter-sh/smarter@v0.14.19:
smarter/smarter/apps/api/v1/cli/urls.py`` and the same file at v0.13.223 and v0.10.21), so
``manifests.validate()`` fetches the kind's schema (``json-schema/<kind>/``; ``schema/<kind>/``
before v0.14) and checks here. The schema is pydantic's ``model_json_schema()`` of the kind's
model (``.../lib/manifest/broker/abstract_broker_class.py`` ``schema``), so this checks the
JSON Schema keywords pydantic writes: ``$ref`` into ``$defs``/``definitions``, ``type``,
``properties``, ``required``, ``additionalProperties``, ``items``, ``enum``, ``const``,
``anyOf``/``oneOf``/``allOf``, string lengths and ``pattern``, number bounds, item counts.
Other keywords (``format``, ``default``, ``title``, ...) do not constrain here, as they do
not in pydantic's own validation of the same data.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["check_schema"]

_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
# A $ref cycle (a recursive model) is followed this deep at most.
_MAX_DEPTH = 64


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Checker:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def resolve(self, ref: str) -> Mapping[str, Any]:
        if not ref.startswith("#/"):
            return {}  # a remote reference: pydantic writes none; not followed
        node: Any = self.root
        for escaped in ref[2:].split("/"):
            part = escaped.replace("~1", "/").replace("~0", "~")
            node = node.get(part) if isinstance(node, Mapping) else None
        return node if isinstance(node, Mapping) else {}

    def check(self, value: Any, schema: Any, path: str, depth: int = 0) -> list[tuple[str, str]]:
        if schema is False:
            return [(path, "no value is allowed here")]
        if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
            return []  # True, or a schema this does not read: anything goes
        errors: list[tuple[str, str]] = []
        if "$ref" in schema:
            errors += self.check(value, self.resolve(str(schema["$ref"])), path, depth + 1)
        errors += self._type(value, schema, path)
        if errors:
            return errors
        errors += self._combinators(value, schema, path, depth)
        if "enum" in schema and not any(_equal(value, item) for item in schema["enum"]):
            errors.append((path, f"{value!r:.60} is not one of {schema['enum']!r:.120}"))
        if "const" in schema and not _equal(value, schema["const"]):
            errors.append((path, f"must be {schema['const']!r:.60}"))
        if isinstance(value, dict):
            errors += self._object(value, schema, path, depth)
        elif isinstance(value, list):
            errors += self._array(value, schema, path, depth)
        elif isinstance(value, str):
            errors += _string(value, schema, path)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            errors += _number(value, schema, path)
        return errors

    def _type(self, value: Any, schema: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
        wanted = schema.get("type")
        if wanted is None:
            return []
        names = [wanted] if isinstance(wanted, str) else list(wanted)
        if any(_TYPES.get(name, lambda _: True)(value) for name in names):
            return []
        return [(path, f"expected {' or '.join(names)}, got {_json_type(value)} {value!r:.40}")]

    def _combinators(
        self, value: Any, schema: Mapping[str, Any], path: str, depth: int
    ) -> list[tuple[str, str]]:
        errors: list[tuple[str, str]] = []
        for sub in schema.get("allOf", ()):
            errors += self.check(value, sub, path, depth + 1)
        for keyword in ("anyOf", "oneOf"):
            options = schema.get(keyword)
            if not options:
                continue
            results = [self.check(value, sub, path, depth + 1) for sub in options]
            passing = sum(1 for result in results if not result)
            simple = [sub.get("type") for sub in options if isinstance(sub, Mapping)]
            if (
                passing == 0
                and len(simple) == len(options)
                and all(isinstance(sub, Mapping) and set(sub) == {"type"} for sub in options)
            ):
                # pydantic's Optional[X] is anyOf [{type: X}, {type: null}]: say both.
                names = " or ".join(str(name) for name in simple)
                errors.append((path, f"expected {names}, got {_json_type(value)} {value!r:.40}"))
            elif passing == 0:
                # The closest option's errors say the most (pydantic's Optional[...] is
                # anyOf [X, null]: X's errors, not "expected null").
                closest: list[tuple[str, str]] = min(results, key=len)
                errors += closest
            elif keyword == "oneOf" and passing > 1:
                errors.append((path, f"matches {passing} of the oneOf schemas, not exactly one"))
        return errors

    def _object(
        self, value: dict[str, Any], schema: Mapping[str, Any], path: str, depth: int
    ) -> list[tuple[str, str]]:
        errors = [
            (_join(path, key), "is required")
            for key in schema.get("required", ())
            if key not in value
        ]
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                errors += self.check(item, properties[key], _join(path, key), depth + 1)
            elif extra is False:
                errors.append((_join(path, key), "is not allowed here"))
            elif isinstance(extra, Mapping):
                errors += self.check(item, extra, _join(path, key), depth + 1)
        return errors

    def _array(
        self, value: list[Any], schema: Mapping[str, Any], path: str, depth: int
    ) -> list[tuple[str, str]]:
        errors: list[tuple[str, str]] = []
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append((path, f"needs at least {schema['minItems']} items"))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append((path, f"takes at most {schema['maxItems']} items"))
        items = schema.get("items")
        if isinstance(items, Mapping):
            for index, item in enumerate(value):
                errors += self.check(item, items, _join(path, index), depth + 1)
        return errors


def _string(value: str, schema: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
    errors = []
    if "minLength" in schema and len(value) < schema["minLength"]:
        errors.append((path, f"must be at least {schema['minLength']} characters long"))
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append((path, f"must be at most {schema['maxLength']} characters long"))
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            matched = re.search(pattern, value) is not None
        except re.error:
            matched = True  # a pattern Python cannot read constrains nothing here
        if not matched:
            errors.append((path, f"{value!r:.40} does not match {pattern!r}"))
    return errors


def _number(value: float, schema: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
    bounds = (
        ("minimum", operator.ge, "at least"),
        ("maximum", operator.le, "at most"),
        ("exclusiveMinimum", operator.gt, "more than"),
        ("exclusiveMaximum", operator.lt, "less than"),
    )
    return [
        (path, f"must be {words} {schema[keyword]}")
        for keyword, holds, words in bounds
        if isinstance(schema.get(keyword), int | float) and not holds(value, schema[keyword])
    ]


def _json_type(value: Any) -> str:
    return next(
        (
            name
            for name in ("null", "boolean", "integer", "number", "string", "array", "object")
            if _TYPES[name](value)
        ),
        type(value).__name__,
    )


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def check_schema(value: Any, schema: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every way *value* does not fit *schema*: ``(path, message)`` pairs, none if it fits."""
    return _Checker(schema).check(value, schema, "")
