"""``smarter batch get|cancel|wait ID``: LLM Engine batch completion jobs.

Jobs are started by ``smarter run INPUT.jsonl -o OUTPUT.jsonl --server-batch`` (or
``client.batch_completions.create``). ``wait`` follows a job to its end and exits 1 unless it
completed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import click
from rich.text import Text

import smarter
from smarter.cli._context import State, json_option, pass_state
from smarter.cli._output import Output, plain
from smarter.types import BatchCompletionJob

__all__ = ["batch", "wait_for_batch", "wait_options"]

T = TypeVar("T")


def wait_for_batch(
    client: smarter.Client,
    job_id: str,
    output: Output,
    *,
    interval: float,
    timeout: float | None,
) -> BatchCompletionJob:
    """Wait for a job to end, printing each change of status on standard error.

    Raises:
        WaitTimeoutError: *timeout* passed first.
    """
    started = time.monotonic()
    last: list[str] = []
    with output.spinner(f"Waiting for {job_id}") as spinner:

        def progress(job: BatchCompletionJob) -> None:
            status = plain(job.status)
            if last and last[-1] == status:
                return
            last.append(status)
            elapsed = f"{time.monotonic() - started:5.1f}s"
            output.note(Text.assemble((elapsed, "dim"), " ", job_id, " ", output.styled(status)))
            if spinner is not None:
                spinner.update(f"Waiting for {job_id}: {status}")

        return client.batch_completions.wait(
            job_id, poll_interval=interval, timeout=timeout, on_progress=progress
        )


def wait_options(command: Callable[..., T]) -> Callable[..., T]:
    """Add ``--interval`` and ``--timeout`` to a command that waits for a job."""
    command = click.option(
        "--timeout",
        "wait_timeout",
        type=click.FloatRange(min=0, min_open=True),
        metavar="SECONDS",
        help="Give up waiting after this long (exit 1) [default: no limit].",
    )(command)
    return click.option(
        "--interval",
        type=click.FloatRange(min=0, min_open=True),
        default=5.0,
        show_default=True,
        metavar="SECONDS",
        help="Seconds before the second poll (each later one is longer, at most 8x).",
    )(command)


@click.group()
def batch() -> None:
    """Show, cancel and wait for LLM Engine batch completion jobs."""


@batch.command("get")
@click.argument("job_id", metavar="ID")
@json_option
@pass_state
def get_command(state: State, job_id: str) -> None:
    """Show a job and its status."""
    state.output.show(state.client.batch_completions.get(job_id))


@batch.command("cancel")
@click.argument("job_id", metavar="ID")
@json_option
@pass_state
def cancel_command(state: State, job_id: str) -> None:
    """Cancel a job (exit 1 when the server did not know it)."""
    result = state.client.batch_completions.cancel(job_id)
    if state.output.json_mode:
        state.output.json(result.to_dict())
    else:
        state.output.text(f"Cancelled {job_id}." if result.success else f"{job_id}: not cancelled.")
    if not result.success:
        click.get_current_context().exit(1)


@batch.command("wait")
@click.argument("job_id", metavar="ID")
@wait_options
@json_option
@pass_state
def wait_command(state: State, job_id: str, interval: float, wait_timeout: float | None) -> None:
    """Follow a job to its end (exit 1 unless it completed)."""
    job = wait_for_batch(
        state.client, job_id, state.output, interval=interval, timeout=wait_timeout
    )
    state.output.show(job)
    if plain(job.status) != "completed":
        click.get_current_context().exit(1)
