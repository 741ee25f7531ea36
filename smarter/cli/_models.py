"""``smarter models list|get|delete|download``: the model endpoints."""

from __future__ import annotations

import click

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

__all__ = ["models"]

#: What ``models get`` shows without --json (the rest, ``spec`` above all, is long).
_SUMMARY = (
    "name",
    "id",
    "status",
    "model_name",
    "source",
    "inference_framework",
    "inference_framework_image_tag",
    "num_shards",
    "quantize",
)


@click.group()
def models() -> None:
    """List, show, delete and download models (LLM endpoints)."""


@models.command("list")
@click.option("--name", help="Only the endpoints of this name.")
@list_options
@json_option
@pass_state
def list_command(state: State, name: str | None, limit: int, all_pages: bool) -> None:
    """List the models: name, status, framework, tag."""
    print_list(
        state,
        state.client.models.list(limit=limit, name=name),
        all_pages=all_pages,
        columns=("name", "status", "framework", "tag"),
        row=lambda model: (
            model.name,
            model.status,
            model.inference_framework,
            model.inference_framework_tag,
        ),
    )


@models.command("get")
@click.argument("name")
@json_option
@pass_state
def get_command(state: State, name: str) -> None:
    """Show a model (--json for every field)."""
    model = state.client.models.get(name)
    wire = model.to_dict()
    state.output.show(model, [key for key in _SUMMARY if key in wire] or None)


@models.command("delete")
@click.argument("name")
@yes_option
@json_option
@pass_state
def delete_command(state: State, name: str, yes: bool) -> None:
    """Delete a model endpoint (asks first on a terminal; --yes does not)."""
    confirm(f"delete model endpoint {name}", yes=yes)
    result = state.client.models.delete(name)
    report_deleted(state, result, name)


@models.command("download")
@click.argument("name")
@click.option(
    "--format",
    "download_format",
    default="hugging_face",
    show_default=True,
    help="The format of the weights.",
)
@json_option
@pass_state
def download_command(state: State, name: str, download_format: str) -> None:
    """Print the download links of a (fine-tuned) model's files."""
    result = state.client.models.download(name, download_format=download_format)
    if state.output.json_mode:
        state.output.json(result.to_dict())
        return
    state.output.table(("file", "url"), sorted(result.urls.items()))
