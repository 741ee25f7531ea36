"""``client.manifests``: every verb for a kind of each family, both clients, the reference server.

The families and what each kind does with each verb are smarter v0.14.19's
(smarter-sh/smarter@v0.14.19:smarter/smarter/apps/*/manifest/brokers/*.py): LLM clients are
deployed and have logs; plugins, connections and secrets refuse deploy, undeploy and logs
(501); an account refuses delete, deploy and undeploy (501).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import run

import smarter
from smarter.testing import Fault, ReferenceServer
from smarter.types import Manifest, ManifestList, PlanAction

from .conftest import AnyClient, body_of

MANIFESTS = Path(__file__).parent.parent / "manifests"
# family: (kind, file, name)
FAMILIES = {
    "llm_client": ("LLMClient", "llm-client.yaml", "harbour_master"),
    "plugin": ("ApiPlugin", "api-plugin.yaml", "tide_times"),
    "connection": ("ApiConnection", "api-connection.yaml", "tide_api"),
    "secret": ("Secret", "secret.yaml", "tide_table_key"),
    "account": ("Account", "account.yaml", "harbour_authority"),
}
REFUSED = 501
# family: what deploy, undeploy and logs answer (None: they succeed)
VERBS = {
    "llm_client": (None, None, None),
    "plugin": (REFUSED, REFUSED, REFUSED),
    "connection": (REFUSED, REFUSED, REFUSED),
    "secret": (REFUSED, REFUSED, REFUSED),
    "account": (REFUSED, REFUSED, None),
}


@pytest.fixture(params=list(FAMILIES))
def family(request: pytest.FixtureRequest) -> str:
    """Each family of kinds in turn."""
    return str(request.param)


async def applied(client: AnyClient, family: str) -> tuple[str, str]:
    """Apply the family's example (and what it names first); its kind and name."""
    kind, file, name = FAMILIES[family]
    if family == "llm_client":
        await run(client.manifests.apply(MANIFESTS / "harbour"))
    else:
        await run(client.manifests.apply(MANIFESTS / file))
    return kind, name


class TestEveryVerb:
    async def test_apply_then_describe(self, client: AnyClient, family: str) -> None:
        """An applied manifest is described back: metadata and spec as written, and a status."""
        kind, name = await applied(client, family)

        manifest = await run(client.manifests.describe(kind, name))

        assert (type(manifest), str(manifest.kind), manifest.name) == (Manifest, kind, name)
        assert manifest.api_version == "smarter.sh/v1"
        assert (manifest.status or {}).get("accountNumber") == "3141-5926-5359"

    async def test_get_lists_it(self, client: AnyClient, family: str) -> None:
        """get(kind) lists the applied object; name= keeps it alone."""
        kind, name = await applied(client, family)

        listed = await run(client.manifests.get(kind, name=name))

        assert type(listed) is ManifestList
        assert [row["name"] for row in listed.rows()] == [name]

    async def test_deploy_undeploy_logs(self, client: AnyClient, family: str) -> None:
        """Deploy, undeploy and logs succeed or are refused (501) as the kind's broker does."""
        kind, name = await applied(client, family)
        outcomes = []
        for verb in ("deploy", "undeploy", "logs"):
            try:
                result = await run(getattr(client.manifests, verb)(kind, name))
            except smarter.InternalServerError as refused:
                outcomes.append(refused.status_code)
            else:
                outcomes.append(None if result.message else "no message")

        assert tuple(outcomes) == VERBS[family]

    async def test_delete(self, client: AnyClient, family: str) -> None:
        """Delete removes the object (describe then says not found); an Account refuses."""
        kind, name = await applied(client, family)

        if family == "account":
            with pytest.raises(smarter.InternalServerError, match="Delete not implemented"):
                await run(client.manifests.delete(kind, name))
            return
        result = await run(client.manifests.delete(kind, name))
        with pytest.raises(smarter.NotFoundError):
            await run(client.manifests.describe(kind, name))
        assert result.message == f"{kind} {name} deleted successfully"

    async def test_example_and_schema(self, client: AnyClient, family: str) -> None:
        """example(kind) is a manifest of the kind; schema(kind) a JSON schema naming it."""
        kind = FAMILIES[family][0]

        example = await run(client.manifests.example(kind))
        schema = await run(client.manifests.schema(kind))

        assert (str(example.kind), schema["title"]) == (kind, f"SAM{kind}")
        assert schema["required"] == ["apiVersion", "kind", "metadata", "spec"]

    async def test_missing_is_not_found(
        self, client: AnyClient, family: str, server: ReferenceServer
    ) -> None:
        """Describing what does not exist is a NotFoundError, however the broker answers it."""
        kind = FAMILIES[family][0]

        with pytest.raises(smarter.NotFoundError):
            await run(client.manifests.describe(kind, "nowhere"))

        assert len(server.requests) == 1  # not retried


