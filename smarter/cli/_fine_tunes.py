"""``smarter fine-tunes create|list|get|cancel|events``, and waiting for a job to finish."""

from __future__ import annotations

import datetime
import json
import time
from typing import TYPE_CHECKING

import click
from rich.text import Text

import smarter
from smarter.cli._context import State, json_option, list_options, pass_state, print_list
from smarter.cli._output import Output, plain

if TYPE_CHECKING:
    from smarter.types import GetFineTuneResponse, Hyperparameters

__all__ = ["fine_tunes", "wait_for_job"]

_MAX_SUFFIX = 28


def wait_for_job(
    client: smarter.Client, job_id: str, output: Output, *, interval: float = 0.5
) -> GetFineTuneResponse:
    """Wait for a job with ``fine_tuning.jobs.wait()``, printing every change of status.

    The changes go to standard error, as ``<seconds>s <job id> <status>`` lines, under a
    spinner when that is a terminal.
    """
    started = time.monotonic()
    last: str | None = None

    with output.spinner(f"Waiting for {job_id}") as spinner:

        def progress(job: GetFineTuneResponse) -> None:
            nonlocal last
            status = plain(job.status)
            if status == last:
                return
            last = status
            elapsed = f"{time.monotonic() - started:5.1f}s"
            output.note(Text.assemble((elapsed, "dim"), " ", job_id, " ", output.styled(status)))
            if spinner is not None:
                spinner.update(f"Waiting for {job_id}: {status}")

        return client.fine_tuning.jobs.wait(job_id, poll_interval=interval, on_progress=progress)


def _hyperparameters(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> Hyperparameters:
    parsed: Hyperparameters = {}
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        # Numbers and objects as JSON (epochs=2, lr=1e-4, lora={"r": 8}); the rest as text.
        parsed[name] = value if isinstance(value, int | float | str | dict) else raw
    return parsed


def _suffix(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and len(value) > _MAX_SUFFIX:
        raise click.BadParameter(f"at most {_MAX_SUFFIX} characters, not {len(value)}")
    return value


@click.group("fine-tunes")
def fine_tunes() -> None:
    """Start, follow and cancel fine-tuning jobs."""


@fine_tunes.command("create")
@click.option("--model", "-m", required=True, help="The base model.")
@click.option("--training-file", required=True, help="A file id, or an http(s) URL of a CSV.")
@click.option("--validation-file", help="The same, for validation.")
@click.option("--suffix", callback=_suffix, help="Added to the fine-tuned model's name.")
@click.option(
    "--hyperparameter",
    "hyperparameters",
    multiple=True,
    metavar="NAME=VALUE",
    callback=_hyperparameters,
    help="A training setting, e.g. epochs=2 (repeatable).",
)
@json_option
@pass_state
def create_command(
    state: State,
    *,
    model: str,
    training_file: str,
    validation_file: str | None,
    suffix: str | None,
    hyperparameters: Hyperparameters,
) -> None:
    """Start fine-tuning a model on a training file."""
    job = state.client.fine_tuning.jobs.create(
        model=model,
        training_file=training_file,
        validation_file=validation_file,
        suffix=suffix,
        hyperparameters=hyperparameters or None,
    )
    state.output.show(job)
    if not state.output.json_mode:
        state.output.note(f"Follow it with: smarter fine-tunes get {job.id} --wait")


@fine_tunes.command("list")
@list_options
@json_option
@pass_state
def list_command(state: State, limit: int, all_pages: bool) -> None:
    """List the jobs: id, status, fine-tuned model."""
    print_list(
        state,
        state.client.fine_tuning.jobs.list(limit=limit),
        all_pages=all_pages,
        columns=("id", "status", "fine_tuned_model"),
        row=lambda job: (job.id, job.status, job.fine_tuned_model),
    )


@fine_tunes.command("get")
@click.argument("job_id")
@click.option("--wait", is_flag=True, help="Poll until the job succeeds, fails or stops.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05),
    metavar="SECONDS",
    default=0.5,
    show_default=True,
    help="Seconds between two polls of --wait.",
)
@json_option
@pass_state
def get_command(state: State, job_id: str, wait: bool, interval: float) -> None:
    """Show a job; with --wait, follow it to its end (exit 1 unless it succeeds)."""
    if wait:
        job = wait_for_job(state.client, job_id, state.output, interval=interval)
    else:
        job = state.client.fine_tuning.jobs.get(job_id)
    state.output.show(job)
    if wait and plain(job.status) != "SUCCESS":
        click.get_current_context().exit(1)


@fine_tunes.command("cancel")
@click.argument("job_id")
@json_option
@pass_state
def cancel_command(state: State, job_id: str) -> None:
    """Cancel a job (nothing happens to a job that has finished)."""
    result = state.client.fine_tuning.jobs.cancel(job_id)
    if state.output.json_mode:
        state.output.json(result.to_dict())
    elif result.success:
        state.output.text(f"Cancelled {job_id}.")
    else:
        state.output.text(f"{job_id} had already finished: nothing to cancel.")


@fine_tunes.command("events")
@click.argument("job_id")
@json_option
@pass_state
def events_command(state: State, job_id: str) -> None:
    """Show what happened to a job, oldest first."""
    result = state.client.fine_tuning.jobs.events(job_id)
    if state.output.json_mode:
        state.output.json(result.to_dict())
        return
    state.output.table(
        ("time", "level", "message"),
        ((_when(event.timestamp), event.level, event.message) for event in result.events),
    )


def _when(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.datetime.fromtimestamp(timestamp).isoformat(" ", "seconds")
