"""``batch_completions``: create (v1, v2, fallback), get, update, cancel and wait, both clients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import STILL, run, stepper

import smarter
from smarter.testing import Fault, ReferenceServer
from smarter.types import BatchCompletionJob, BatchCompletionStatus, CancelBatchCompletionResponse

from .conftest import AnyClient, body_of, last_request

MODEL = "example-model"


def create(client: AnyClient, tmp_path: Path, **arguments: Any) -> Any:
    """Start a job of three prompts writing to a local file; the coroutine or the job."""
    arguments.setdefault("prompts", ["one", "two", "three"])
    arguments.setdefault("output_data_path", str(tmp_path / "out.json"))
    return client.batch_completions.create(model=MODEL, **arguments)


class TestCreate:
    async def test_v1_body(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """By default the v1 route: the prompts as content, labels inside model_config."""
        job = await run(create(client, tmp_path, labels={"team": "a"}, max_new_tokens=5))

        sent = body_of(last_request(server, "POST", "v1/llm/batch-completions"))
        assert isinstance(job, BatchCompletionJob)
        assert job.job_id in server.state.batch_jobs
        assert sent["content"] == {
            "prompts": ["one", "two", "three"],
            "max_new_tokens": 5,
            "temperature": 0.2,
        }
        assert sent["model_config"] == {"model": MODEL, "labels": {"team": "a"}}
        assert "labels" not in sent

    async def test_v2_on_upstream_answers_500_after_creating(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """api='v2' on LLM Engine a8236961: the job exists, the answer is a 500, not retried."""
        with pytest.raises(smarter.InternalServerError) as caught:
            await run(create(client, tmp_path, api="v2"))

        assert len(server.requests_to("POST", "v2/batch-completions")) == 1
        assert len(server.state.batch_jobs) == 1
        assert "may have" in str(caught.value)

    async def test_v2_where_it_works(self, extended_client: AnyClient, tmp_path: Path) -> None:
        """Where v2 answers as its DTO says, the job comes back whole: status, config, dates."""
        job = await run(create(extended_client, tmp_path, api="v2", labels={"team": "a"}))

        assert job.status == BatchCompletionStatus.QUEUED
        assert (job.model_config, job.metadata) == ({"model": MODEL}, {"team": "a"})
        assert job.created_at is not None
        assert job.completed_at is None

    async def test_falls_back_to_v2_without_v1(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """A server with no v1 route (a bare 404 Not Found) gets the v2 create."""
        server.inject(
            "POST", "v1/llm/batch-completions", Fault(status=404, body={"detail": "Not Found"})
        )

        with pytest.raises(smarter.InternalServerError):
            await run(create(client, tmp_path))

        assert len(server.requests_to("POST", "v2/batch-completions")) == 1

    async def test_a_real_404_is_not_a_missing_route(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """A 404 with a message of its own is raised, the v2 route left alone."""
        fault = Fault(status=404, body={"detail": "The specified endpoint could not be found."})
        server.inject("POST", "v1/llm/batch-completions", fault)

        with pytest.raises(smarter.NotFoundError):
            await run(create(client, tmp_path))

        assert server.requests_to("POST", "v2/batch-completions") == []

    @pytest.mark.parametrize(
        ("arguments", "error"),
        [
            ({"prompts": None}, ValueError),
            ({"input_data_path": "/x.json"}, ValueError),
            ({"prompts": "one"}, TypeError),
            ({"api": "v3"}, ValueError),
            ({"temperature": "hot"}, TypeError),
        ],
    )
    async def test_refused_before_sending(
        self,
        client: AnyClient,
        server: ReferenceServer,
        tmp_path: Path,
        arguments: Any,
        error: type,
    ) -> None:
        """Neither or both of prompts and input_data_path, a bad value: nothing is sent."""
        with pytest.raises(error):
            await run(create(client, tmp_path, **arguments))

        assert server.requests_to("POST", "v1/llm/batch-completions") == []

    async def test_data_parallelism_refused_by_the_server(
        self, client: AnyClient, tmp_path: Path
    ) -> None:
        """The server's own refusals come back as API errors (v1 has no data parallelism)."""
        with pytest.raises(smarter.BadRequestError, match="Data parallelism"):
            await run(create(client, tmp_path, extra_body={"data_parallelism": 2}))


