"""``smarter demo``: a tour of every resource, with no network and no key."""

from __future__ import annotations

import time
from pathlib import Path

from .conftest import base_env, run_smarter


def test_demo_tours_every_resource(tmp_path: Path) -> None:
    """The demo exits 0 within seconds, plain in a pipe, and shows a call of every resource."""
    started = time.monotonic()
    result = run_smarter("demo", env=base_env(tmp_path), cwd=tmp_path)
    elapsed = time.monotonic() - started
    expected = [
        "client.whoami()",
        'client.resources.chatbots.get(name="example")',
        "[example] turn 1: ",
        "[example] turn 2: ",
        "the same session",
        "client.completions.create(",
        "print(out.output.text)",
        "client.completions.stream(",
        "client.chat.completions.create(",
        "print(answer.choices[0].message.content)",
        'print(chunk.choices[0].delta.content or "", end="", flush=True)',
        "client.responses.create(",
        "print(response.output_text)",
        "client.files.create(",
        "client.fine_tuning.jobs.create(",
        "client.fine_tuning.jobs.wait(job.id",
        " SUCCESS",
        "client.models.list()",
        'client.models.get("example-model")',
        "client.files.list()",
        "NotFoundError [404]",
        "async with smarter.AsyncClient(**options) as client:",
        "async for chunk in client.completions.stream(",
        "Next steps",
        "SMARTER_API_KEY",
    ]

    assert (result.code, result.stderr) == (0, "")
    assert [text for text in expected if text not in result.stdout] == []
    assert "\x1b[" not in result.stdout
    assert elapsed < 15


def test_demo_refuses_json(tmp_path: Path) -> None:
    """``smarter --json demo``: a usage error (exit 2) saying demo has no JSON form."""
    result = run_smarter("--json", "demo", env=base_env(tmp_path), cwd=tmp_path)

    assert result.code == 2
    assert "demo prints a tour for people and has no --json form" in result.stderr
