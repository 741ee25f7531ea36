"""``smarter files upload|list|get|content|delete``, and the upload progress bar."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

import smarter
from smarter.cli._context import (
    State,
    confirm,
    json_option,
    list_options,
    pass_state,
    print_list,
    report_deleted,
    yes_option,
)
from smarter.cli._output import Output

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from rich.progress import Progress, TaskID

    from smarter.types import UploadFileResponse

__all__ = ["ProgressReader", "files", "upload"]

#: What the client asks of the file at a time; a buffer this size passes reads straight on.
_BUFFER = 64 * 1024


class ProgressReader(io.RawIOBase):
    """A binary file whose reads advance a progress bar.

    The client streams an upload from a worker thread of its event loop, so this is called
    off the main thread: ``Progress.advance`` and ``Progress.update`` take the bar's own
    lock, which makes them safe from any thread. A retried upload seeks back to the start,
    and the bar goes back with it.

    Args:
        file: The open file, in binary mode.
        progress: The bar's owner.
        task: The bar.
    """

    def __init__(self, file: BinaryIO, progress: Progress, task: TaskID) -> None:
        super().__init__()
        self._file = file
        self._progress = progress
        self._task = task

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._file.seekable()

    def fileno(self) -> int:
        return self._file.fileno()

    def tell(self) -> int:
        return self._file.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        position = self._file.seek(offset, whence)
        self._progress.update(self._task, completed=position)
        return position

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        data = self._file.read(len(memoryview(buffer)))
        memoryview(buffer).cast("B")[: len(data)] = data
        self._progress.advance(self._task, len(data))
        return len(data)


def upload(
    client: smarter.Client, path: Path, output: Output, *, purpose: str = "fine-tune"
) -> UploadFileResponse:
    """Upload *path* with a progress bar of bytes and rate (on a terminal)."""
    with output.transfer() as progress, path.open("rb") as file:
        task = progress.add_task(f"Uploading {path.name}", total=os.path.getsize(path))
        with io.BufferedReader(ProgressReader(file, progress, task), _BUFFER) as reader:
            return client.files.create(file=(path.name, reader), purpose=purpose)


@click.group()
def files() -> None:
    """Upload, list, read and delete files (training data for fine-tunes)."""


@files.command("upload")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--purpose", default="fine-tune", show_default=True, help="What the file is for.")
@json_option
@pass_state
def upload_command(state: State, path: Path, purpose: str) -> None:
    """Upload the file at PATH, showing a progress bar."""
    result = upload(state.client, path, state.output, purpose=purpose)
    if state.output.json_mode:
        state.output.json(result.to_dict())
    else:
        state.output.fields(
            [("id", result.id), ("filename", path.name), ("bytes", os.path.getsize(path))]
        )


@files.command("list")
@list_options
@json_option
@pass_state
def list_command(state: State, limit: int, all_pages: bool) -> None:
    """List the files: id, filename, size."""
    print_list(
        state,
        state.client.files.list(limit=limit),
        all_pages=all_pages,
        columns=("id", "filename", "size"),
        row=lambda file: (file.id, file.filename, file.size),
    )


@files.command("get")
@click.argument("file_id")
@json_option
@pass_state
def get_command(state: State, file_id: str) -> None:
    """Show a file's id, name and size."""
    state.output.show(state.client.files.get(file_id))


@files.command("content")
@click.argument("file_id")
@json_option
@pass_state
def content_command(state: State, file_id: str) -> None:
    """Print a file's content."""
    result = state.client.files.content(file_id)
    if state.output.json_mode:
        state.output.json(result.to_dict())
    else:
        click.echo(result.content, nl=not result.content.endswith("\n"))


@files.command("delete")
@click.argument("file_id")
@yes_option
@json_option
@pass_state
def delete_command(state: State, file_id: str, yes: bool) -> None:
    """Delete a file (asks first on a terminal; --yes does not)."""
    confirm(f"delete file {file_id}", yes=yes)
    result = state.client.files.delete(file_id)
    report_deleted(state, result, file_id)
