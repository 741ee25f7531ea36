"""Reading manifests: YAML and JSON text, files, directories; checks with file and line; order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import smarter
from smarter._manifest_files import canonical_kind, load, parse, rank

MANIFESTS = Path(__file__).parent / "manifests"
KINDS = ["Account", "User", "SmarterAuthToken", "Secret", "Provider", "ApiConnection",
         "SqlConnection", "Plugin", "ApiPlugin", "SqlPlugin", "Vectorstore",
         "LLMClient"]  # fmt: skip

json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def manifest(kind: str = "Secret", name: str = "x", spec: Any = None) -> dict[str, Any]:
    """A manifest with what every manifest has."""
    return {
        "apiVersion": "smarter.sh/v1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": {} if spec is None else spec,
    }


class TestParse:
    @given(spec=st.dictionaries(st.text(min_size=1, max_size=8), json_values, max_size=5))
    def test_yaml_and_json_round_trip(self, spec: dict[str, Any]) -> None:
        """Any JSON spec dumped as YAML or as JSON reads back the same."""
        written = manifest(spec=spec)

        from_yaml = parse(yaml.safe_dump(written))
        from_json = parse(json.dumps(written))

        assert [d.manifest for d in from_yaml] == [d.manifest for d in from_json] == [written]

    def test_dates_become_iso_strings(self) -> None:
        """A YAML date (expiration_date: 2027-03-31) is sent as the string JSON would hold."""
        (document,) = load(MANIFESTS / "secret.yaml")

        assert document.manifest["spec"]["config"]["expiration_date"] == "2027-03-31"

    def test_documents_are_numbered(self) -> None:
        """Documents of one text are told apart by #n; empty documents are skipped."""
        text = (
            "---\n"
            + yaml.safe_dump(manifest(name="a"))
            + "---\n---\n"
            + yaml.safe_dump(manifest(name="b"))
        )

        assert [(d.name, d.source, d.line) for d in parse(text, "f.yaml")] == [
            ("a", "f.yaml#1", 2),
            ("b", "f.yaml#3", 9),
        ]

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("kind: Secret\n", "f.yaml, line 1: the manifest has no 'apiVersion'"),
            ("apiVersion: v2\nkind: Secret\nmetadata: {name: x}\nspec: {}\n",
             "f.yaml, line 1: apiVersion must be 'smarter.sh/v1', not 'v2'"),
            ("apiVersion: smarter.sh/v1\nkind: Secret\nmetadata: {}\nspec: {}\n",
             "f.yaml, line 3: metadata.name must be a non-empty string"),
            ("- a\n- b\n", "f.yaml, line 1: a manifest is a mapping, not list"),
            ("a: [1\n", "f.yaml, line 2, column 1: not valid YAML"),
            ("", "f.yaml: no manifest in it"),
        ],
    )  # fmt: skip
    def test_errors_name_file_and_line(self, text: str, message: str) -> None:
        """Each problem is a ManifestError (a ValueError too) that names the file and line."""
        with pytest.raises(smarter.ManifestError) as caught:
            parse(text, "f.yaml")

        assert str(caught.value).startswith(message)
        assert isinstance(caught.value, ValueError)

    def test_json_errors_have_lines(self) -> None:
        """A JSON syntax error names its line and column."""
        with pytest.raises(
            smarter.ManifestError, match=r"^f\.json, line 2, column 1: not valid JSON"
        ):
            parse('{"kind":\n}', "f.json")


class TestLoad:
    def test_inputs(self, tmp_path: Path) -> None:
        """A dict, text, bytes, a str path and a Path give the same manifest."""
        path = tmp_path / "m.yaml"
        path.write_text(yaml.safe_dump(manifest()))

        found = [
            load(x)[0].manifest
            for x in (manifest(), path.read_text(), path.read_bytes(), str(path), path)
        ]

        assert found == [manifest()] * 5

    def test_directory_only_manifest_files(self, tmp_path: Path) -> None:
        """A directory reads *.yaml, *.yml and *.json, nothing else, not subdirectories."""
        (tmp_path / "a.yml").write_text(yaml.safe_dump(manifest(name="a")))
        (tmp_path / "b.json").write_text(json.dumps(manifest(name="b")))
        (tmp_path / "notes.txt").write_text("not a manifest")
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "c.yaml").write_text(yaml.safe_dump(manifest(name="c")))

        assert [d.name for d in load(tmp_path)] == ["a", "b"]

    def test_empty_directory(self, tmp_path: Path) -> None:
        """A directory without manifest files is an error, not an empty apply."""
        with pytest.raises(smarter.ManifestError, match=r"no \*\.yaml"):
            load(tmp_path)

    def test_values_json_cannot_hold(self) -> None:
        """A YAML set or binary value has no JSON form: refused before sending."""
        with pytest.raises(smarter.ManifestError, match="has no JSON form"):
            parse(yaml.safe_dump(manifest()) + "extra: !!binary aGk=\n")


class TestOrder:
    @given(st.permutations(KINDS))
    def test_dependencies_first(self, kinds: list[str]) -> None:
        """Whatever the file order, secrets precede connections, plugins and LLM clients."""
        documents = load("\n---\n".join(yaml.safe_dump(manifest(kind=k)) for k in kinds))

        assert [d.kind for d in documents] == KINDS

    @pytest.mark.parametrize(
        ("slug", "kind"),
        [("llm_clients", "LLMClient"), ("LLMCLIENT", "LLMClient"), ("secrets", "Secret"),
         ("sql_plugin", "SqlPlugin"), ("llm-client", None), ("Chatbot", "Chatbot")],
    )  # fmt: skip
    def test_kind_slugs(self, slug: str, kind: str | None) -> None:
        """Slugs resolve as the platform resolves them: one trailing s, no _, any case."""
        assert canonical_kind(slug) == kind

    def test_unknown_kinds_last(self) -> None:
        """A kind no platform has ranks after every known one."""
        assert rank("Widget") > max(rank(kind) for kind in KINDS)
