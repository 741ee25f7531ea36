"""The platform's manifest commands: apply, plan, validate, get, describe, delete, ...

``smarter apply -f PATH`` takes a file, a directory (applied in dependency order) or ``-``
for standard input; ``--dry-run`` and ``smarter plan`` print what would change, as a
terraform plan does (``+ create``, ``~ update`` with the changed paths, ``= unchanged``).
``describe`` and ``example`` print YAML (``--json``: the wire form). ``delete`` asks on a
terminal, and refuses without ``--yes`` when standard input is not one.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import yaml
from rich.text import Text

import smarter
from smarter.cli._context import State, confirm, json_option, pass_state, yes_option
from smarter.cli._output import plain

__all__ = ["COMMANDS"]

_FILE = click.option(
    "-f",
    "--filename",
    "path",
    required=True,
    metavar="PATH",
    help="A manifest file (YAML or JSON), a directory of them, or - for standard input.",
)
_SYMBOLS = {"create": ("+", "green"), "update": ("~", "yellow"), "unchanged": ("=", "dim")}


def _source(path: str) -> str:
    """What the client reads: the text of standard input, or the path."""
    if path == "-":
        return sys.stdin.read()
    return path


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def print_plan(state: State, plan: smarter.types.Plan) -> None:
    """The plan, terraform-like (or its wire form with ``--json``)."""
    output = state.output
    if output.json_mode:
        output.json(plan.to_dict())
        return
    for change in plan:
        action = str(change.action)
        symbol, style = _SYMBOLS.get(action, ("?", ""))
        where = f"  ({change.source})" if change.source else ""
        line = Text.assemble((f"{symbol} {action:<9}", style), f" {change.kind} {change.name}")
        output.text(Text.assemble(line, (where, "dim")))
        for difference in change.differences:
            if difference.op == "add":
                detail = f"+ {_short(difference.after)}"
            else:
                detail = f"{_short(difference.before)} -> {_short(difference.after)}"
            output.text(f"      {difference.path}: {detail}")
    output.text("")
    output.text(f"Plan: {plan.summary()}.")


@click.command()
@_FILE
@click.option("--dry-run", is_flag=True, help="Print the plan instead; change nothing.")
@json_option
@pass_state
def apply(state: State, path: str, dry_run: bool) -> None:
    """Create or update what manifests describe (a directory in dependency order)."""
    manifests = state.client.manifests
    if dry_run:
        print_plan(state, manifests.plan(_source(path)))
        return
    output = state.output
    try:
        results = manifests.apply(_source(path))
    except smarter.ManifestApplyError as partial:
        _print_applied(state, partial.applied)
        output.error(partial.error)
        output.note(f"Not applied: {', '.join(f'{m.kind} {m.name}' for m in partial.remaining)}")
        click.get_current_context().exit(1)
    _print_applied(state, results)


def _print_applied(state: State, results: list[smarter.types.ApplyResult]) -> None:
    output = state.output
    if output.json_mode:
        output.json([result.to_dict() for result in results])
        return
    for result in results:
        where = f"  ({result.source})" if result.source else ""
        output.text(f"applied {result.kind} {result.name}: {result.message}{where}")


@click.command()
@_FILE
@json_option
@pass_state
def plan(state: State, path: str) -> None:
    """Show what apply would create, update or leave unchanged."""
    print_plan(state, state.client.manifests.plan(_source(path)))


@click.command()
@_FILE
@json_option
@pass_state
def validate(state: State, path: str) -> None:
    """Check manifests against their kinds' JSON schemas (exit 1 when one does not fit)."""
    result = state.client.manifests.validate(_source(path))
    output = state.output
    if output.json_mode:
        output.json(result.to_dict())
    elif result.valid:
        output.text("valid")
    else:
        for issue in result.errors:
            where = f" ({issue.source})" if issue.source else ""
            output.text(f"{issue.kind} {issue.name}{where}: {issue.path or '.'}: {issue.message}")
    if not result.valid:
        click.get_current_context().exit(1)


