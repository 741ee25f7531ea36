"""What the command prints: tables, key/value lines, JSON documents, progress, errors.

Results go to standard output, everything else (progress bars, spinners, status changes,
notes, errors) to standard error, so ``smarter --json ... | jq`` always reads one clean
document. rich decides from each stream whether it is a terminal: when it is not, nothing is
coloured and nothing is animated.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import click
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.status import Status
from rich.table import Table
from rich.text import Text

import smarter

__all__ = ["Output", "WireObject", "error_line", "plain"]

#: The width of tables and lines when standard output is a file or a pipe and COLUMNS is
#: unset: wide enough that ids and names are never folded for a ``grep`` or an ``awk``.
_PIPE_WIDTH = 160
#: Longest nested value (a dict or a list, as compact JSON) shown in key/value output.
_NESTED_LIMIT = 72

_STATUS_STYLES = {
    "SUCCESS": "green",
    "READY": "green",
    "RUNNING": "yellow",
    "PENDING": "yellow",
    "FAILURE": "red",
    "UPDATE_FAILED": "red",
    "CANCELLED": "magenta",
    "TIMEOUT": "red",
    "completed": "green",
    "queued": "yellow",
    "running": "yellow",
    "failed": "red",
    "cancelled": "magenta",
}


class WireObject(Protocol):
    """Anything with a wire form: every result object, and ``Chatbot``."""

    def to_dict(self) -> dict[str, Any]: ...


def plain(value: object) -> str:
    """A value as a human reads it: enum members as their wire string, None as ``-``."""
    if value is None:
        return "-"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        if len(text) <= _NESTED_LIMIT:
            return text
        what = f"{len(value)} keys" if isinstance(value, dict) else f"{len(value)} items"
        return f"({what}; --json shows them)"
    return str(value)


def error_line(exc: smarter.SmarterError) -> str:
    """The one line an error prints: ``error: <Class> [<status>]: <message> (request id <id>)``.

    Errors that are not about an API call (no key, a closed client) print only their message.
    """
    if not isinstance(exc, smarter.APIError):
        return f"error: {exc}"
    status = f" [{exc.status_code}]" if isinstance(exc, smarter.APIStatusError) else ""
    request = f" (request id {exc.request_id})" if exc.request_id else ""
    message = " ".join(exc.message.split())  # one line, whatever the server sent
    return f"error: {type(exc).__name__}{status}: {message}{request}"


def _console(*, stderr: bool) -> Console:
    console = Console(stderr=stderr, highlight=False, markup=False, emoji=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = _PIPE_WIDTH
    return console


class Output:
    """The two consoles of one invocation, and the shapes of what it prints.

    Args:
        json_mode: Print the wire form of results (``--json``) instead of tables.
    """

    def __init__(self, *, json_mode: bool = False) -> None:
        self.json_mode = json_mode
        self.out = _console(stderr=False)
        self.err = _console(stderr=True)

    # -- results, on standard output -------------------------------------------------------

    def json(self, document: object, *, indent: int | None = 2) -> None:
        """Print one JSON document (not through rich: no wrapping, no colours)."""
        click.echo(json.dumps(document, indent=indent, ensure_ascii=False))

    def text(self, text: str | Text, *, end: str = "\n") -> None:
        """Print text as it is (never read as markup)."""
        self.out.print(text, end=end, soft_wrap=True)

    def fields(self, rows: Iterable[tuple[str, object]]) -> None:
        """Print ``key  value`` lines, the keys aligned."""
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold cyan", no_wrap=True)
        grid.add_column(overflow="fold")
        for key, value in rows:
            grid.add_row(key, self.styled(value))
        self._block(grid)

    def show(self, obj: WireObject, keys: Sequence[str] | None = None) -> None:
        """Print a result: its wire form with ``--json``, else its fields (*keys*, or all)."""
        if self.json_mode:
            self.json(obj.to_dict())
            return
        wire = obj.to_dict()
        self.fields((key, wire.get(key)) for key in (keys or list(wire)))

    def table(self, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        """Print an aligned table; the first column (an id or a name) is never cut."""
        terminal = self.out.is_terminal
        table = Table(
            box=box.SIMPLE_HEAD if terminal else None,
            header_style="bold" if terminal else "",
            pad_edge=False,
            show_edge=False,
        )
        for index, column in enumerate(columns):
            numeric = column in {"size", "bytes"}
            table.add_column(
                column,
                no_wrap=index == 0,
                overflow="fold",
                justify="right" if numeric else "left",
            )
        count = 0
        for row in rows:
            table.add_row(*(self.styled(value) for value in row))
            count += 1
        if count:
            self._block(table)
        else:
            self.note("(none)")

    def _block(self, renderable: Table) -> None:
        if self.out.is_terminal:
            self.out.print(renderable)
            return
        # Plain columns for grep and awk: no padding after the last one.
        with self.out.capture() as captured:
            self.out.print(renderable)
        click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))

    @staticmethod
    def styled(value: object) -> Text:
        """A cell: statuses coloured by what they mean, None dimmed."""
        text = plain(value)
        if value is None:
            return Text(text, style="dim")
        return Text(text, style=_STATUS_STYLES.get(text, ""))

    # -- everything else, on standard error ------------------------------------------------

    def note(self, text: str | Text) -> None:
        """A line for the human at the terminal, never part of the result."""
        self.err.print(text, style="dim" if isinstance(text, str) else "", soft_wrap=True)

    def error(self, exc: smarter.SmarterError) -> None:
        """Print the one line of an error."""
        self.err.print(error_line(exc), style="bold red", soft_wrap=True)

    @contextlib.contextmanager
    def spinner(self, message: str) -> Iterator[Status | None]:
        """A spinner on a terminal (None elsewhere: nothing animates in a pipe or a file)."""
        if not self.err.is_terminal:
            yield None
            return
        with self.err.status(message) as status:
            yield status

    def run_progress(self) -> Progress:
        """A progress bar of a run of requests: done of all, failed, rate, time left."""
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=self.err,
            disable=not self.err.is_terminal,
        )

    def transfer(self) -> Progress:
        """A progress bar of bytes and rate, on standard error; silent if not a terminal."""
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.err,
            disable=not self.err.is_terminal,
        )
