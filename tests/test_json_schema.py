"""Local JSON-schema checks (the platform has no validate/ route): pydantic's keywords."""

from __future__ import annotations

from typing import Any

import pytest

from smarter._json_schema import check_schema
from smarter.testing._kinds import schema

SECRET = schema("Secret")


def secret(**config: Any) -> dict[str, Any]:
    """A Secret manifest with this config."""
    return {
        "apiVersion": "smarter.sh/v1",
        "kind": "Secret",
        "metadata": {"name": "k", "description": None, "version": "1"},
        "spec": {"config": config},
    }


class TestCheckSchema:
    def test_fits(self) -> None:
        """A manifest that fits has no issue."""
        assert check_schema(secret(value="v", expiration_date=None), SECRET) == []

    def test_refs_required_and_types(self) -> None:
        """$ref into $defs is followed; required keys and types are checked with their path."""
        manifest = secret(expiration_date=5)
        del manifest["metadata"]["version"]

        assert check_schema(manifest, SECRET) == [
            ("metadata.version", "is required"),
            ("spec.config.value", "is required"),
            ("spec.config.expiration_date", "expected string or null, got integer 5"),
        ]

    @pytest.mark.parametrize(
        ("schema", "value", "expected"),
        [
            ({"enum": ["a", "b"]}, "c", [("", "'c' is not one of ['a', 'b']")]),
            ({"const": 1}, True, [("", "must be 1")]),
            ({"type": "integer", "minimum": 2}, 1, [("", "must be at least 2")]),
            ({"type": "string", "pattern": "^x"}, "y", [("", "'y' does not match '^x'")]),
            ({"type": "array", "items": {"type": "string"}}, ["a", 1],
             [("[1]", "expected string, got integer 1")]),
            ({"type": "object", "additionalProperties": False}, {"a": 1},
             [("a", "is not allowed here")]),
            ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1,
             [("", "matches 2 of the oneOf schemas, not exactly one")]),
            ({"allOf": [{"type": "string"}, {"maxLength": 1}]}, "ab",
             [("", "must be at most 1 characters long")]),
            (False, 1, [("", "no value is allowed here")]),
            ({"format": "date-time", "title": "t"}, "anything", []),
        ],
    )  # fmt: skip
    def test_keywords(self, schema: Any, value: Any, expected: list[tuple[str, str]]) -> None:
        """Each keyword pydantic writes constrains; the others do not."""
        assert check_schema(value, schema) == expected

    def test_recursive_refs_end(self) -> None:
        """A schema that refers to itself is followed to a depth, never forever."""
        looping = {"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}}

        assert check_schema({"x": 1}, looping) == []
