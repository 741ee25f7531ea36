"""Fine-tuning jobs and model endpoints: shapes, status progression, pagination."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from helpers import STILL

from smarter.testing import ReferenceServer

from .conftest import ServerFactory, session_for

JOB: dict[str, Any] = {
    "model": "llama-2-7b",
    "training_file": "https://example.com/train.csv",
    "hyperparameters": {"epochs": 1},
}


async def create_job(http: aiohttp.ClientSession, **extra: Any) -> tuple[int, Any]:
    """Create a fine-tuning job; returns the status and the JSON body."""
    async with http.post("v1/llm/fine-tunes", json={**JOB, **extra}) as r:
        return r.status, await r.json()


async def get_json(http: aiohttp.ClientSession, path: str, **params: str) -> Any:
    """GET a route that must answer 200, and return its JSON body."""
    async with http.get(path, params=params) as r:
        assert r.status == 200, await r.text()
        return await r.json()


@pytest.fixture
async def quick(make_server: ServerFactory) -> ReferenceServer:
    """A server whose fine-tuning jobs move every 50 ms."""
    return await make_server(job_step=0.05)


@pytest.fixture
async def quick_http(quick: ReferenceServer) -> Any:
    """A raw session for the quick server."""
    async with session_for(quick) as session:
        yield session


class TestFineTunes:
    async def test_progression(
        self, quick: ReferenceServer, quick_http: aiohttp.ClientSession
    ) -> None:
        """A job goes PENDING, RUNNING, SUCCESS (50 ms each) and names its fine-tuned model."""
        _, created = await create_job(quick_http, suffix="mine")
        job_id = created["id"]
        seen: list[str] = []
        for _ in range(200):
            status = (await get_json(quick_http, f"v1/llm/fine-tunes/{job_id}"))["status"]
            if not seen or seen[-1] != status:
                seen.append(status)
            if status == "SUCCESS":
                break
            await asyncio.sleep(0.01)
        final = await get_json(quick_http, f"v1/llm/fine-tunes/{job_id}")
        events = await get_json(quick_http, f"v1/llm/fine-tunes/{job_id}/events")
        job = quick.state.jobs[job_id]

        assert job_id.startswith("ft-")
        assert seen[-1] == "SUCCESS"
        assert set(seen) <= {"PENDING", "RUNNING", "SUCCESS"}
        assert seen == sorted(seen, key=["PENDING", "RUNNING", "SUCCESS"].index)
        assert [job.status(job.started + t) for t in (0.0, 0.07, 0.11)] == [
            "PENDING",
            "RUNNING",
            "SUCCESS",
        ]
        assert final == {
            "id": job_id,
            "status": "SUCCESS",
            "fine_tuned_model": f"llama-2-7b:mine-{job_id[-6:]}",
        }
        assert [e["message"] for e in events["events"]] == [
            "Fine-tune job created; waiting for a worker.",
            "Training started.",
            "Training finished; the fine-tuned model is ready.",
        ]
        assert all(e["level"] == "info" for e in events["events"])
        assert all(isinstance(e["timestamp"], float) for e in events["events"])

    async def test_cancel(self, still: ReferenceServer) -> None:
        """Cancelling a running job succeeds and it stays CANCELLED; a finished job refuses."""
        async with session_for(still) as http:
            _, one = await create_job(http)
            still.advance(STILL)  # RUNNING
            async with http.put(f"v1/llm/fine-tunes/{one['id']}/cancel") as r:
                cancelled = await r.json()
            _, two = await create_job(http)
            still.advance(2 * STILL)  # one would be SUCCESS, were it not cancelled
            status = (await get_json(http, f"v1/llm/fine-tunes/{one['id']}"))["status"]
            async with http.put(f"v1/llm/fine-tunes/{two['id']}/cancel") as r:
                too_late = await r.json()
            events = await get_json(http, f"v1/llm/fine-tunes/{one['id']}/events")

        assert cancelled == {"success": True}
        assert status == "CANCELLED"
        assert too_late == {"success": False}
        assert events["events"][-1]["message"] == "Fine-tune job cancelled."

    async def test_uploaded_training_file(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """An uploaded file id is a valid training file; an unknown one is a 400."""
        form = aiohttp.FormData()
        form.add_field(
            "file", b"prompt,response\nhi,there\n", filename="train.csv", content_type="text/csv"
        )
        form.add_field("purpose", "fine-tune")
        async with http.post("v1/files", data=form) as r:
            file_id = (await r.json())["id"]
        good, _ = await create_job(http, training_file=file_id)
        bad, body = await create_job(http, training_file="file-missing")

        assert (good, bad) == (200, 400)
        assert "file-missing" in body["detail"]

    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            ({"model": None}, "model"),
            ({"suffix": "x" * 29}, "suffix"),
            ({"hyperparameters": []}, "hyperparameters"),
        ],
    )
    async def test_validation(
        self, http: aiohttp.ClientSession, extra: dict[str, Any], field: str
    ) -> None:
        """A missing model, a long suffix or non-object hyperparameters are 422s."""
        status, body = await create_job(http, **extra)

        assert status == 422
        assert body["detail"][0]["loc"] == ["body", field]

    async def test_unknown_job(self, http: aiohttp.ClientSession) -> None:
        """An unknown job id is a 404 on get, cancel and events."""
        statuses = []
        for method, path in [("GET", ""), ("PUT", "/cancel"), ("GET", "/events")]:
            async with http.request(method, f"v1/llm/fine-tunes/ft-nope{path}") as r:
                statuses.append(r.status)

        assert statuses == [404, 404, 404]


class TestAdvance:
    async def test_steps_a_job_with_its_history(self, still: ReferenceServer) -> None:
        """advance() moves a job one state per step; its events stay in the past, in order."""
        async with session_for(still) as http:
            _, job = await create_job(http)
            path = f"v1/llm/fine-tunes/{job['id']}"
            seen = [(await get_json(http, path))["status"]]
            for _ in range(3):
                still.advance(STILL)
                seen.append((await get_json(http, path))["status"])
            events = (await get_json(http, path + "/events"))["events"]

        stamps = [event["timestamp"] for event in events]
        assert seen == ["PENDING", "RUNNING", "SUCCESS", "SUCCESS"]
        assert stamps == sorted(stamps)
        assert stamps[-1] <= time.time()

    async def test_steps_a_deployment(self, still: ReferenceServer) -> None:
        """An updated endpoint goes UPDATE_PENDING, UPDATE_IN_PROGRESS, READY by advance()."""
        path = "v1/llm/model-endpoints/example-model"
        async with session_for(still) as http:
            async with http.put(path, json={"max_workers": 2}) as r:
                assert r.status == 200
            seen = [(await get_json(http, path))["status"]]
            for _ in range(2):
                still.advance(STILL)
                seen.append((await get_json(http, path))["status"])

        assert seen == ["UPDATE_PENDING", "UPDATE_IN_PROGRESS", "READY"]

    @pytest.mark.parametrize(
        ("seconds", "error"),
        [(-1, ValueError), (float("nan"), ValueError), ("1", TypeError), (True, TypeError)],
    )
    def test_refuses_what_is_not_a_duration(self, seconds: Any, error: type) -> None:
        """A negative, NaN or non-number step is refused, naming what was given."""
        with pytest.raises(error, match="seconds"):
            ReferenceServer().advance(seconds)


class TestPagination:
    async def test_three_pages(self, extended: ReferenceServer) -> None:
        """Extended: five jobs with limit=2 make three pages in creation order, last cursor null."""
        async with session_for(extended) as http:
            ids = [(await create_job(http))[1]["id"] for _ in range(5)]
            pages = []
            params = {"limit": "2"}
            while True:
                page = await get_json(http, "v1/llm/fine-tunes", **params)
                pages.append([job["id"] for job in page["jobs"]])
                if page["next_cursor"] is None:
                    break
                params = {"limit": "2", "after": page["next_cursor"]}

        assert pages == [ids[0:2], ids[2:4], ids[4:5]]

    async def test_cursor_survives_deletion(self, make_server: ServerFactory) -> None:
        """Extended: a cursor stays valid when the item it points at is deleted."""
        server = await make_server(profile="extended", models=["a", "b", "c"])
        async with session_for(server) as http:
            page = await get_json(http, "v1/llm/model-endpoints", limit="2")
            async with http.delete("v1/llm/model-endpoints/a") as r:
                assert r.status == 200
            rest = await get_json(
                http, "v1/llm/model-endpoints", limit="2", after=page["next_cursor"]
            )

        assert [e["name"] for e in page["model_endpoints"]] == ["example-model", "a"]
        assert [e["name"] for e in rest["model_endpoints"]] == ["b", "c"]

    @pytest.mark.parametrize(
        ("param", "value", "status"),
        [
            ("limit", "0", 422),
            ("limit", "101", 422),
            ("limit", "x", 422),
            ("after", "garbage!", 400),
            ("after", "ZmlsZXM6MQ", 400),  # a cursor of the files list
        ],
    )
    async def test_bad_query(
        self, extended: ReferenceServer, param: str, value: str, status: int
    ) -> None:
        """Extended: a limit outside 1..100 is a 422; a garbled or foreign cursor a 400."""
        async with (
            session_for(extended) as http,
            http.get("v1/llm/fine-tunes", params={param: value}) as r,
        ):
            assert r.status == status

    @pytest.mark.parametrize(
        "kwargs", [{}, {"profile": "extended", "paginate": False}], ids=["smarter", "override"]
    )
    async def test_unpaginated(self, make_server: ServerFactory, kwargs: dict[str, Any]) -> None:
        """The real servers (or paginate=False) list every item, no next_cursor, query unread."""
        server = await make_server(models=[f"m{i}" for i in range(30)], **kwargs)
        async with session_for(server) as http:
            body = await get_json(http, "v1/llm/model-endpoints", limit="2", after="garbage")

        assert list(body) == ["model_endpoints"]
        assert len(body["model_endpoints"]) == 31

    async def test_paginate_override(self, make_server: ServerFactory) -> None:
        """paginate=True pages a default-profile server's lists."""
        server = await make_server(paginate=True, models=["a", "b"])
        async with session_for(server) as http:
            body = await get_json(http, "v1/llm/model-endpoints", limit="2")

        assert [e["name"] for e in body["model_endpoints"]] == ["example-model", "a"]
        assert isinstance(body["next_cursor"], str)


