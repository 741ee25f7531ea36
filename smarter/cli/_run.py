"""``smarter run INPUT.jsonl -o OUTPUT.jsonl``: many requests, paced, recorded, resumable.

INPUT has one JSON object per line: the arguments of one completion (``model``, ``prompt``,
``max_new_tokens``...), or of one chat completion when the first line has ``messages``.
OUTPUT is the run's checkpoint (:mod:`smarter._checkpoint`): a line per finished request,
``{"key", "index", "request", "result"}`` or ``... "error"}``, flushed as each ends
(in the order they end: ``index`` is the line of INPUT). Rerun
with ``--resume`` after a crash or a failure: only what has no result is sent again.

``--server-batch`` sends the prompts as one LLM Engine batch job instead, waits for it, and
writes the same OUTPUT lines from the job's outputs (when its ``--output-data-path`` is a
path of this machine; otherwise it says where the job wrote them).

Exit: 0 when every request succeeded, 1 when some failed (they are in OUTPUT, with their
errors), 2 for a usage error (a bad line, OUTPUT there without ``--resume``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from smarter.cli._batch import wait_for_batch, wait_options
from smarter.cli._context import State, pass_state
from smarter.cli._output import plain

__all__ = ["run"]


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    """The requests of INPUT, one at a time (blank lines skipped)."""
    with path.open(encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                request = json.loads(line)
            except ValueError as exc:
                raise click.UsageError(f"{path}:{number}: not JSON ({exc})") from None
            if not isinstance(request, dict):
                raise click.UsageError(f"{path}:{number}: not a JSON object")
            yield request


def _scan(path: Path) -> tuple[int, bool]:
    """Check every line before anything is sent: how many requests, and whether chat."""
    count, chat = 0, False
    for request in _lines(path):
        if count == 0:
            chat = "messages" in request
        count += 1
    return count, chat


def _rate(done: int, started: float) -> str:
    elapsed = time.monotonic() - started
    return f"{done / elapsed:.1f}/s" if elapsed > 0 else "-"


def _run_here(
    state: State, source: Path, target: Path, *, count: int, chat: bool, settings: dict[str, Any]
) -> int:
    client = state.client
    requests = _lines(source)
    many = client.chat.completions.create_many if chat else client.completions.create_many
    outcomes = many(requests, checkpoint=target, **settings)
    started = time.monotonic()
    with state.output.run_progress() as progress:
        task = progress.add_task(source.name, total=count, failed=0, rate="-")
        try:
            for _outcome in outcomes:
                stats = outcomes.stats
                done = stats.done + stats.skipped
                rate = _rate(stats.done, started)
                progress.update(task, completed=done, failed=stats.failed, rate=rate)
        finally:
            outcomes.close()
    stats = outcomes.stats
    state.output.note(
        f"{stats.done} done, {stats.failed} failed, {stats.skipped} skipped (done before) "
        f"in {time.monotonic() - started:.1f}s ({_rate(stats.done, started)}); "
        f"{stats.pushbacks} pushbacks; results in {target}"
    )
    return 1 if stats.failed else 0


_BATCH_SETTINGS = (
    "max_new_tokens",
    "temperature",
    "stop_sequences",
    "return_token_log_probs",
    "presence_penalty",
    "frequency_penalty",
    "top_k",
    "top_p",
    "skip_special_tokens",
)


def _run_as_batch(
    state: State,
    source: Path,
    target: Path,
    *,
    output_data_path: str | None,
    interval: float,
    timeout: float | None,
) -> int:
    requests = list(_lines(source))
    if not requests:
        raise click.UsageError(f"{source} has no requests")
    first = requests[0]
    shared = {key: value for key, value in first.items() if key != "prompt"}
    for number, request in enumerate(requests, start=1):
        rest = {key: value for key, value in request.items() if key != "prompt"}
        if not isinstance(request.get("prompt"), str) or rest != shared:
            raise click.UsageError(
                f"{source}: request {number}: a batch job takes one model and one set of "
                "settings, each line differing only in its prompt"
            )
    unknown = set(shared) - {"model", *_BATCH_SETTINGS}
    if unknown or "model" not in shared:
        raise click.UsageError(f"{source}: a batch job needs model and takes no {sorted(unknown)}")
    path = output_data_path or str(target.resolve().with_suffix(".batch.json"))
    job = state.client.batch_completions.create(
        prompts=[request["prompt"] for request in requests],
        output_data_path=path,
        **shared,
    )
    state.output.note(f"Batch job {job.job_id}: {len(requests)} prompts, outputs to {path}")
    done = wait_for_batch(
        state.client, job.job_id, state.output, interval=interval, timeout=timeout
    )
    if plain(done.status) != "completed":
        state.output.note(f"Batch job {job.job_id} ended {plain(done.status)}")
        return 1
    written = Path(path[len("file://") :] if path.startswith("file://") else path)
    if not written.is_absolute() or not written.is_file():
        state.output.note(f"The job wrote its outputs to {path} (not a file of this machine)")
        return 0
    outputs = json.loads(written.read_text(encoding="utf-8"))
    with target.open("w", encoding="utf-8") as sink:
        for index, (request, result) in enumerate(zip(requests, outputs, strict=False)):
            line: dict[str, Any] = {"index": index, "request": request, "result": result}
            if result is None:
                line = {"index": index, "request": request, "error": {"message": "no output"}}
            sink.write(json.dumps(line, ensure_ascii=False) + "\n")
    state.output.note(f"{len(outputs)} outputs written to {target}")
    return 0 if all(result is not None for result in outputs) else 1


@click.command("run")
@click.argument("source", metavar="INPUT.jsonl", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "target",
    required=True,
    metavar="OUTPUT.jsonl",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where each outcome is written (the run's checkpoint).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=32,
    show_default=True,
    help="The most requests in flight (lowered while the server pushes back).",
)
@click.option(
    "--resume", is_flag=True, help="Continue into an existing OUTPUT: send only what is missing."
)
@click.option(
    "--rpm", type=click.FloatRange(min=0, min_open=True), help="Requests per minute, at most."
)
@click.option(
    "--tpm", type=click.FloatRange(min=0, min_open=True), help="Tokens per minute, at most."
)
@click.option(
    "--server-batch", is_flag=True, help="Send INPUT as one LLM Engine batch job and wait."
)
@click.option(
    "--output-data-path",
    metavar="PATH",
    help="With --server-batch: where the job writes (server storage) [default: next to OUTPUT].",
)
@wait_options
@pass_state
def run(
    state: State,
    source: Path,
    target: Path,
    *,
    concurrency: int,
    resume: bool,
    rpm: float | None,
    tpm: float | None,
    server_batch: bool,
    output_data_path: str | None,
    interval: float,
    wait_timeout: float | None,
) -> None:
    """Send every request of INPUT.jsonl, writing each outcome to OUTPUT.jsonl."""
    if not source.is_file():
        raise click.BadParameter(f"{source} is not a file", param_hint="INPUT.jsonl")
    if target.exists() and target.stat().st_size and not resume:
        raise click.UsageError(
            f"{target} exists: --resume to send only what it does not hold, or remove it"
        )
    count, chat = _scan(source)
    if server_batch:
        if chat:
            raise click.UsageError("--server-batch takes completion requests (prompt), not chat")
        code = _run_as_batch(
            state,
            source,
            target,
            output_data_path=output_data_path,
            interval=interval,
            timeout=wait_timeout,
        )
    else:
        settings: dict[str, Any] = {
            "concurrency": concurrency,
            "max_requests_per_minute": rpm,
            "max_tokens_per_minute": tpm,
            # The file is written as requests finish (each line has its index): no
            # reason to hold quick ones behind a slow one.
            "ordered": False,
        }
        code = _run_here(state, source, target, count=count, chat=chat, settings=settings)
    click.get_current_context().exit(code)
