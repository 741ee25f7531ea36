"""``smarter apply|plan|validate|get|describe|delete|deploy|...`` against a reference server."""

from __future__ import annotations

from pathlib import Path

import yaml

from smarter.testing import ReferenceServer

from .conftest import Runner, run_all

MANIFESTS = Path(__file__).parent.parent / "manifests"


class TestApplyAndPlan:
    def test_plan_apply_plan(self, smarter_cli: Runner) -> None:
        """A plan of creates, --dry-run changes nothing, apply applies, then all is unchanged."""
        harbour = str(MANIFESTS / "harbour")

        dry = smarter_cli("apply", "-f", harbour, "--dry-run")
        applied = smarter_cli("apply", "-f", harbour)
        after = smarter_cli("plan", "-f", harbour, "--json")

        assert (dry.code, applied.code, after.code) == (0, 0, 0)
        assert dry.stdout.splitlines()[0].startswith("+ create    Secret tide_table_key")
        assert dry.stdout.rstrip().endswith("Plan: 4 to create, 0 to update, 0 unchanged.")
        assert applied.stdout.splitlines()[-1].startswith(
            "applied LLMClient harbour_master: LLMClient harbour_master applied successfully"
        )
        assert [c["action"] for c in after.json()["changes"]] == ["unchanged"] * 4

    def test_update_shows_the_changed_paths(self, smarter_cli: Runner, tmp_path: Path) -> None:
        """An update lists each changed value, before -> after."""
        manifest = yaml.safe_load((MANIFESTS / "secret.yaml").read_text())
        smarter_cli("apply", "-f", str(MANIFESTS / "secret.yaml"))
        manifest["spec"]["config"]["value"] = "rotated"
        path = tmp_path / "secret.yaml"
        path.write_text(yaml.safe_dump(manifest))

        result = smarter_cli("plan", "-f", "-", stdin=path.read_text())

        assert result.stdout.splitlines()[:2] == [
            "~ update    Secret tide_table_key  (<string>)",
            '      spec.config.value: "tt-7c1e9a52" -> "rotated"',
        ]

    def test_bad_manifest_exits_2_naming_file_and_line(
        self, smarter_cli: Runner, tmp_path: Path, server: ReferenceServer
    ) -> None:
        """A manifest without a kind: exit 2, the file and line on stderr, nothing sent."""
        path = tmp_path / "bad.yaml"
        path.write_text("apiVersion: smarter.sh/v1\nmetadata: {name: x}\nspec: {}\n")

        result = smarter_cli("apply", "-f", str(path))

        assert (result.code, result.stderr.strip()) == (
            2,
            f"error: {path}, line 1: the manifest has no 'kind' (every manifest has apiVersion, "
            "kind, metadata and spec)",
        )
        assert server.requests == []

    def test_partial_apply_exits_1(self, smarter_cli: Runner, tmp_path: Path) -> None:
        """A directory that fails midway prints what was applied, then the error: exit 1."""
        for file in ("secret.yaml", "llm-client.yaml"):
            (tmp_path / file).write_text((MANIFESTS / file).read_text())

        result = smarter_cli("apply", "-f", str(tmp_path))

        assert result.code == 1
        assert result.stdout.startswith("applied Secret tide_table_key")
        assert "error: NotFoundError [404]: Plugin tide_times not found" in result.stderr


class TestVerbs:
    def test_reads(self, smarter_cli: Runner) -> None:
        """Get prints a table, describe and example YAML, schema JSON, validate a verdict."""
        get, describe, example, schema, valid = run_all(
            smarter_cli,
            ["get", "llmclients"],
            ["describe", "LLMClient", "example"],
            ["example", "secret"],
            ["schema", "Secret"],
            ["validate", "-f", str(MANIFESTS / "secret.yaml")],
        )

        assert [r.code for r in (get, describe, example, schema, valid)] == [0] * 5
        assert get.stdout.split()[:3] == ["name", "url", "dns_verification_status"]
        assert yaml.safe_load(describe.stdout)["metadata"]["name"] == "example"
        assert yaml.safe_load(example.stdout)["kind"] == "Secret"
        assert schema.json()["title"] == "SAMSecret"
        assert valid.stdout.strip() == "valid"

    def test_delete_needs_yes_off_a_terminal(self, smarter_cli: Runner) -> None:
        """Without a terminal to ask on, delete refuses (exit 2) unless --yes is given."""
        refused = smarter_cli("delete", "LLMClient", "example")
        deleted = smarter_cli("delete", "LLMClient", "example", "--yes")

        assert (refused.code, deleted.code) == (2, 0)
        assert (
            "refusing to delete LLMClient example without a terminal to ask: pass --yes"
            in refused.stderr
        )
        assert deleted.stdout.strip() == "LLMClient example deleted successfully"

    def test_deploy_and_a_refusal(self, smarter_cli: Runner) -> None:
        """Deploy prints the server's message; a kind that refuses is an API error: exit 1."""
        smarter_cli("apply", "-f", str(MANIFESTS / "secret.yaml"))

        deployed, refused = run_all(
            smarter_cli,
            ["deploy", "LLMClient", "example", "--json"],
            ["deploy", "Secret", "tide_table_key"],
        )

        assert (deployed.code, deployed.json()["metadata"]["command"]) == (0, "deploy")
        assert (refused.code, refused.stderr.split(":")[1]) == (1, " InternalServerError [501]")

    def test_version_and_status(self, smarter_cli: Runner) -> None:
        """Version and status print the platform's fields."""
        version, status = run_all(smarter_cli, ["version"], ["--json", "status"])

        assert version.stdout.splitlines()[0].split() == ["platform", "0.14.19"]
        assert "infrastructures" in status.json()


class TestGoCliConfig:
    def test_key_from_the_go_cli_config(
        self, smarter_cli: Runner, tmp_path: Path, server: ReferenceServer
    ) -> None:
        """Without --api-key or SMARTER_API_KEY, the key is the Go CLI's, per environment."""
        home = tmp_path / "home"
        (home / ".smarter").mkdir(parents=True)
        config = {"config": {"environment": "local"}, "local": {"api_key": server.api_key},
                  "prod": {"api_key": "not-this-one"}}  # fmt: skip
        (home / ".smarter" / "config.yaml").write_text(yaml.safe_dump(config))

        found = smarter_cli("whoami", HOME=str(home), SMARTER_API_KEY="")
        given = smarter_cli("whoami", HOME=str(home), SMARTER_API_KEY="wrong")

        assert found.code == 0
        assert (given.code, given.stderr[:34]) == (1, "error: AuthenticationError [401]: ")

    def test_config_api_key_of_smarter_configure(self, tmp_path: Path) -> None:
        """`smarter configure` writes config.api_key: read when the environment has none."""
        from smarter.cli._context import go_cli_config

        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump({"config": {"api_key": "k1"}, "prod": {"api_key": ""}}))

        assert go_cli_config(path) == ("k1", "https://platform.smarter.sh/api/v1/")
        assert go_cli_config(tmp_path / "missing.yaml") is None
