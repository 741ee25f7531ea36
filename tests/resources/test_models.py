"""``models``: list (with a name filter), get, delete and download, with both clients."""

from __future__ import annotations

import pytest
from helpers import collect, run, stepper

import smarter
from smarter import _converter
from smarter.testing import Fault, ReferenceServer
from smarter.testing._state import make_endpoint
from smarter.types import (
    CreateLLMEndpointResponse,
    DeleteLLMEndpointResponse,
    GetLLMEndpointResponse,
    LLMInferenceFramework,
    LLMSource,
    ModelDownloadResponse,
    ModelEndpointStatus,
    UpdateLLMEndpointResponse,
)

from .conftest import AnyClient, body_of, client_request_id, last_request

NAME = "example-model"


def add_models(server: ReferenceServer, *names: str) -> None:
    """Give the server more model endpoints."""
    with server.state.lock:
        for name in names:
            server.state.endpoints[name] = make_endpoint(name)


class TestGet:
    async def test_fields(self, client: AnyClient, server: ReferenceServer) -> None:
        """Every field is read, enums as members, the image tag as inference_framework_tag."""
        endpoint = await run(client.models.get(NAME))

        stored = server.state.endpoints[NAME].body
        assert isinstance(endpoint, GetLLMEndpointResponse)
        assert (endpoint.id, endpoint.name, endpoint.model_name) == (stored["id"], NAME, NAME)
        assert (endpoint.source, endpoint.inference_framework, endpoint.status) == (
            LLMSource.HUGGING_FACE,
            LLMInferenceFramework.VLLM,
            ModelEndpointStatus.READY,
        )
        assert (endpoint.inference_framework_tag, endpoint.num_shards, endpoint.quantize) == (
            "0.6.3",
            1,
            None,
        )
        assert endpoint.spec == stored["spec"]

    async def test_to_dict_keeps_the_wire_name(self, client: AnyClient) -> None:
        """to_dict() gives back inference_framework_image_tag, as the server spelt it."""
        endpoint = await run(client.models.get(NAME))

        wire = endpoint.to_dict()
        assert ("inference_framework_image_tag" in wire, "inference_framework_tag" in wire) == (
            True,
            False,
        )
        assert _converter.structure(wire, GetLLMEndpointResponse) == endpoint

    async def test_request_id(self, bare_client: AnyClient, bare_server: ReferenceServer) -> None:
        """_request_id is the id of the response (the X-Smarter-RequestId sent)."""
        endpoint = await run(bare_client.models.get(NAME))

        assert endpoint._request_id == client_request_id(
            bare_server, "GET", "v1/llm/model-endpoints/*"
        )

    async def test_name_is_one_path_segment(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A name with a slash is percent-encoded and stays one segment."""
        with pytest.raises(smarter.NotFoundError):
            await run(client.models.get("a/b"))

        assert server.requests[-1].path == "v1/llm/model-endpoints/a%2Fb"

    async def test_unknown_values_kept(self, client: AnyClient, server: ReferenceServer) -> None:
        """Unknown enum values stay strings and unknown fields stay readable."""
        body = {
            "name": "x",
            "source": "s3",
            "inference_framework": "llama_cpp",
            "status": "WARMING_UP",
            "quantize": "gptq",
            "owner": "team-a",
        }
        server.inject("GET", "v1/llm/model-endpoints/*", Fault(status=200, body=body))

        endpoint = await run(client.models.get("x"))

        assert (
            endpoint.source,
            endpoint.inference_framework,
            endpoint.status,
            endpoint.quantize,
            endpoint.owner,
        ) == ("s3", "llama_cpp", "WARMING_UP", "gptq", "team-a")
        assert {type(endpoint.status), type(endpoint.quantize)} == {str}
        assert endpoint.to_dict() == body


class TestList:
    async def test_every_endpoint(self, client: AnyClient, server: ReferenceServer) -> None:
        """list() walks every endpoint in creation order."""
        add_models(server, "m-1", "m-2", "m-3")

        endpoints = await collect(client.models.list(limit=2))

        assert [endpoint.name for endpoint in endpoints] == [NAME, "m-1", "m-2", "m-3"]
        assert all(isinstance(endpoint, GetLLMEndpointResponse) for endpoint in endpoints)

    async def test_name_filter(self, client: AnyClient, server: ReferenceServer) -> None:
        """name= is sent in the query and only that endpoint comes back."""
        add_models(server, "m-1", "m-2")

        page = await run(client.models.list(name="m-2"))

        assert ([endpoint.name for endpoint in page.data], page.has_next_page()) == (["m-2"], False)
        assert dict(last_request(server, "GET", "v1/llm/model-endpoints").query) == {
            "limit": "20",
            "name": "m-2",
        }

    @pytest.mark.parametrize(
        ("order", "expected"),
        [
            ("newest", ["m-2", "m-1", NAME]),
            ("oldest", [NAME, "m-1", "m-2"]),
            ("alphabetical", [NAME, "m-1", "m-2"]),  # accepted, not applied upstream
        ],
    )
    async def test_order_by(
        self, client: AnyClient, server: ReferenceServer, order: str, expected: list[str]
    ) -> None:
        """order_by is sent in the query; LLM Engine sorts newest or oldest first.

        scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/llms_v1.py
        (list_model_endpoints), common/dtos/model_endpoints.py (ModelEndpointOrderBy).
        """
        add_models(server, "m-1", "m-2")

        endpoints = await collect(client.models.list(order_by=order))  # type: ignore[arg-type]

        assert [endpoint.name for endpoint in endpoints] == expected
        assert last_request(server, "GET", "v1/llm/model-endpoints").query["order_by"] == order

    async def test_bad_order_by_is_refused_before_sending(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """An order_by LLM Engine does not know is a ValueError naming it, nothing sent."""
        with pytest.raises(ValueError, match="order_by"):
            await run(client.models.list(order_by="largest"))  # type: ignore[arg-type]

        assert server.requests == []

    async def test_list_body(self, client: AnyClient) -> None:
        """The page's response is the typed list body."""
        page = await run(client.models.list())

        assert (type(page.response).__name__, page.response.model_endpoints) == (
            "ListLLMEndpointsResponse",
            page.data,
        )


class TestDelete:
    async def test_deleted_then_not_found(self, client: AnyClient, server: ReferenceServer) -> None:
        """delete() says deleted=True; afterwards get() raises NotFoundError."""
        deleted = await run(client.models.delete(NAME))

        with pytest.raises(smarter.NotFoundError, match=NAME):
            await run(client.models.get(NAME))
        assert isinstance(deleted, DeleteLLMEndpointResponse)
        assert (deleted.deleted, NAME in server.state.endpoints) == (True, False)
        assert last_request(server, "DELETE", "v1/llm/model-endpoints/*").path == (
            f"v1/llm/model-endpoints/{NAME}"
        )


class TestDownload:
    async def test_urls(self, client: AnyClient, server: ReferenceServer) -> None:
        """download() returns the file URLs; the body names the model and the format."""
        result = await run(client.models.download(NAME))

        assert isinstance(result, ModelDownloadResponse)
        assert result.urls == {
            name: f"{server.llm_engine_url}v1/downloads/{NAME}/{name}"
            for name in ("model.safetensors", "config.json", "tokenizer.json")
        }
        assert body_of(last_request(server, "POST", "v1/llm/model-endpoints/download")) == {
            "model_name": NAME,
            "download_format": "hugging_face",
        }

    async def test_format(self, client: AnyClient, server: ReferenceServer) -> None:
        """download_format= is sent as given."""
        await run(client.models.download(NAME, download_format="gguf"))

        assert body_of(last_request(server, "POST", "v1/llm/model-endpoints/download")) == {
            "model_name": NAME,
            "download_format": "gguf",
        }

    async def test_unknown_model(self, client: AnyClient) -> None:
        """Downloading a model that does not exist raises NotFoundError."""
        with pytest.raises(smarter.NotFoundError, match="nope"):
            await run(client.models.download("nope"))


class TestCreateUpdateWait:
    async def test_create_then_ready(
        self, still_client: AnyClient, still_server: ReferenceServer
    ) -> None:
        """create() sends the required fields; the endpoint deploys and wait returns it READY."""
        models = still_client.models
        created = await run(models.create(name="mine", model="llama-2-7b", gpus=1))

        seen: list[str] = []
        ready = await run(
            models.wait_until_ready(
                "mine", poll_interval=0.01, on_progress=stepper(still_server, seen)
            )
        )

        sent = body_of(last_request(still_server, "POST", "v1/llm/model-endpoints"))
        assert isinstance(created, CreateLLMEndpointResponse)
        assert created.endpoint_creation_task_id
        assert {key: sent[key] for key in ("name", "model_name", "endpoint_type", "labels")} == {
            "name": "mine",
            "model_name": "llama-2-7b",
            "endpoint_type": "streaming",
            "labels": {},
        }
        assert (sent["metadata"], sent["min_workers"], sent["max_workers"]) == ({}, 0, 1)
        assert ready.status == ModelEndpointStatus.READY
        assert seen == ["UPDATE_PENDING", "UPDATE_IN_PROGRESS", "READY"]

    async def test_duplicate_name(self, client: AnyClient) -> None:
        """A name taken is the server's 400 (not a 409), raised as BadRequestError."""
        with pytest.raises(smarter.BadRequestError, match="already exists"):
            await run(client.models.create(name=NAME, model="llama-2-7b"))

    async def test_sync_endpoint_refused(self, client: AnyClient) -> None:
        """A vLLM endpoint must be streaming: the server refuses endpoint_type='sync'."""
        with pytest.raises(smarter.BadRequestError, match="streaming"):
            await run(client.models.create(name="x", model="m", endpoint_type="sync"))

    async def test_bad_argument_not_sent(self, client: AnyClient, server: ReferenceServer) -> None:
        """A wrong type is refused before anything is sent."""
        with pytest.raises(TypeError, match="gpus"):
            await run(client.models.create(name="x", model="m", gpus="one"))  # type: ignore[arg-type]

        assert server.requests_to("POST", "v1/llm/model-endpoints") == []

    async def test_update_sends_only_what_is_given(
        self, still_client: AnyClient, still_server: ReferenceServer
    ) -> None:
        """update() sends the given fields only; the endpoint redeploys, then is READY again."""
        models = still_client.models
        updated = await run(models.update(NAME, max_workers=3, labels={"a": "b"}))

        sent = body_of(last_request(still_server, "PUT", f"v1/llm/model-endpoints/{NAME}"))
        assert isinstance(updated, UpdateLLMEndpointResponse)
        assert sent == {"max_workers": 3, "labels": {"a": "b"}}
        assert (await run(models.get(NAME))).status == ModelEndpointStatus.UPDATE_PENDING
        seen: list[str] = []
        ready = await run(
            models.wait_until_ready(
                NAME, poll_interval=0.01, on_progress=stepper(still_server, seen)
            )
        )
        assert ready.status == ModelEndpointStatus.READY
        assert seen == ["UPDATE_PENDING", "UPDATE_IN_PROGRESS", "READY"]

    async def test_update_unknown(self, client: AnyClient) -> None:
        """Updating an endpoint that does not exist raises NotFoundError."""
        with pytest.raises(smarter.NotFoundError):
            await run(client.models.update("nope", max_workers=2))

    async def test_failed_deployment(self, client: AnyClient, server: ReferenceServer) -> None:
        """An UPDATE_FAILED endpoint ends the wait with WaitError and the server's reason."""
        failed = make_endpoint({"name": "broken", "status": "UPDATE_FAILED"})
        failed.body["spec"]["status_reason"] = "image pull failed"
        with server.state.lock:
            server.state.endpoints["broken"] = failed

        with pytest.raises(smarter.WaitError, match="'broken' failed to deploy: image pull"):
            await run(client.models.wait_until_ready("broken", poll_interval=0.01))

    async def test_wait_times_out(self, client: AnyClient, server: ReferenceServer) -> None:
        """An endpoint still deploying at the timeout: WaitTimeoutError with its last state."""
        with server.state.lock:
            server.state.endpoints["slow"] = make_endpoint(
                {"name": "slow", "status": "UPDATE_IN_PROGRESS"}
            )

        with pytest.raises(smarter.WaitTimeoutError, match="still UPDATE_IN_PROGRESS") as caught:
            await run(client.models.wait_until_ready("slow", poll_interval=0.01, timeout=0.05))

        assert isinstance(caught.value.last, GetLLMEndpointResponse)