class TestModels:
    async def test_get(self, http: aiohttp.ClientSession) -> None:
        """example-model has the LLM Engine endpoint shape, with the _image_tag spelling."""
        endpoint = await get_json(http, "v1/llm/model-endpoints/example-model")

        assert endpoint["name"] == "example-model"
        assert endpoint["id"].startswith("end_")
        assert (endpoint["source"], endpoint["inference_framework"], endpoint["status"]) == (
            "hugging_face", "vllm", "READY",
        )  # fmt: skip
        assert endpoint["inference_framework_image_tag"] == "0.6.3"
        assert (endpoint["num_shards"], endpoint["quantize"]) == (1, None)
        assert endpoint["spec"]["endpoint_type"] == "streaming"

    async def test_list_filter(self, make_server: ServerFactory) -> None:
        """name= filters the list; extra models given as mappings override fields."""
        server = await make_server(
            models=[{"name": "big", "status": "UPDATE_PENDING", "num_shards": 4}]
        )
        async with session_for(server) as http:
            body = await get_json(http, "v1/llm/model-endpoints", name="big")

        assert [(e["name"], e["status"], e["num_shards"]) for e in body["model_endpoints"]] == [
            ("big", "UPDATE_PENDING", 4)
        ]

    async def test_delete(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """DELETE removes an endpoint; it is a 404 afterwards."""
        async with http.delete("v1/llm/model-endpoints/example-model") as r:
            deleted = await r.json()
        async with http.get("v1/llm/model-endpoints/example-model") as r:
            after = r.status

        assert deleted == {"deleted": True}
        assert after == 404
        assert server.state.endpoints == {}

    async def test_download(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """Download URLs point under the server and serve bytes; an unknown model is a 404."""
        body = {"model_name": "example-model", "download_format": "hugging_face"}
        async with http.post("v1/llm/model-endpoints/download", json=body) as r:
            urls = (await r.json())["urls"]
        async with aiohttp.ClientSession() as bare, bare.get(urls["config.json"]) as r:
            fetched = (r.status, len(await r.read()))
        async with http.post("v1/llm/model-endpoints/download", json={"model_name": "nope"}) as r:
            missing = r.status

        root = server.llm_engine_url
        assert urls["model.safetensors"] == f"{root}v1/downloads/example-model/model.safetensors"
        assert fetched == (200, 1024)
        assert missing == 404
