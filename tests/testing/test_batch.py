"""Batch completion jobs of the reference server: states, outputs, and upstream's v2 bugs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from helpers import STILL

from smarter.testing import ReferenceServer

from .conftest import ServerFactory, session_for

CONTENT = {"prompts": ["a", "b"], "max_new_tokens": 4, "temperature": 0.0}


def body(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    """A v1 create body writing to a local file."""
    config = {"model": "example-model"}
    return {"output_data_path": str(tmp_path / "out.json"), "model_config": config, **extra}


@pytest.fixture
async def http(make_server: ServerFactory) -> Any:
    """A raw session for a server whose jobs move every 50 ms."""
    server = await make_server(job_step=0.05)
    async with session_for(server) as session:
        yield session


@pytest.fixture
async def extended_http(make_server: ServerFactory) -> Any:
    """A raw session for an ``extended`` server, whose v2 routes work."""
    server: ReferenceServer = await make_server(job_step=0.05, profile="extended")
    async with session_for(server) as session:
        yield session


async def status_of(http: aiohttp.ClientSession, job_id: str) -> str:
    """The job's status through v1/docker-image-batch-jobs."""
    async with http.get(f"v1/docker-image-batch-jobs/{job_id}") as r:
        return str((await r.json())["status"])


class TestV1:
    async def test_states_then_outputs(self, still: ReferenceServer, tmp_path: Path) -> None:
        """PENDING, RUNNING, SUCCESS; then one JSON array, an output per prompt, in order."""
        async with session_for(still) as http:
            payload = body(tmp_path, content=CONTENT)
            async with http.post("v1/llm/batch-completions", json=payload) as r:
                job_id = (await r.json())["job_id"]
            seen = [await status_of(http, job_id)]
            written_early = (tmp_path / "out.json").exists()
            for _ in range(2):
                still.advance(STILL)
                seen.append(await status_of(http, job_id))

        outputs = json.loads((tmp_path / "out.json").read_text())
        assert seen == ["PENDING", "RUNNING", "SUCCESS"]
        assert not written_early
        assert [item["num_completion_tokens"] for item in outputs] == [4, 4]

    async def test_advance_writes_outputs_unread(
        self, still: ReferenceServer, tmp_path: Path
    ) -> None:
        """A job that ends by advance() writes its outputs then, before anyone reads it."""
        async with session_for(still) as http:
            payload = body(tmp_path, content=CONTENT)
            async with http.post("v1/llm/batch-completions", json=payload) as r:
                assert r.status == 200

        still.advance(2 * STILL)

        assert len(json.loads((tmp_path / "out.json").read_text())) == 2

    async def test_data_parallelism(self, http: aiohttp.ClientSession, tmp_path: Path) -> None:
        """data_parallelism above 1 is upstream's 400."""
        payload = body(tmp_path, content=CONTENT, data_parallelism=2)
        async with http.post("v1/llm/batch-completions", json=payload) as r:
            assert (r.status, await r.json()) == (
                400,
                {"detail": "Data parallelism is disabled for batch completions."},
            )

    async def test_model_config_required(self, http: aiohttp.ClientSession, tmp_path: Path) -> None:
        """A body without model_config is a 422 at body.model_config."""
        payload = {"output_data_path": str(tmp_path / "o.json"), "content": CONTENT}
        async with http.post("v1/llm/batch-completions", json=payload) as r:
            detail = (await r.json())["detail"]
        assert [item["loc"] for item in detail] == [["body", "model_config"]]


class TestV2Upstream:
    async def test_create_is_500_after_creating(
        self, http: aiohttp.ClientSession, tmp_path: Path
    ) -> None:
        """A v2 create answers 500, the job made; its get is 500, an unknown id's 404."""
        async with http.post("v2/batch-completions", json=body(tmp_path, content=CONTENT)) as r:
            assert r.status == 500
        async with http.get("v2/batch-completions/ft-none") as r:
            assert (r.status, await r.json()) == (
                404,
                {"detail": "Batch completion ft-none not found."},
            )

    async def test_cancel_deletes(self, http: aiohttp.ClientSession, tmp_path: Path) -> None:
        """Cancel answers success and the job is gone after it; an unknown id is success false."""
        async with http.post("v1/llm/batch-completions", json=body(tmp_path, content=CONTENT)) as r:
            job_id = (await r.json())["job_id"]
        async with http.post(f"v2/batch-completions/{job_id}/actions/cancel") as r:
            assert await r.json() == {"success": True}
        async with http.get(f"v1/docker-image-batch-jobs/{job_id}") as r:
            assert r.status == 404
        async with http.post(f"v2/batch-completions/{job_id}/actions/cancel") as r:
            assert await r.json() == {"success": False}


class TestV2Extended:
    async def test_job_body(self, extended_http: aiohttp.ClientSession, tmp_path: Path) -> None:
        """Where v2 works, create and get answer the BatchCompletionsJob shape."""
        payload = body(tmp_path, content=[{"prompt": "x"}, {"messages": [{"content": "y"}]}])
        async with extended_http.post("v2/batch-completions", json=payload) as r:
            job = await r.json()
        async with extended_http.get(f"v2/batch-completions/{job['job_id']}") as r:
            got = (await r.json())["job"]

        assert set(got) == {
            "job_id",
            "input_data_path",
            "output_data_path",
            "model_config",
            "priority",
            "status",
            "created_at",
            "expires_at",
            "completed_at",
            "metadata",
        }
        assert job["status"] == "queued"
