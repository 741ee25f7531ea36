"""The structural diff of a manifest against what describe says: only what the manifest sets."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from smarter._manifest_diff import Change, diff, manifest_changes

keys = st.text(alphabet="abcXYZ_", min_size=1, max_size=6)
scalars = st.none() | st.booleans() | st.integers(-100, 100) | st.text(max_size=5)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=10,
)
documents = st.dictionaries(keys, values, max_size=5)


class TestDiff:
    @given(documents)
    def test_same_is_no_change(self, document: dict[str, Any]) -> None:
        """A document compared with itself has no change."""
        assert diff(document, document) == []

    @given(documents, documents)
    def test_server_additions_are_ignored(
        self, document: dict[str, Any], extra: dict[str, Any]
    ) -> None:
        """Keys only the server has (its defaults) never make a change."""
        assert diff(document, {**extra, **document}) == []

    @given(documents, keys, scalars.filter(lambda v: v != "server's"))
    def test_a_changed_value_is_found(self, document: dict[str, Any], key: str, value: Any) -> None:
        """Setting a key the server has another value for is one change at that key."""
        changes = diff({**document, key: value}, {**document, key: "server's"})

        assert changes == [Change(key, "change", "server's", value)]

    def test_rules(self) -> None:
        """Null and empty match absent; keys match by letters; 1 == 1.0 but True != 1."""
        current = {"defaultModel": "m", "n": 1.0, "flag": 1, "items": [{"a": 1, "b": 2}]}
        wanted = {
            "default_model": "m",
            "n": 1,
            "flag": True,
            "missing": None,
            "empty": [],
            "items": [{"a": 1}],
            "added": "x",
        }

        assert diff(wanted, current) == [
            Change("flag", "change", 1, True),
            Change("added", "add", None, "x"),
        ]

    def test_lists_of_another_length_change_whole(self) -> None:
        """A list of another length is one change of the whole list."""
        assert diff({"tags": ["a", "b"]}, {"tags": ["a"]}) == [
            Change("tags", "change", ["a"], ["a", "b"])
        ]

    def test_manifest_changes_skip_status(self) -> None:
        """Only metadata and spec are compared: status and kind never are."""
        wanted = {"kind": "Secret", "metadata": {"name": "x"}, "spec": {"v": 2}, "status": {"a": 1}}
        current = {"kind": "Other", "metadata": {"name": "x", "tags": []}, "spec": {"v": 1}}

        assert manifest_changes(wanted, current) == [Change("spec.v", "change", 1, 2)]
