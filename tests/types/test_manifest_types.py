"""Manifest results: manifests, verb answers in every envelope, lists, plans, versions.

Bodies are our own, written to the shapes of smarter v0.14.19
(smarter-sh/smarter@v0.14.19:smarter/smarter/lib/journal/http.py for the envelope,
.../apps/llm_client/manifest/brokers/llm_client.py get() for lists) and v0.13.223 (top-level
thing).
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarter import APIResponseValidationError
from smarter._converter import structure
from smarter.types import (
    CommandResult,
    Kind,
    Manifest,
    ManifestList,
    ManifestLogs,
    Plan,
    PlanAction,
    PlannedChange,
    PlatformVersion,
)

MANIFEST: dict[str, Any] = {
    "apiVersion": "smarter.sh/v1",
    "kind": "ApiConnection",
    "metadata": {
        "name": "tide_api",
        "description": "Tides.",
        "version": "0.1.0",
        "tags": [],
        "annotations": [{"smarter.sh/owner": "harbour"}],
    },
    "spec": {"connection": {"baseUrl": "https://tides.example.com/", "timeout": 30}},
    "status": {"recordLocator": "rec_1", "accountNumber": "2718-2818-2845"},
}


class TestManifest:
    def test_fields_and_round_trip(self) -> None:
        """ApiVersion is api_version; to_dict() gives the camelCase body back exactly."""
        manifest = structure(copy.deepcopy(MANIFEST), Manifest)

        assert (manifest.api_version, manifest.kind, manifest.name) == (
            "smarter.sh/v1",
            Kind.API_CONNECTION,
            "tide_api",
        )
        assert manifest.to_dict() == MANIFEST
        assert pickle.loads(pickle.dumps(manifest)).to_dict() == MANIFEST

    def test_unknown_fields_and_kinds_are_kept(self) -> None:
        """A kind this client does not know stays a string; unknown keys stay readable."""
        body = {**MANIFEST, "kind": "Gadget", "extra": 1}
        body["metadata"] = {**MANIFEST["metadata"], "pluginClass": "api"}

        manifest = structure(body, Manifest)

        assert (manifest.kind, manifest.extra, manifest.metadata.pluginClass) == (
            "Gadget",
            1,
            "api",
        )

    def test_status_may_be_null(self) -> None:
        """An example manifest's spec may be null (Prompt) and status absent."""
        body = {"apiVersion": "smarter.sh/v1", "kind": "Prompt", "metadata": {"name": "p"},
                "spec": None}  # fmt: skip

        manifest = structure(body, Manifest)

        assert (manifest.spec, manifest.status, manifest.model_fields_set) == (
            None,
            None,
            frozenset({"api_version", "kind", "metadata", "spec"}),
        )

    def test_a_name_is_required(self) -> None:
        """A describe without metadata.name does not fit: the error names the path."""
        with pytest.raises(APIResponseValidationError, match=r"\$\.metadata\.name"):
            structure({**MANIFEST, "metadata": {}}, Manifest)

    @given(st.dictionaries(st.text(max_size=6), st.integers() | st.text(max_size=6), max_size=4))
    def test_any_spec_round_trips(self, spec: dict[str, Any]) -> None:
        """Whatever the spec holds comes back unchanged from to_dict()."""
        body = {**MANIFEST, "spec": spec}

        assert structure(copy.deepcopy(body), Manifest).to_dict() == body


class TestCommandResult:
    def test_current_envelope(self) -> None:
        """v0.14: thing and command in metadata; no data for a delete."""
        body = {"message": "Secret k deleted successfully", "api": "smarter.sh/v1",
                "metadata": {"command": "delete", "thing": "Secret"}}  # fmt: skip

        result = structure(body, CommandResult)

        assert (result.data, result.command, result.thing) == (None, "delete", "Secret")

    def test_legacy_envelope(self) -> None:
        """v0.13: thing at the top level."""
        body = {"message": "m", "api": "smarter.sh/v1", "thing": "Chatbot",
                "metadata": {"command": "deploy"}}  # fmt: skip

        result = structure(body, CommandResult)

        assert (result.command, result.thing, result.to_dict()) == ("deploy", "Chatbot", body)

    def test_logs_lines(self) -> None:
        """Logs without data have no lines; a text becomes its lines."""
        empty = structure({"message": "m"}, ManifestLogs)
        some = structure({"data": "a\nb", "message": "m"}, ManifestLogs)

        assert (empty.lines, some.lines) == ([], ["a", "b"])


class TestManifestList:
    def test_rows_by_snake_case_columns(self) -> None:
        """Titles in snake_case (v0.14) or camelCase (before) key the camelCase items alike."""
        data = {"titles": [{"name": "name", "type": "CharField"},
                           {"name": "createdAt", "type": "DateTimeField"}],
                "items": [{"name": "a", "createdAt": "t", "url": "u"}]}  # fmt: skip
        body = {"apiVersion": "smarter.sh/v1", "kind": "LLMClient", "name": None,
                "metadata": {"count": 1}, "data": data}  # fmt: skip

        listed = structure(body, ManifestList)

        assert (listed.columns, listed.rows(), len(listed)) == (
            ["name", "created_at"],
            [{"name": "a", "created_at": "t"}],
            1,
        )
        assert list(listed) == data["items"]

    def test_whole_manifest_rows(self) -> None:
        """Secret, Provider and Vectorstore rows are manifests: their metadata is the row."""
        body = {"kind": "Secret", "data": {"titles": [], "items": [MANIFEST]}}

        listed = structure(body, ManifestList)

        assert listed.rows() == [{"name": "tide_api", "version": "0.1.0", "description": "Tides."}]


class TestPlan:
    def test_summary_and_changes(self) -> None:
        """A plan counts its actions and says whether anything would change."""
        manifest = structure(copy.deepcopy(MANIFEST), Manifest)
        changes = [
            PlannedChange(action=action, kind="Secret", name=str(i), manifest=manifest)
            for i, action in enumerate([PlanAction.CREATE, PlanAction.UNCHANGED])
        ]

        plan = Plan(changes=changes)

        assert (plan.summary(), plan.has_changes, len(plan)) == (
            "1 to create, 0 to update, 1 unchanged",
            True,
            2,
        )
        assert plan.to_dict()["changes"][0]["manifest"] == MANIFEST
        assert plan.to_dict()["changes"][1]["action"] == "unchanged"


class TestPlatformVersion:
    def test_versions(self) -> None:
        """Version is data.api.version; cli_version data.cli.version."""
        body = {"api": {"version": "0.14.19", "python": {"django": "6.0.4"}},
                "cli": {"version": "0.2.1"}}  # fmt: skip

        found = structure(body, PlatformVersion)

        assert (found.version, found.cli_version) == ("0.14.19", "0.2.1")
