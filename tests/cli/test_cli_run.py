"""``smarter run`` and ``smarter batch``: many requests from a file, here or as a batch job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from smarter.testing import Fault, ReferenceServer

from .conftest import Runner, base_env

ROUTE = "v1/llm/completions-sync"


def write_input(path: Path, count: int, **settings: Any) -> Path:
    """An INPUT.jsonl of *count* completion requests with distinct prompts."""
    settings.setdefault("model", "example-model")
    lines = (json.dumps({"prompt": f"prompt {i}", **settings}) for i in range(count))
    path.write_text("\n".join(lines) + "\n")
    return path


def outcome_lines(path: Path) -> list[dict[str, Any]]:
    """The lines of an OUTPUT.jsonl."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def sent_prompts(server: ReferenceServer) -> Counter[str]:
    """How many times each prompt reached the server."""
    return Counter(json.loads(r.body)["prompt"] for r in server.requests_to("POST", ROUTE))


class TestRun:
    def test_every_request_once(
        self, smarter_cli: Runner, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """Every line is sent once and has one outcome line naming its index; exit 0."""
        source = write_input(tmp_path / "in.jsonl", 20)

        result = smarter_cli("run", str(source), "-o", str(tmp_path / "out.jsonl"))

        lines = outcome_lines(tmp_path / "out.jsonl")
        assert result.code == 0, result.stderr
        assert sorted(line["index"] for line in lines) == list(range(20))
        assert all("result" in line for line in lines)
        assert set(sent_prompts(server).values()) == {1}
        assert "20 done, 0 failed" in result.stderr

    def test_failures_recorded_exit_1(
        self, smarter_cli: Runner, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """A refused request is an error line, the others succeed, and the exit code is 1."""
        source = write_input(tmp_path / "in.jsonl", 5)
        server.inject("POST", ROUTE, Fault(status=400, body={"detail": "no"}))

        result = smarter_cli("run", str(source), "-o", str(tmp_path / "out.jsonl"))

        lines = outcome_lines(tmp_path / "out.jsonl")
        assert result.code == 1
        assert sum("error" in line for line in lines) == 1
        assert sum("result" in line for line in lines) == 4

    def test_existing_output_needs_resume(self, smarter_cli: Runner, tmp_path: Path) -> None:
        """An OUTPUT that exists is not appended to without --resume: a usage error (2)."""
        source = write_input(tmp_path / "in.jsonl", 2)
        (tmp_path / "out.jsonl").write_text('{"x": 1}\n')

        result = smarter_cli("run", str(source), "-o", str(tmp_path / "out.jsonl"))

        assert (result.code, "--resume" in result.stderr) == (2, True)

    def test_bad_line_is_a_usage_error(
        self, smarter_cli: Runner, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """A line that is not JSON is named, exit 2, and nothing is sent."""
        source = tmp_path / "in.jsonl"
        source.write_text('{"model": "example-model", "prompt": "a"}\nnot json\n')

        result = smarter_cli("run", str(source), "-o", str(tmp_path / "out.jsonl"))

        assert result.code == 2
        assert "in.jsonl:2" in result.stderr
        assert server.requests_to("POST", ROUTE) == []

    def test_resume_sends_only_failures(
        self, smarter_cli: Runner, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """--resume after a run with a failure sends that one request again, nothing else."""
        source = write_input(tmp_path / "in.jsonl", 6)
        server.inject("POST", ROUTE, Fault(status=400, body={"detail": "no"}))
        smarter_cli("run", str(source), "-o", str(tmp_path / "out.jsonl"))
        server.clear_requests()

        result = smarter_cli("run", str(source), "-o", str(tmp_path / "out.jsonl"), "--resume")

        assert result.code == 0, result.stderr
        assert sum(sent_prompts(server).values()) == 1
        assert "5 skipped" in result.stderr


def test_killed_run_resumes_with_only_the_missing(
    server: ReferenceServer, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    """A run SIGKILLed half way, rerun with --resume, sends only what has no outcome line."""
    count = 200
    source = write_input(tmp_path / "in.jsonl", count)
    target = tmp_path / "out.jsonl"
    env = {**cli_env, **server.client_env()}
    server.inject("POST", ROUTE, *[Fault(delay=0.02)] * count)
    args = [sys.executable, "-m", "smarter", "run", str(source), "-o", str(target)]
    process = subprocess.Popen([*args, "--concurrency", "4"], env=env, cwd=tmp_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if target.exists() and len(target.read_text().splitlines()) >= count // 4:
            break
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    whole = [line for line in target.read_text().splitlines() if line.endswith("}")]
    first = Counter(json.loads(line)["request"]["prompt"] for line in whole)
    server.clear_requests()

    rerun = subprocess.run(
        [*args, "--resume"],
        check=False,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    resent = sent_prompts(server)
    done = {line["request"]["prompt"] for line in outcome_lines(target)}
    assert process.returncode == -signal.SIGKILL
    assert 0 < len(first) < count
    assert rerun.returncode == 0, rerun.stderr
    assert not set(resent) & set(first)
    assert len(resent) + len(first) == count
    assert done == {f"prompt {i}" for i in range(count)}


class TestServerBatch:
    def test_batch_job_end_to_end(
        self, smarter_cli: Runner, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """--server-batch sends one job of every prompt, waits, and writes an outcome each."""
        source = write_input(tmp_path / "in.jsonl", 4, max_new_tokens=3, temperature=0.0)

        result = smarter_cli(
            "run",
            str(source),
            "-o",
            str(tmp_path / "out.jsonl"),
            "--server-batch",
            "--interval",
            "0.01",
        )

        lines = outcome_lines(tmp_path / "out.jsonl")
        assert result.code == 0, result.stderr
        assert [line["request"]["prompt"] for line in lines] == [f"prompt {i}" for i in range(4)]
        assert all(line["result"]["num_completion_tokens"] == 3 for line in lines)
        assert server.requests_to("POST", ROUTE) == []
        assert len(server.requests_to("POST", "v1/llm/batch-completions")) == 1

    def test_mixed_settings_refused(self, smarter_cli: Runner, tmp_path: Path) -> None:
        """A batch job takes one set of settings: lines that differ are a usage error."""
        source = tmp_path / "in.jsonl"
        lines = [
            {"model": "example-model", "prompt": "a", "max_new_tokens": 3},
            {"model": "example-model", "prompt": "b", "max_new_tokens": 4},
        ]
        source.write_text("".join(json.dumps(line) + "\n" for line in lines))

        result = smarter_cli("run", str(source), "-o", str(tmp_path / "o.jsonl"), "--server-batch")

        assert (result.code, "one set of settings" in result.stderr) == (2, True)


class TestBatchCommands:
    def test_get_wait_cancel(
        self, smarter_cli: Runner, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """Batch get shows a job, wait follows it to completed, cancel of an unknown exits 1."""
        from smarter import Client

        with Client(**server.client_kwargs()) as client:
            job = client.batch_completions.create(
                model="example-model", prompts=["a"], output_data_path=str(tmp_path / "o.json")
            )

        got = smarter_cli("batch", "get", job.job_id, "--json")
        waited = smarter_cli("batch", "wait", job.job_id, "--interval", "0.01", "--json")
        cancelled = smarter_cli("batch", "cancel", "ft-unknown")

        assert got.json()["job_id"] == job.job_id
        assert (waited.code, waited.json()["status"]) == (0, "completed")
        assert cancelled.code == 1

    def test_wait_timeout(self, tmp_path: Path, cli_env: dict[str, str]) -> None:
        """A wait past its --timeout ends with exit 1 and says what it waited for."""
        with ReferenceServer.in_thread(job_step=10) as slow:
            from smarter import Client

            with Client(**slow.client_kwargs()) as client:
                job = client.batch_completions.create(
                    model="example-model", prompts=["a"], output_data_path=str(tmp_path / "o.json")
                )
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "smarter",
                    "batch",
                    "wait",
                    job.job_id,
                    "--interval",
                    "0.01",
                    "--timeout",
                    "0.2",
                ],
                env={**base_env(tmp_path), **slow.client_env()},
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )

        assert done.returncode == 1
        assert f"batch job {job.job_id} is still queued" in done.stderr
