"""``fine_tuning.jobs``: create, list, get, cancel and events, with both clients."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from helpers import STILL, collect, run, stepper

import smarter
from smarter import _converter
from smarter.testing import Fault, ReferenceServer
from smarter.types import (
    BatchJobStatus,
    CancelFineTuneResponse,
    CreateFineTuneResponse,
    GetFineTuneEventsResponse,
    GetFineTuneResponse,
)

from .conftest import AnyClient, body_of, client_request_id, last_request

TRAINING = "https://example.com/train.csv"
MODEL = "llama-2-7b"


async def statuses_until_done(client: AnyClient, job_id: str) -> list[GetFineTuneResponse]:
    """Poll a job until it stops changing; every distinct answer, in order."""
    seen: list[GetFineTuneResponse] = []
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        job = await run(client.fine_tuning.jobs.get(job_id))
        if not seen or job.status != seen[-1].status:
            seen.append(job)
        if job.status in (BatchJobStatus.SUCCESS, BatchJobStatus.CANCELLED):
            return seen
        await asyncio.sleep(0.005)
    raise AssertionError(f"job {job_id} never finished: {seen}")


class TestCreate:
    async def test_minimal_body(self, client: AnyClient, server: ReferenceServer) -> None:
        """Only model, training_file and an empty hyperparameters object are sent."""
        created = await run(client.fine_tuning.jobs.create(model=MODEL, training_file=TRAINING))

        assert isinstance(created, CreateFineTuneResponse)
        assert created.id in server.state.jobs
        assert body_of(last_request(server, "POST", "v1/llm/fine-tunes")) == {
            "model": MODEL,
            "training_file": TRAINING,
            "hyperparameters": {},
        }

    async def test_full_body(self, client: AnyClient, server: ReferenceServer) -> None:
        """Every argument given is sent, and the server keeps it."""
        upload = await run(client.files.create(file=("train.csv", b"prompt,response\na,b\n")))
        created = await run(
            client.fine_tuning.jobs.create(
                model=MODEL,
                training_file=upload.id,
                validation_file=TRAINING,
                hyperparameters={"epochs": 2, "lr": 0.1},
                wandb_config={"project": "p"},
                suffix="mine",
            )
        )

        job = server.state.jobs[created.id]
        assert body_of(last_request(server, "POST", "v1/llm/fine-tunes")) == {
            "model": MODEL,
            "training_file": upload.id,
            "validation_file": TRAINING,
            "hyperparameters": {"epochs": 2, "lr": 0.1},
            "wandb_config": {"project": "p"},
            "suffix": "mine",
        }
        assert (job.training_file, job.hyperparameters, job.suffix) == (
            upload.id,
            {"epochs": 2, "lr": 0.1},
            "mine",
        )

    async def test_long_suffix_refused(self, client: AnyClient, server: ReferenceServer) -> None:
        """A suffix over 28 characters is a ValueError before anything is sent."""
        with pytest.raises(ValueError, match="suffix"):
            await run(
                client.fine_tuning.jobs.create(model=MODEL, training_file=TRAINING, suffix="x" * 29)
            )

        assert server.requests == []

    async def test_request_id(self, bare_client: AnyClient, bare_server: ReferenceServer) -> None:
        """_request_id is the id of the response (the X-Smarter-RequestId sent)."""
        created = await run(
            bare_client.fine_tuning.jobs.create(model=MODEL, training_file=TRAINING)
        )

        assert created._request_id == client_request_id(bare_server, "POST", "v1/llm/fine-tunes")


class TestLifecycle:
    async def test_status_progression(
        self, still_client: AnyClient, still_server: ReferenceServer
    ) -> None:
        """A job is PENDING, then RUNNING, then SUCCESS with its fine-tuned model named."""
        jobs = still_client.fine_tuning.jobs
        created = await run(jobs.create(model=MODEL, training_file=TRAINING, suffix="sfx"))

        seen = [await run(jobs.get(created.id))]
        for _ in range(2):
            still_server.advance(STILL)
            seen.append(await run(jobs.get(created.id)))

        assert [(job.id, job.status) for job in seen] == [
            (created.id, BatchJobStatus.PENDING),
            (created.id, BatchJobStatus.RUNNING),
            (created.id, BatchJobStatus.SUCCESS),
        ]
        assert [job.fine_tuned_model for job in seen] == [
            None,
            None,
            f"{MODEL}:sfx-{created.id[-6:]}",
        ]
        assert seen[-1].to_dict() == {
            "id": created.id,
            "fine_tuned_model": f"{MODEL}:sfx-{created.id[-6:]}",
            "status": "SUCCESS",
        }

    async def test_cancel(self, still_client: AnyClient, still_server: ReferenceServer) -> None:
        """Cancelling a pending job succeeds and freezes it at CANCELLED."""
        jobs = still_client.fine_tuning.jobs
        created = await run(jobs.create(model=MODEL, training_file=TRAINING))

        cancelled = await run(jobs.cancel(created.id))
        still_server.advance(3 * STILL)
        job = await run(jobs.get(created.id))

        assert isinstance(cancelled, CancelFineTuneResponse)
        assert (cancelled.success, job.status, job.fine_tuned_model) == (
            True,
            BatchJobStatus.CANCELLED,
            None,
        )

    async def test_cancel_after_success(self, client: AnyClient, server: ReferenceServer) -> None:
        """Cancelling a finished job says success=False, with a PUT to .../cancel."""
        created = await run(client.fine_tuning.jobs.create(model=MODEL, training_file=TRAINING))
        await statuses_until_done(client, created.id)

        cancelled = await run(client.fine_tuning.jobs.cancel(created.id))

        request = last_request(server, "PUT", "v1/llm/fine-tunes/*/cancel")
        assert (cancelled.success, request.path) == (
            False,
            f"v1/llm/fine-tunes/{created.id}/cancel",
        )

    async def test_events(self, client: AnyClient) -> None:
        """The events of a finished job are its three steps, oldest first."""
        created = await run(client.fine_tuning.jobs.create(model=MODEL, training_file=TRAINING))
        await statuses_until_done(client, created.id)

        events = await run(client.fine_tuning.jobs.events(created.id))

        assert isinstance(events, GetFineTuneEventsResponse)
        assert [(event.message, event.level) for event in events.events] == [
            ("Fine-tune job created; waiting for a worker.", "info"),
            ("Training started.", "info"),
            ("Training finished; the fine-tuned model is ready.", "info"),
        ]
        stamps = [event.timestamp for event in events.events]
        assert stamps == sorted(stamps)
        assert _converter.structure(events.to_dict(), GetFineTuneEventsResponse) == events

    async def test_events_of_a_cancelled_job(self, still_client: AnyClient) -> None:
        """A job cancelled while pending has a created and a cancelled event."""
        jobs = still_client.fine_tuning.jobs
        created = await run(jobs.create(model=MODEL, training_file=TRAINING))
        await run(jobs.cancel(created.id))

        events = await run(jobs.events(created.id))

        assert [event.message for event in events.events] == [
            "Fine-tune job created; waiting for a worker.",
            "Fine-tune job cancelled.",
        ]


class TestList:
    async def test_every_job_in_order(self, client: AnyClient, server: ReferenceServer) -> None:
        """list() walks every job, oldest first, over pages of the given limit."""
        ids = [
            (await run(client.fine_tuning.jobs.create(model=MODEL, training_file=TRAINING))).id
            for _ in range(3)
        ]

        jobs = await collect(client.fine_tuning.jobs.list(limit=2))

        assert [job.id for job in jobs] == ids
        assert all(isinstance(job, GetFineTuneResponse) for job in jobs)
        first_query = dict(server.requests_to("GET", "v1/llm/fine-tunes")[0].query)
        assert first_query == {"limit": "2"}

    async def test_default_limit(self, client: AnyClient, server: ReferenceServer) -> None:
        """The default page size is 20."""
        page = await run(client.fine_tuning.jobs.list())

        assert (page.data, dict(last_request(server, "GET", "v1/llm/fine-tunes").query)) == (
            [],
            {"limit": "20"},
        )


class TestOpenData:
    async def test_unknown_status_and_field(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """An unknown status stays a plain string; an unknown field stays readable."""
        body = {"id": "ft-1", "fine_tuned_model": None, "status": "QUEUED", "priority": 3}
        server.inject("GET", "v1/llm/fine-tunes/*", Fault(status=200, body=body))

        job = await run(client.fine_tuning.jobs.get("ft-1"))

        assert (job.status, type(job.status), job.priority, job.to_dict()) == (
            "QUEUED",
            str,
            3,
            body,
        )

    async def test_known_status_is_a_member(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A known status is the enum member, which equals its wire string."""
        body = {"id": "ft-1", "fine_tuned_model": None, "status": "RUNNING"}
        server.inject("GET", "v1/llm/fine-tunes/*", Fault(status=200, body=body))

        job = await run(client.fine_tuning.jobs.get("ft-1"))

        assert (type(job.status), job.status, job.model_fields_set) == (
            BatchJobStatus,
            "RUNNING",
            {"id", "fine_tuned_model", "status"},
        )


