"""The reference server's manifest routes, over raw HTTP, per platform generation.

What each answer looks like is read from smarter-sh/smarter@v0.14.19 (and v0.13.223,
v0.10.21): smarter/smarter/apps/api/v1/cli/urls.py and views/, lib/journal/http.py for the
envelopes, lib/drf/parsers.py and settings/base.py for the body's content types, and each
kind's broker under smarter/smarter/apps/*/manifest/brokers/ for refusals and missing objects.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import yaml

from smarter.testing import ReferenceServer

from .conftest import CLI, ServerFactory, session_for

SECRET = {
    "apiVersion": "smarter.sh/v1",
    "kind": "Secret",
    "metadata": {"name": "tide_key", "description": "A key.", "version": "1.0.0"},
    "spec": {"config": {"value": "abc"}},
}
PLUGIN = {
    "apiVersion": "smarter.sh/v1",
    "kind": "Plugin",
    "metadata": {"name": "tide_facts", "description": "Facts.", "version": "1.0.0"},
    "spec": {
        "selector": {"directive": "search_terms"},
        "prompt": {"systemRole": "You know the tides."},
        "data": {"staticData": {"high": "06:12"}},
    },
}


async def post(
    http: aiohttp.ClientSession, path: str, body: Any = None, **kwargs: Any
) -> tuple[int, Any]:
    """POST under cli/; the status and the JSON body (None when not JSON)."""
    if body is not None:
        kwargs["json"] = body
    async with http.post(CLI + path, **kwargs) as response:
        text = await response.text()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, None


@pytest.fixture
async def legacy(make_server: ServerFactory) -> AsyncIterator[aiohttp.ClientSession]:
    """A raw session to a v0.13.223 server."""
    async with session_for(await make_server(profile="smarter-legacy")) as session:
        yield session


NOT_JSON = "Expecting value: line 1 column 1 (char 0)"


class TestApply:
    async def test_envelope(self, http: aiohttp.ClientSession) -> None:
        """A v0.14 apply answers its record as data, a message and metadata."""
        status, body = await post(http, "apply/", SECRET)

        assert (status, body["message"], body["metadata"]) == (
            200,
            "Secret tide_key applied successfully",
            {"command": "apply", "thing": "Secret"},
        )
        assert body["data"]["manifest"] == SECRET

    async def test_v010_answers_no_data(self, make_server: ServerFactory) -> None:
        """v0.10's brokers apply with json_response_ok(data={}): no data key."""
        server = await make_server(profile="smarter-v0.10")
        async with session_for(server) as http:
            status, body = await post(http, "apply/", {**SECRET, "kind": "User"} | _user())

        assert (status, "data" in body, body["thing"]) == (200, False, "User")

    @pytest.mark.parametrize(
        ("content_type", "status", "answer"),
        [
            ("application/x-yaml", 200, "Secret tide_key applied successfully"),
            ("application/json", 400, f"JSON parse error - {NOT_JSON}"),
            ("text/plain", 415, 'Unsupported media type "text/plain" in request.'),
        ],
    )  # fmt: skip
    async def test_body_content_types(
        self, http: aiohttp.ClientSession, content_type: str, status: int, answer: str
    ) -> None:
        """YAML is read as application/x-yaml only; as JSON it is DRF's 400, else 415."""
        got, body = await post(
            http, "apply/", data=yaml.safe_dump(SECRET), headers={"Content-Type": content_type}
        )

        assert (got, body.get("message") or body.get("detail")) == (status, answer)

    @pytest.mark.parametrize(
        ("body", "status", "error_class", "says"),
        [
            (b"", 500, "APIV1CLIViewManifestNotFoundError", "No YAML manifest provided."),
            ({**SECRET, "kind": "Widget"}, 500, "APIV1CLIViewError",
             "Could not find broker for Widget manifest."),
            ({k: v for k, v in SECRET.items() if k != "spec"}, 500, "APIV1CLIViewError",
             "No broker found for manifest kind 'Secret'."),
            ({**SECRET, "spec": {"config": {}}}, 500, "ValidationError",
             "1 validation error for SAMSecret\nspec.config.value\n  Field required"),
            ({**SECRET, "kind": "Prompt"}, 405, "SAMBrokerReadOnlyError",
             "Prompt is a read-only resource"),
        ],
    )  # fmt: skip
    async def test_refusals(
        self, http: aiohttp.ClientSession, body: Any, status: int, error_class: str, says: str
    ) -> None:
        """No body, an unknown kind, a loader failure, a pydantic failure, a read-only kind."""
        if isinstance(body, bytes):
            got, answer = await post(http, "apply/", data=body)
        else:
            got, answer = await post(http, "apply/", body)

        assert (got, answer["error"]["errorClass"]) == (status, error_class)
        assert says in answer["error"]["description"]

    async def test_llm_client_references(
        self, http: aiohttp.ClientSession, server: ReferenceServer
    ) -> None:
        """An unknown plugin is a 404 before saving; an unknown function one after it."""
        client = {
            "apiVersion": "smarter.sh/v1",
            "kind": "LLMClient",
            "metadata": {"name": "guide", "description": None, "version": None},
            "spec": {"config": {"defaultModel": "m"}, "plugins": ["tide_facts"]},
        }
        no_plugin, first = await post(http, "apply/", client)
        await post(http, "apply/", PLUGIN)
        client["spec"]["functions"] = ["weather"]
        no_function, second = await post(http, "apply/", client)

        assert (no_plugin, first["error"]["errorClass"]) == (404, "SAMBrokerErrorNotFound")
        assert "Plugin tide_facts not found" in first["error"]["description"]
        assert (no_function, second["error"]["status"], second["message"][:24]) == (
            404,
            "",
            "Function weather not fou",
        )
        assert server.state.chatbots["guide"].config["defaultModel"] == "m"  # not atomic