class TestApply:
    async def test_directory_in_dependency_order(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A directory goes secret, connection, plugin, then LLM client, whatever the names."""
        results = await run(client.manifests.apply(MANIFESTS / "harbour"))

        assert [(r.kind, r.source.rsplit("/", 1)[-1]) for r in results] == [
            ("Secret", "d-secret.yaml"),
            ("ApiConnection", "c-api-connection.yaml"),
            ("ApiPlugin", "b-api-plugin.yaml"),
            ("LLMClient", "a-llm-client.yaml"),
        ]
        assert [body_of(r)["kind"] for r in server.requests_to("POST", "cli/apply/")] == [
            "Secret",
            "ApiConnection",
            "ApiPlugin",
            "LLMClient",
        ]

    async def test_stops_at_the_first_failure(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """A failure stops the directory: what came before is applied, the rest not sent."""
        for file in ("secret.yaml", "llm-client.yaml", "account.yaml"):
            (tmp_path / file).write_text((MANIFESTS / file).read_text())

        with pytest.raises(smarter.ManifestApplyError) as caught:
            await run(client.manifests.apply(tmp_path))

        error = caught.value
        assert [(r.kind, r.name) for r in error.applied] == [
            ("Account", "harbour_authority"),
            ("Secret", "tide_table_key"),
        ]
        assert (error.failed.name, [m.name for m in error.remaining]) == ("harbour_master", [])
        assert isinstance(error.error, smarter.NotFoundError)  # its plugin does not exist
        assert "Plugin tide_times not found" in str(error)

    async def test_sends_json(self, client: AnyClient, server: ReferenceServer) -> None:
        """YAML is sent as JSON (the platform reads YAML only as application/x-yaml)."""
        await run(client.manifests.apply(MANIFESTS / "secret.yaml"))

        (request,) = server.requests_to("POST", "cli/apply/")
        assert request.headers["Content-Type"] == "application/json"
        assert body_of(request)["spec"]["config"]["expiration_date"] == "2027-03-31"

    async def test_text_and_dict(self, client: AnyClient) -> None:
        """YAML text with two documents and a dict are applied alike."""
        text = (MANIFESTS / "secret.yaml").read_text() + "---\n"
        text += (MANIFESTS / "api-connection.yaml").read_text()
        from_text = await run(client.manifests.apply(text))
        from_dict = await run(client.manifests.apply(_secret("other_key")))

        assert [(r.kind, r.source) for r in from_text] == [
            ("Secret", "<string>#1"),
            ("ApiConnection", "<string>#2"),
        ]
        assert [(r.name, r.source) for r in from_dict] == [("other_key", None)]

    async def test_not_retried_after_an_ambiguous_failure(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A 503 to an apply is raised at once (the server may have acted), and says so."""
        server.inject("POST", "cli/apply/", Fault.error(503))

        with pytest.raises(smarter.InternalServerError, match="may have acted"):
            await run(client.manifests.apply(_secret("k")))

        assert len(server.requests) == 1

    async def test_reads_are_retried(self, client: AnyClient, server: ReferenceServer) -> None:
        """A 503 to a describe (a read) is retried."""
        server.inject("POST", "cli/describe/*", Fault.error(503))

        manifest = await run(client.manifests.describe("LLMClient", "example"))

        assert (manifest.name, len(server.requests)) == ("example", 2)


def _secret(name: str, value: str = "s3cret") -> dict[str, Any]:
    return {
        "apiVersion": "smarter.sh/v1",
        "kind": "Secret",
        "metadata": {"name": name, "description": None, "version": "1.0.0"},
        "spec": {"config": {"value": value}},
    }


class TestPlan:
    async def test_create_update_unchanged(self, client: AnyClient) -> None:
        """plan() says create before apply, unchanged after, update once the file differs."""
        await run(client.manifests.apply(_secret("kept")))
        await run(client.manifests.apply(_secret("changed")))

        plan = await run(
            client.manifests.plan(
                "\n---\n".join(
                    _yaml(m) for m in (_secret("new"), _secret("kept"), _secret("changed", "v2"))
                )
            )
        )

        assert [(c.name, c.action) for c in plan] == [
            ("new", PlanAction.CREATE),
            ("kept", PlanAction.UNCHANGED),
            ("changed", PlanAction.UPDATE),
        ]
        (difference,) = plan.changes[2].differences
        assert (difference.path, difference.before, difference.after) == (
            "spec.config.value",
            "s3cret",
            "v2",
        )
        assert plan.summary() == "1 to create, 1 to update, 1 unchanged"

    async def test_server_defaults_are_not_changes(self, client: AnyClient) -> None:
        """Keys the server fills in (tags, timeout, authMethod) do not make an update."""
        await run(client.manifests.apply(MANIFESTS / "api-connection.yaml"))

        plan = await run(client.manifests.plan(MANIFESTS / "api-connection.yaml"))

        assert [c.action for c in plan] == [PlanAction.UNCHANGED]
        assert plan.changes[0].current is not None

    async def test_nothing_is_sent_but_describes(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A plan only describes: one describe per manifest, no apply."""
        await run(client.manifests.plan(MANIFESTS / "harbour"))

        assert sorted(r.path for r in server.requests) == [
            "cli/describe/ApiConnection/",
            "cli/describe/ApiPlugin/",
            "cli/describe/LLMClient/",
            "cli/describe/Secret/",
        ]


def _yaml(manifest: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(manifest)


class TestBadInput:
    @pytest.mark.parametrize(
        ("text", "problem", "line"),
        [
            ("apiVersion: smarter.sh/v1\nmetadata:\n  name: x\nspec: {}\n", "no 'kind'", 1),
            ("apiVersion: smarter.sh/v1\nkind: Widget\nmetadata: {name: x}\nspec: {}\n",
             "unknown kind 'Widget'", 2),
            ("apiVersion: smarter.sh/v1\nkind: Secret\nmetadata:\n  name: [x\nspec: {}\n",
             "not valid YAML", 5),
        ],
    )  # fmt: skip
    async def test_named_with_file_and_line(
        self,
        client: AnyClient,
        server: ReferenceServer,
        tmp_path: Path,
        text: str,
        problem: str,
        line: int,
    ) -> None:
        """A manifest without kind, of an unknown kind, or not YAML: file and line, nothing sent."""
        path = tmp_path / "bad.yaml"
        path.write_text(text)

        with pytest.raises(smarter.ManifestError, match=problem) as caught:
            await run(client.manifests.apply(path))

        assert (caught.value.source, caught.value.line) == (str(path), line)
        assert str(caught.value).startswith(f"{path}, line {line}")
        assert server.requests == []

    async def test_one_bad_file_sends_nothing(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """One bad file in a directory: nothing of the directory is sent."""
        (tmp_path / "good.yaml").write_text(_yaml(_secret("fine")))
        (tmp_path / "worse.json").write_text('{"kind": "Secret",')

        with pytest.raises(smarter.ManifestError, match=r"worse\.json, line 1"):
            await run(client.manifests.plan(tmp_path))

        assert server.requests == []

    async def test_not_a_manifest_at_all(self, client: AnyClient) -> None:
        """A number is a TypeError; a path that does not exist a ManifestError."""
        with pytest.raises(TypeError, match="manifest must be"):
            await run(client.manifests.apply(42))
        with pytest.raises(smarter.ManifestError, match="no such file"):
            await run(client.manifests.apply("missing.yaml"))


class TestValidate:
    async def test_valid_and_invalid(self, client: AnyClient, server: ReferenceServer) -> None:
        """validate() checks against the fetched schema: a missing value and a wrong type."""
        bad = _secret("bad")
        bad["spec"]["config"] = {"expiration_date": 20270101}

        good = await run(client.manifests.validate(_secret("good")))
        wrong = await run(client.manifests.validate(bad))

        assert (good.valid, bool(good), wrong.valid) == (True, True, False)
        assert [(e.path, e.message) for e in wrong.errors] == [
            ("spec.config.value", "is required"),
            ("spec.config.expiration_date", "expected string or null, got integer 20270101"),
        ]
        assert {r.path for r in server.requests} == {"cli/json-schema/Secret/"}


class TestGet:
    async def test_filters_are_applied_here(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """The platform ignores ?name= for LLM clients; the rows are filtered by the client."""
        await run(client.manifests.apply(MANIFESTS / "harbour"))

        everything = await run(client.manifests.get("LLMClient"))
        named = await run(client.manifests.get("llm_clients", name="example"))
        deployed = await run(client.manifests.get("LLMClient", dns_verification_status="Verified"))

        assert sorted(row["name"] for row in everything) == ["example", "harbour_master"]
        assert [row["name"] for row in named] == ["example"]
        assert len(deployed) == 2
        assert dict(server.requests_to("POST", "cli/get/*")[1].query) == {"name": "example"}


class TestPlatform:
    async def test_version_and_status(self, client: AnyClient) -> None:
        """version() is the platform's version; status() its infrastructure."""
        version = await run(client.version())
        status = await run(client.status())

        assert (version.version, version.cli_version) == ("0.14.19", "0.2.1")
        assert "redis" in status.infrastructures


class TestLegacy:
    @pytest.mark.parametrize("profile", ["smarter-legacy", "smarter-v0.10"])
    async def test_llm_client_is_a_chatbot(self, kind: str, profile: str) -> None:
        """Before v0.14 an LLMClient is a Chatbot and the routes have their old names."""
        from helpers import bound_client

        with ReferenceServer.in_thread(profile=profile) as server:
            async with bound_client(kind, server) as client:
                described = await run(client.manifests.describe("LLMClient", "example"))
                example = await run(client.manifests.example("LLMClient"))
                schema = await run(client.manifests.schema("Plugin"))
                applied_ = await run(client.manifests.apply(_chatbot()))
                listed = await run(client.manifests.get("LLMClient"))
            paths = [r.path for r in server.requests]

        assert (str(described.kind), str(example.kind), schema["title"]) == (
            "Chatbot",
            "Chatbot",
            "SAMPlugin",
        )
        assert (applied_[0].kind, sorted(r["name"] for r in listed)) == (
            "Chatbot",
            ["example", "harbor_bot"],
        )
        assert paths == [
            "cli/describe/LLMClient/",
            "cli/describe/Chatbot/",
            "cli/example-manifest/Chatbot/",
            "cli/example_manifest/Chatbot/",
            "cli/schema/Plugin/",
            "cli/apply/",
            "cli/get/Chatbot/",
        ]

    async def test_a_legacy_manifest_on_a_current_platform(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A Chatbot manifest applied to v0.14 is sent again as an LLMClient."""
        chatbot = {**_chatbot(), "kind": "Chatbot"}

        (result,) = await run(client.manifests.apply(chatbot))

        assert result.kind == "LLMClient"
        assert [body_of(r)["kind"] for r in server.requests] == ["Chatbot", "LLMClient"]


def _chatbot() -> dict[str, Any]:
    return {
        "apiVersion": "smarter.sh/v1",
        "kind": "LLMClient",
        "metadata": {"name": "harbor_bot", "description": "A bot.", "version": "1.0.0"},
        "spec": {"config": {"defaultModel": "gpt-4o-mini"}},
    }
