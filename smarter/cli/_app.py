"""The ``smarter`` group: global options, ``.env``, and how a run ends (exit codes).

Exit codes: 0 success; 1 an API error (one line on stderr: class, status, message, request
id) or a result that is a failure (a fine-tune that ended FAILURE, a run with failed
requests, a wait that timed out); 2 a usage error, or a
:class:`smarter.SmarterError` that is not about a call (no API key); 130 Ctrl-C.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click
from dotenv import load_dotenv

import smarter
from smarter.cli import (
    _batch,
    _commands,
    _demo,
    _files,
    _fine_tunes,
    _manifests,
    _models,
    _run,
)
from smarter.cli._context import State
from smarter.cli._output import Output

__all__ = ["cli", "run"]

_INTERRUPTED = 130


def _load_dotenv() -> None:
    """Read ``./.env`` into the environment; variables already set keep their value."""
    path = Path.cwd() / ".env"
    if path.is_file():
        load_dotenv(path, override=False)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=(
        "The platform's key and URL come from --api-key and --base-url, else SMARTER_API_KEY "
        "and SMARTER_BASE_URL, else the Go CLI's ~/.smarter/config.yaml; an LLM Engine "
        "(completions, files, fine-tunes, models) from "
        "--llm-engine-url, else LLM_ENGINE_BASE_PATH, with SCALE_API_KEY, else the platform's "
        "key: the variables of the llmengine client. The environment may come from a .env "
        "file in the current directory. Try `smarter demo`: it needs none of them."
    ),
)
@click.option("--api-key", metavar="KEY", help="The API key [default: $SMARTER_API_KEY].")
@click.option(
    "--base-url",
    metavar="URL",
    help="The API root [default: $SMARTER_BASE_URL, else https://platform.smarter.sh/api/v1/].",
)
@click.option(
    "--llm-engine-url",
    metavar="URL",
    help="The LLM Engine server's root [default: $LLM_ENGINE_BASE_PATH].",
)
@click.option(
    "--openai-base-url",
    metavar="URL",
    help="An OpenAI-compatible API [default: $SMARTER_OPENAI_BASE_URL, else the LLM Engine's v2/].",
)
@click.option("--json", "json_mode", is_flag=True, help="Print results as JSON (the wire form).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="The timeout of each call [default: 600].",
)
@click.option(
    "--max-retries",
    type=click.IntRange(min=0),
    metavar="N",
    help="Retries of a failed call [default: 2].",
)
@click.version_option(smarter.__version__, "--version", prog_name="smarter")
@click.pass_context
def cli(
    ctx: click.Context,
    *,
    api_key: str | None,
    base_url: str | None,
    llm_engine_url: str | None,
    openai_base_url: str | None,
    json_mode: bool,
    timeout: float | None,
    max_retries: int | None,
) -> None:
    """Talk to Smarter: manifests, chatbots, completions, files, fine-tunes and models."""
    _load_dotenv()
    state = State(
        api_key=api_key,
        base_url=base_url,
        llm_engine_url=llm_engine_url,
        openai_base_url=openai_base_url,
        timeout=timeout,
        max_retries=max_retries,
        output=Output(json_mode=json_mode),
    )
    ctx.obj = state
    ctx.call_on_close(state.close)


for _command in (
    _demo.demo,
    _commands.serve,
    _commands.whoami,
    _commands.chat,
    _commands.complete,
    _files.files,
    _fine_tunes.fine_tunes,
    _models.models,
    *_manifests.COMMANDS,
    _run.run,
    _batch.batch,
):
    cli.add_command(_command)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (never raises, but for bugs)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args, prog_name="smarter", standalone_mode=False)
    except click.exceptions.Abort as abort:
        # click turns Ctrl-C (and an end of input) into Abort, and has already ended the line.
        if isinstance(abort.__cause__, KeyboardInterrupt):
            click.echo("Interrupted.", err=True)
            return _INTERRUPTED
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as usage:
        usage.show()
        return usage.exit_code
    except smarter.SmarterError as exc:
        Output().error(exc)
        return 1 if isinstance(exc, smarter.APIError | smarter.WaitError) else 2
    except KeyboardInterrupt:  # before or after click ran the command
        click.echo("\nInterrupted.", err=True)
        return _INTERRUPTED
    return result if isinstance(result, int) else 0