def _user() -> dict[str, Any]:
    return {
        "metadata": {"name": "keeper", "description": None, "version": None,
                     "username": "keeper"},
        "spec": {"config": {"email": "k@example.com", "isActive": True}},
    }  # fmt: skip


class TestVerbs:
    @pytest.mark.parametrize(
        ("kind", "verb", "status", "message"),
        [
            ("Plugin", "deploy", 501, "deploy() not implemented"),
            ("SqlPlugin", "logs", 501, "logs() not implemented"),
            ("ApiConnection", "undeploy", 501, "Undeploy not implemented"),
            ("Secret", "logs", 501, "logs not implemented"),
            ("Account", "delete", 501, "Delete not implemented"),
            ("SmarterAuthToken", "logs", 501, "Logs are not implemented"),
            ("Provider", "deploy", 501, "Deploy not implemented"),
        ],
    )
    async def test_kinds_refuse_verbs(
        self, http: aiohttp.ClientSession, kind: str, verb: str, status: int, message: str
    ) -> None:
        """Each kind refuses the verbs its broker does not implement, before any lookup."""
        got, body = await post(http, f"{verb}/{kind}/", params={"name": "x"})

        assert (got, body["error"]["errorClass"], body["error"]["description"]) == (
            status,
            "SAMBrokerErrorNotImplemented",
            message,
        )

    @pytest.mark.parametrize(
        ("kind", "status", "error_class"),
        [
            ("LLMClient", 503, "SAMBrokerErrorNotReady"),
            ("Secret", 404, "SAMBrokerErrorNotFound"),
            ("Plugin", 500, "SAMPluginBrokerError"),
            ("ApiConnection", 503, "SAMBrokerErrorNotReady"),
            ("SqlConnection", 503, "SAMBrokerErrorNotReady"),
            ("User", 500, "SAMUserBrokerError"),
            ("Account", 404, "SAMBrokerErrorNotFound"),
            ("Vectorstore", 404, "SAMBrokerErrorNotFound"),
            ("SmarterAuthToken", 503, "SAMBrokerErrorNotReady"),
            ("Prompt", 503, "SAMBrokerErrorNotReady"),
        ],
    )
    async def test_missing_objects(
        self, http: aiohttp.ClientSession, kind: str, status: int, error_class: str
    ) -> None:
        """Each broker answers a describe of a missing object its own way."""
        got, body = await post(http, f"describe/{kind}/", params={"name": "ghost"})

        assert (got, body["error"]["errorClass"]) == (status, error_class)

    async def test_provider_describe_never_finds(self, http: aiohttp.ClientSession) -> None:
        """provider.py describe() reads the name from empty kwargs: always 'Provider None'."""
        provider = {**SECRET, "kind": "Provider", "spec": {"provider": {"name": "p"}}}
        await post(http, "apply/", provider)

        status, body = await post(http, "describe/Provider/", params={"name": "tide_key"})

        assert (status, body["error"]["description"]) == (
            404,
            "Failed to describe Provider None. Not found",
        )

    async def test_describe_fills_defaults_and_status(self, http: aiohttp.ClientSession) -> None:
        """What the manifest left out comes back with the server's defaults, and a status."""
        await post(http, "apply/", PLUGIN)

        _, body = await post(http, "describe/plugins/", params={"name": "tide_facts"})

        manifest = body["data"]
        assert (manifest["metadata"]["tags"], manifest["spec"]["prompt"]["maxTokens"]) == ([], 2048)
        assert set(manifest["status"]) >= {"recordLocator", "created", "modified"}

    async def test_get_ignores_the_name(self, http: aiohttp.ClientSession) -> None:
        """v0.14's get answers every row (titles in snake_case) whatever ?name= says."""
        await post(http, "apply/", PLUGIN)

        _, body = await post(http, "get/Plugin/", params={"name": "other"})

        data = body["data"]
        assert [item["name"] for item in data["data"]["items"]] == ["tide_facts"]
        assert data["data"]["titles"][1]["name"] == "plugin_class"
        assert body["message"] == "Plugins got successfully"

    async def test_undeploy_says_deploy(self, http: aiohttp.ClientSession) -> None:
        """An LLM client's undeploy reports itself as deploy (it names self.deploy)."""
        status, body = await post(http, "undeploy/LLMClient/", params={"name": "example"})

        assert (status, "data" in body, body["metadata"]["command"]) == (200, False, "deploy")
        assert body["message"] == "LLMClient example deployed successfully"

    async def test_delete_then_missing(self, http: aiohttp.ClientSession) -> None:
        """A deleted secret is gone; deleting it again is the broker's 503."""
        await post(http, "apply/", SECRET)

        first, _ = await post(http, "delete/Secret/", params={"name": "tide_key"})
        again, body = await post(http, "delete/Secret/", params={"name": "tide_key"})

        assert (first, again, body["error"]["errorClass"]) == (200, 503, "SAMBrokerErrorNotReady")


