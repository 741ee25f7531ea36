"""What every command shares: the global options, the client made from them, the output.

The client is made on first use, so ``smarter demo`` and ``smarter serve`` run without a
key, and closed when the command ends (also after an error or Ctrl-C).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import click

import smarter
from smarter.cli._output import Output, WireObject
from smarter.types import DeleteFileResponse, DeleteLLMEndpointResponse

__all__ = [
    "State",
    "go_cli_config",
    "json_option",
    "list_options",
    "pass_state",
    "print_list",
    "report_deleted",
]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class State:
    """The settings of one invocation and the client made from them.

    Args:
        api_key: ``--api-key``, else None (the client reads ``SMARTER_API_KEY``).
        base_url: ``--base-url``, else None (``SMARTER_BASE_URL``, else the platform).
        llm_engine_url: ``--llm-engine-url``, else None (``LLM_ENGINE_BASE_PATH``).
        openai_base_url: ``--openai-base-url``, else None (``SMARTER_OPENAI_BASE_URL``).
        timeout: ``--timeout`` in seconds, else None (the client's default).
        max_retries: ``--max-retries``, else None (the client's default).
        output: Where and how results are printed.
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float | None,
        max_retries: int | None,
        output: Output,
        llm_engine_url: str | None = None,
        openai_base_url: str | None = None,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url
        self.llm_engine_url = llm_engine_url
        self.openai_base_url = openai_base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.output = output
        self._client: smarter.Client | None = None

    @property
    def client(self) -> smarter.Client:
        """The client, made on first use.

        Without ``--api-key`` or ``SMARTER_API_KEY``, the key (and, without a base URL, the
        environment's URL) comes from the Go CLI's ``~/.smarter/config.yaml``.

        Raises:
            smarter.SmarterError: A base URL is not one.
        """
        if self._client is None:
            api_key, base_url = self.api_key, self.base_url
            if not api_key and not os.environ.get("SMARTER_API_KEY"):
                found = go_cli_config()
                if found is not None:
                    api_key = found[0]
                    if not base_url and not os.environ.get("SMARTER_BASE_URL"):
                        base_url = found[1]
            options: dict[str, Any] = {
                "api_key": api_key,
                "base_url": base_url,
                "llm_engine_url": self.llm_engine_url,
                "openai_base_url": self.openai_base_url,
            }
            if self.timeout is not None:
                options["timeout"] = self.timeout
            if self.max_retries is not None:
                options["max_retries"] = self.max_retries
            try:
                self._client = smarter.Client(**options)
            except (TypeError, ValueError) as exc:
                raise click.UsageError(_with_source(str(exc), options)) from None
        return self._client

    def close(self) -> None:
        """Close the client, if one was made."""
        if self._client is not None:
            self._client.close()


#: The option and the environment variable of each client setting the command line sets.
_SOURCES = {
    "base_url": ("--base-url", "SMARTER_BASE_URL"),
    "llm_engine_url": ("--llm-engine-url", "LLM_ENGINE_BASE_PATH"),
    "openai_base_url": ("--openai-base-url", "SMARTER_OPENAI_BASE_URL"),
    "api_key": ("--api-key", "SMARTER_API_KEY"),
}


def _with_source(message: str, options: dict[str, Any]) -> str:
    """*message* (about a client setting) with where that setting came from."""
    for name, (option, variable) in _SOURCES.items():
        if message.startswith(f"{name} "):
            source = option if options.get(name) is not None else variable
            return f"{message} (from {source})"
    return message


#: The Go CLI's environments and their platforms (smarter-sh/smarter-cli@63a0036:cmd/api.go
#: getAPIHost).
_GO_HOSTS = {
    "local": "http://localhost:9357/api/v1/",
    "alpha": "https://alpha.platform.smarter.sh/api/v1/",
    "beta": "https://beta.platform.smarter.sh/api/v1/",
    "next": "https://next.platform.smarter.sh/api/v1/",
    "prod": "https://platform.smarter.sh/api/v1/",
}


def go_cli_config(path: Path | None = None) -> tuple[str, str] | None:
    """The API key and base URL of the Go CLI's configuration, or None when it has no key.

    The Go CLI (smarter-sh/smarter-cli@63a0036:cmd/root.go ``initConfig``) keeps a key per
    environment: ``<environment>.api_key``, the environment being ``config.environment``
    (default ``prod``). ``smarter configure`` writes ``config.api_key`` instead
    (cmd/configure.go), and ``fetchAPIKey`` also reads a top-level ``api_key``: both are
    read, in that order, after the environment's.
    """
    import yaml

    path = path or Path.home() / ".smarter" / "config.yaml"
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(data, dict):
        return None
    config = data.get("config")
    config = config if isinstance(config, dict) else {}
    environment = str(config.get("environment") or "prod")
    section = data.get(environment)
    section = section if isinstance(section, dict) else {}
    for key in (section.get("api_key"), config.get("api_key"), data.get("api_key")):
        if isinstance(key, str) and key.strip():
            return key.strip(), _GO_HOSTS.get(environment, _GO_HOSTS["prod"])
    return None


def pass_state(
    command: Callable[Concatenate[State, P], R],
) -> Callable[P, R]:
    """Give a command the :class:`State` of the invocation as its first argument."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        state = click.get_current_context().find_object(State)
        assert state is not None, "the smarter group makes the State"
        return command(state, *args, **kwargs)

    return wrapper


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    state = ctx.find_object(State)
    if value and state is not None:
        state.output.json_mode = True


#: ``--json`` after the command too: ``smarter files list --json``.
json_option = click.option(
    "--json",
    "json_",
    is_flag=True,
    expose_value=False,
    callback=_set_json,
    help="Print the wire form as JSON (the same as the global --json).",
)


#: ``--yes`` on a command that deletes: no question asked.
yes_option = click.option(
    "--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed without a terminal)."
)


def confirm(action: str, *, yes: bool) -> None:
    """Ask before *action* ("delete file file-123") on a terminal; without one, want --yes.

    Raises:
        click.UsageError: not on a terminal and no ``--yes``.
        click.Abort: the answer was no.
    """
    if yes:
        return
    if not sys.stdin.isatty():
        raise click.UsageError(f"refusing to {action} without a terminal to ask: pass --yes")
    click.confirm(f"{action[0].upper()}{action[1:]}?", abort=True, err=True)


def list_options(command: Callable[..., T]) -> Callable[..., T]:
    """Add ``--limit`` and ``--all`` to a list command."""
    command = click.option(
        "--all", "all_pages", is_flag=True, help="Every page, not only the first."
    )(command)
    return click.option(
        "--limit",
        type=click.IntRange(min=1),
        default=20,
        show_default=True,
        help="Items per page.",
    )(command)


def print_list(
    state: State,
    page: smarter.SyncPage[T],
    *,
    all_pages: bool,
    columns: Sequence[str],
    row: Callable[[T], Sequence[object]],
) -> None:
    """Print a list: the first page, or every page with ``--all``.

    With ``--json`` it prints the list body of the first page (``{"files": [...],
    "next_cursor": ...}``), or with ``--all`` a JSON array of the body of every page.
    """
    output = state.output
    pages = list(page.iter_pages()) if all_pages else [page]
    if output.json_mode:
        bodies = [_wire(each.response) for each in pages]
        output.json(bodies if all_pages else bodies[0])
        return
    output.table(columns, (row(item) for each in pages for item in each.data))
    if not all_pages and page.has_next_page():
        output.note("More on the next pages: add --all to list every item.")


def _wire(body: WireObject) -> dict[str, Any]:
    return body.to_dict()


def report_deleted(
    state: State, result: DeleteFileResponse | DeleteLLMEndpointResponse, what: str
) -> None:
    """Print the answer to a delete; exit 1 when the server says it deleted nothing."""
    if state.output.json_mode:
        state.output.json(result.to_dict())
    elif result.deleted:
        state.output.text(f"Deleted {what}.")
    if not result.deleted:
        state.output.note(f"The server did not delete {what}.")
        click.get_current_context().exit(1)
