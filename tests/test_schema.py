"""JSON schemas of attrs classes and TypedDicts for structured outputs (strict mode rules)."""

from __future__ import annotations

import enum
from typing import Any, Literal, TypedDict

import attrs
import pytest

from smarter._schema import json_schema, response_format


class Unit(enum.Enum):
    C = "c"
    F = "f"


@attrs.frozen
class Address:
    city: str
    country: str


@attrs.frozen
class Reading:
    """A weather reading.

    More words that are not the summary.
    """

    where: Address
    temperature: float
    unit: Unit = Unit.C
    note: str | None = None
    tags: list[str] = attrs.Factory(list)


class Movie(TypedDict):
    title: str
    year: int
    genre: Literal["drama", "comedy"]


@attrs.frozen
class Node:
    name: str
    children: list[Node]


@attrs.frozen
class Loose:
    counts: dict[str, int]
    extra: Any


class TestJSONSchema:
    def test_attrs_class_is_strict(self) -> None:
        """Every property required, no extra ones, None as a null union, classes in $defs."""
        schema, strict = json_schema(Reading)

        assert strict is True
        assert schema == {
            "type": "object",
            "title": "Reading",
            "description": "A weather reading.",
            "properties": {
                "where": {"$ref": "#/$defs/Address"},
                "temperature": {"type": "number"},
                "unit": {"type": "string", "enum": ["c", "f"]},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["where", "temperature", "unit", "note", "tags"],
            "additionalProperties": False,
            "$defs": {
                "Address": {
                    "type": "object",
                    "title": "Address",
                    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
                    "required": ["city", "country"],
                    "additionalProperties": False,
                }
            },
        }

    def test_typeddict(self) -> None:
        """A TypedDict's keys are its properties; a Literal is an enum of its values."""
        schema, strict = json_schema(Movie)

        assert (strict, schema["required"], schema["properties"]["genre"]) == (
            True,
            ["title", "year", "genre"],
            {"type": "string", "enum": ["drama", "comedy"]},
        )

    def test_recursive_class_refers_to_itself(self) -> None:
        """A class used inside itself is one $defs entry referred to by $ref."""
        schema, _ = json_schema(Node)

        assert schema["properties"]["children"] == {
            "type": "array",
            "items": {"$ref": "#/$defs/Node"},
        }
        assert schema["$defs"]["Node"]["required"] == ["name", "children"]

    def test_free_keys_are_not_strict(self) -> None:
        """dict[str, X] and Any have schemas that strict mode cannot say: strict is False."""
        schema, strict = json_schema(Loose)

        assert (strict, schema["properties"]) == (
            False,
            {
                "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                "extra": {},
            },
        )

    @pytest.mark.parametrize(
        ("annotation", "message"),
        [
            (int | str, r"Bad\.value: only `X \| None` unions"),
            (bytes, r"Bad\.value: <class 'bytes'> has no JSON schema"),
            (dict[int, str], r"Bad\.value: JSON object keys are strings"),
        ],
    )
    def test_unsupported_types_name_the_field(self, annotation: Any, message: str) -> None:
        """A type with no JSON schema is a TypeError naming the field."""
        bad = attrs.make_class("Bad", {"value": attrs.field(type=annotation)})

        with pytest.raises(TypeError, match=message):
            json_schema(bad)


class TestResponseFormat:
    def test_class(self) -> None:
        """A class becomes a strict json_schema format named after it."""
        found = response_format(Movie)

        assert (found.body["type"], found.body["json_schema"]["name"], found.target) == (
            "json_schema",
            "Movie",
            Movie,
        )
        assert found.body["json_schema"]["strict"] is True

    def test_schema_dict(self) -> None:
        """A bare JSON schema is wrapped, not strict, and its reply kept as JSON."""
        schema = {"title": "A B", "type": "object", "properties": {"a": {"type": "integer"}}}

        found = response_format(schema)

        assert (found.body, found.target) == (
            {"type": "json_schema", "json_schema": {"name": "A_B", "schema": schema}},
            None,
        )

    def test_format_dict_passes_through(self) -> None:
        """A whole json_schema or json_object format is sent as given."""
        given = {"type": "json_object"}

        assert response_format(given).body == given

    @pytest.mark.parametrize("value", [str, int, "a", 3])
    def test_other_values_refused(self, value: Any) -> None:
        """Anything else is a TypeError."""
        with pytest.raises(TypeError, match="must be an attrs class, a TypedDict"):
            response_format(value)