@click.command("get")
@click.argument("kind")
@click.argument("name", required=False)
@json_option
@pass_state
def get_command(state: State, kind: str, name: str | None) -> None:
    """List the objects of KIND (those named NAME only)."""
    listed = state.client.manifests.get(kind, name=name)
    output = state.output
    if output.json_mode:
        output.json(listed.to_dict())
        return
    rows = listed.rows()
    columns = list(rows[0]) if rows else (listed.columns or ["name"])
    output.table(columns, ([row.get(column) for column in columns] for row in rows))


def _yaml(state: State, wire: dict[str, Any]) -> None:
    if state.output.json_mode:
        state.output.json(wire)
        return
    click.echo(yaml.safe_dump(wire, sort_keys=False, allow_unicode=True).rstrip("\n"))


@click.command()
@click.argument("kind")
@click.argument("name")
@json_option
@pass_state
def describe(state: State, kind: str, name: str) -> None:
    """Print the manifest of KIND NAME, with its status (YAML; --json for JSON)."""
    _yaml(state, state.client.manifests.describe(kind, name).to_dict())


@click.command()
@click.argument("kind")
@json_option
@pass_state
def example(state: State, kind: str) -> None:
    """Print an example manifest of KIND (YAML; --json for JSON)."""
    _yaml(state, state.client.manifests.example(kind).to_dict())


@click.command()
@click.argument("kind")
@json_option
@pass_state
def schema(state: State, kind: str) -> None:
    """Print the JSON schema of KIND's manifests."""
    state.output.json(state.client.manifests.schema(kind))


def _report(state: State, result: smarter.types.CommandResult) -> None:
    if state.output.json_mode:
        state.output.json(result.to_dict())
    else:
        state.output.text(result.message or "done")


@click.command()
@click.argument("kind")
@click.argument("name")
@yes_option
@json_option
@pass_state
def delete(state: State, kind: str, name: str, yes: bool) -> None:
    """Delete KIND NAME (asks first on a terminal; --yes does not)."""
    confirm(f"delete {kind} {name}", yes=yes)
    _report(state, state.client.manifests.delete(kind, name))


@click.command()
@click.argument("kind")
@click.argument("name")
@json_option
@pass_state
def deploy(state: State, kind: str, name: str) -> None:
    """Deploy KIND NAME."""
    _report(state, state.client.manifests.deploy(kind, name))


@click.command()
@click.argument("kind")
@click.argument("name")
@json_option
@pass_state
def undeploy(state: State, kind: str, name: str) -> None:
    """Undeploy KIND NAME."""
    _report(state, state.client.manifests.undeploy(kind, name))


@click.command()
@click.argument("kind")
@click.argument("name")
@json_option
@pass_state
def logs(state: State, kind: str, name: str) -> None:
    """Print the logs of KIND NAME."""
    result = state.client.manifests.logs(kind, name)
    if state.output.json_mode:
        state.output.json(result.to_dict())
        return
    for line in result.lines:
        state.output.text(line)
    if not result.lines:
        state.output.note(f"(no log lines: {result.message})")


@click.command()
@json_option
@pass_state
def version(state: State) -> None:
    """Show the platform's version."""
    found = state.client.version()
    if state.output.json_mode:
        state.output.json(found.to_dict())
        return
    packages = ", ".join(f"{k} {plain(v)}" for k, v in (found.api.get("python") or {}).items())
    state.output.fields(
        [
            ("platform", found.version),
            ("cli", found.cli_version),
            ("packages", packages or None),
            ("client", f"smarter-api {smarter.__version__}"),
        ]
    )


@click.command()
@json_option
@pass_state
def status(state: State) -> None:
    """Show the platform's infrastructure and compute."""
    found = state.client.status()
    if state.output.json_mode:
        state.output.json(found.to_dict())
        return
    rows = [(name, value) for name, value in found.infrastructures.items()]
    state.output.fields([*rows, ("compute", found.compute)])


COMMANDS = (
    apply,
    plan,
    validate,
    get_command,
    describe,
    delete,
    deploy,
    undeploy,
    logs,
    example,
    schema,
    version,
    status,
)