class TestEndToEnd:
    async def test_wait_then_outputs(
        self, still_client: AnyClient, still_server: ReferenceServer, tmp_path: Path
    ) -> None:
        """A job is queued, runs, completes, and writes one output per prompt, in order."""
        batches = still_client.batch_completions
        job = await run(create(still_client, tmp_path))

        seen: list[str] = []
        progress = stepper(still_server, seen)
        done = await run(batches.wait(job.job_id, poll_interval=0.01, on_progress=progress))

        outputs = json.loads((tmp_path / "out.json").read_text())
        assert (done.status, done.batch_job_status, done.done) == ("completed", "SUCCESS", True)
        assert seen == ["queued", "running", "completed"]
        assert [set(item) for item in outputs] == [
            {"text", "num_prompt_tokens", "num_completion_tokens", "tokens"}
        ] * 3

    async def test_unreadable_input_fails(self, client: AnyClient, tmp_path: Path) -> None:
        """A job whose input file cannot be read ends failed; wait returns it, no raise."""
        job = await run(
            create(client, tmp_path, prompts=None, input_data_path=str(tmp_path / "none.json"))
        )

        done = await run(client.batch_completions.wait(job.job_id, poll_interval=0.01))

        assert (done.status, done.batch_job_status) == ("failed", "FAILURE")

    async def test_input_file(self, client: AnyClient, tmp_path: Path) -> None:
        """Prompts read from input_data_path are completed like inline ones."""
        source = tmp_path / "in.json"
        content = {"prompts": ["a", "b"], "max_new_tokens": 3, "temperature": 0.0}
        source.write_text(json.dumps(content))
        job = await run(create(client, tmp_path, prompts=None, input_data_path=str(source)))

        await run(client.batch_completions.wait(job.job_id, poll_interval=0.01))

        assert len(json.loads((tmp_path / "out.json").read_text())) == 2

    async def test_get_reads_the_job_status_route(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """get() reads v1/docker-image-batch-jobs (v2 get answers 500 upstream)."""
        job = await run(create(client, tmp_path))

        got = await run(client.batch_completions.get(job.job_id))

        assert got.job_id == job.job_id
        assert str(got.status) in ("queued", "running", "completed")
        assert server.requests_to("GET", f"v2/batch-completions/{job.job_id}") == []

    async def test_cancel_then_gone(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """Cancel succeeds; upstream deletes the job, so a read after it is a 404."""
        job = await run(create(client, tmp_path))

        cancelled = await run(client.batch_completions.cancel(job.job_id))

        assert isinstance(cancelled, CancelBatchCompletionResponse)
        assert cancelled.success
        with pytest.raises(smarter.NotFoundError):
            await run(client.batch_completions.get(job.job_id))

    async def test_cancel_unknown(self, client: AnyClient) -> None:
        """Cancelling an unknown job is success false, as on LLM Engine, not an error."""
        cancelled = await run(client.batch_completions.cancel("ft-unknown"))

        assert cancelled.success is False

    async def test_cancel_where_jobs_stay(
        self, kind: str, make_client: Any, tmp_path: Path
    ) -> None:
        """Where a cancelled job is kept, waiting on it ends with status cancelled."""
        with ReferenceServer.in_thread(job_step=STILL, profile="extended") as still:
            client = make_client(kind, **still.client_kwargs())
            job = await run(create(client, tmp_path))
            await run(client.batch_completions.cancel(job.job_id))
            still.advance(3 * STILL)

            done = await run(client.batch_completions.wait(job.job_id, poll_interval=0.01))

        assert done.status == BatchCompletionStatus.CANCELLED

    async def test_update_priority(self, extended_client: AnyClient, tmp_path: Path) -> None:
        """update() sends the job id and priority; where implemented the job comes back."""
        job = await run(create(extended_client, tmp_path))

        updated = await run(extended_client.batch_completions.update(job.job_id, priority="high"))

        assert (updated.priority, updated.success) == ("high", True)

    async def test_update_upstream_not_implemented(self, client: AnyClient, tmp_path: Path) -> None:
        """LLM Engine a8236961 has no priority update: its 500 is raised."""
        job = await run(create(client, tmp_path))

        with pytest.raises(smarter.InternalServerError):
            await run(client.batch_completions.update(job.job_id, priority="high"))

    async def test_wait_times_out(self, kind: str, make_client: Any, tmp_path: Path) -> None:
        """A wait shorter than the job raises WaitTimeoutError naming the job and its state."""
        with ReferenceServer.in_thread(job_step=5) as slow:
            client = make_client(kind, **slow.client_kwargs())
            job = await run(create(client, tmp_path))

            with pytest.raises(smarter.WaitTimeoutError) as caught:
                await run(
                    client.batch_completions.wait(job.job_id, poll_interval=0.01, timeout=0.1)
                )

        assert f"batch job {job.job_id} is still queued" in str(caught.value)
        assert isinstance(caught.value.last, BatchCompletionJob)
        assert isinstance(caught.value, TimeoutError)