class TestWait:
    async def test_until_success(
        self, still_client: AnyClient, still_server: ReferenceServer
    ) -> None:
        """wait() polls a job through PENDING and RUNNING and returns it at SUCCESS."""
        jobs = still_client.fine_tuning.jobs
        job = await run(jobs.create(model=MODEL, training_file=TRAINING))

        seen: list[str] = []
        done = await run(
            jobs.wait(job.id, poll_interval=0.01, on_progress=stepper(still_server, seen))
        )

        assert str(done.status) == "SUCCESS"
        assert seen == ["PENDING", "RUNNING", "SUCCESS"]

    async def test_cancelled_is_final(self, still_client: AnyClient) -> None:
        """A cancelled job ends the wait: it is returned, not raised."""
        jobs = still_client.fine_tuning.jobs
        job = await run(jobs.create(model=MODEL, training_file=TRAINING))
        await run(jobs.cancel(job.id))

        done = await run(jobs.wait(job.id, poll_interval=0.01))

        assert str(done.status) == "CANCELLED"

    async def test_times_out(self, kind: str, make_client: Any) -> None:
        """A job longer than the timeout: WaitTimeoutError saying which job and where it was."""
        with ReferenceServer.in_thread(job_step=5) as slow:
            client = make_client(kind, **slow.client_kwargs())
            job = await run(client.fine_tuning.jobs.create(model=MODEL, training_file=TRAINING))

            with pytest.raises(smarter.WaitTimeoutError) as caught:
                await run(client.fine_tuning.jobs.wait(job.id, poll_interval=0.01, timeout=0.05))

        assert str(caught.value).startswith(f"fine-tune job {job.id} is still PENDING")