class TestPublicRoutes:
    async def test_no_key_needed(self, server: ReferenceServer) -> None:
        """example-manifest and json-schema answer without a key; a wrong key is still 401."""
        async with aiohttp.ClientSession(base_url=server.llm_engine_url) as bare:
            example, body = await post(bare, "example-manifest/Secret/")
            schema, _ = await post(bare, "json-schema/Secret/")
            wrong, _ = await post(
                bare, "json-schema/Secret/", headers={"Authorization": "Token nope"}
            )

        assert (example, schema, wrong) == (200, 200, 401)
        assert body["metadata"] == {"command": "example_manifest", "thing": "Secret"}

    async def test_get_of_example_is_not_allowed(self, http: aiohttp.ClientSession) -> None:
        """GET example-manifest is 405 with the switch allow_api_get off; json-schema allows it."""
        async with http.get(CLI + "example-manifest/Secret/") as example:
            pass
        async with http.get(CLI + "json-schema/Secret/") as schema:
            pass

        assert (example.status, example.headers["Allow"], schema.status) == (405, "POST", 200)

    async def test_legacy_names(self, legacy: aiohttp.ClientSession) -> None:
        """v0.13 serves example_manifest/ and schema/, and answers the v0.14 names 404."""
        old, body = await post(legacy, "example_manifest/chatbot/")
        schema, _ = await post(legacy, "schema/Plugin/")
        new, _ = await post(legacy, "example-manifest/Plugin/")

        assert (old, schema, new) == (200, 200, 404)
        assert (body["thing"], body["data"]["kind"]) == ("Chatbot", "Chatbot")


class TestVersionAndStatus:
    @pytest.mark.parametrize(
        ("profile", "version"),
        [("smarter", "0.14.19"), ("smarter-legacy", "0.13.223"), ("smarter-v0.10", "0.10.21")],
    )
    async def test_version(self, make_server: ServerFactory, profile: str, version: str) -> None:
        """Each generation reports its own version."""
        async with session_for(await make_server(profile=profile)) as http:
            status, body = await post(http, "version/")

        assert (status, body["data"]["api"]["version"]) == (200, version)

    async def test_status(self, http: aiohttp.ClientSession) -> None:
        """status/ describes the infrastructure and compute, with no message."""
        status, body = await post(http, "status/")

        assert (status, sorted(body["data"]), "message" in body) == (
            200,
            ["compute", "infrastructures"],
            False,
        )
