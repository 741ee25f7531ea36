"""What applying a manifest would change: a structural diff of ``metadata`` and ``spec``.

The manifest says what should be; ``describe`` says what is, with more in it than was ever
written: the server fills ``status``, and fills defaults into ``metadata`` and ``spec``
(``tags: []``, ``annotations: []``, a connection's ``timeout: 30``, every ``config`` key of an
LLM client). So the diff reads the manifest's side only:

- a key the manifest leaves out is not compared (the server's default, whatever it is);
- a key the manifest sets to null, ``[]`` or ``{}`` matches a key the server leaves out;
- keys match exactly, else by their letters alone (``default_model`` is ``defaultModel``:
  the platform camel-cases what it describes, ``.../lib/manifest/broker/abstract_broker_class.py``
  ``to_camel_case``, while some examples are written in snake_case);
- lists are ordered; lists of the same length are compared item by item, with these rules;
- scalars compare as JSON values: ``1 == 1.0``, ``True != 1``.

``get``'s rows are filtered by the same key rules (:func:`matches`): the platform does not.
Every function here is pure: no I/O, no client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

__all__ = ["Change", "diff", "manifest_changes", "matches"]

_MISSING: Any = object()


class Change(NamedTuple):
    """One value the manifest would change: where, how, and the two values."""

    path: str
    op: str  # "add" or "change"
    before: Any
    after: Any


def _letters(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


def _lookup(current: Mapping[str, Any], key: str) -> Any:
    if key in current:
        return current[key]
    wanted = _letters(key)
    for other, value in current.items():
        if _letters(other) == wanted:
            return value
    return _MISSING


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, list | dict) and not value)


def _same_scalar(after: Any, before: Any) -> bool:
    if isinstance(after, bool) or isinstance(before, bool):
        return after is before
    if isinstance(after, int | float) and isinstance(before, int | float):
        return after == before
    return type(after) is type(before) and after == before


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def diff(after: Any, before: Any, path: str = "") -> list[Change]:
    """Every change of *before* (the server's) that *after* (the manifest's) asks for."""
    if isinstance(after, Mapping):
        if not isinstance(before, Mapping):
            return [Change(path, "change", before, after)]
        changes: list[Change] = []
        for key, value in after.items():
            found = _lookup(before, key)
            where = _join(path, key)
            if found is _MISSING:
                if not _empty(value):
                    changes.append(Change(where, "add", None, value))
            else:
                changes.extend(diff(value, found, where))
        return changes
    if isinstance(after, list):
        if not isinstance(before, list) or len(before) != len(after):
            return [] if before is None and after == [] else [Change(path, "change", before, after)]
        changes = []
        for index, (item, other) in enumerate(zip(after, before, strict=True)):
            changes.extend(diff(item, other, _join(path, index)))
        return changes
    if after is None and _empty(before):
        return []
    return [] if _same_scalar(after, before) else [Change(path, "change", before, after)]


def manifest_changes(manifest: Mapping[str, Any], current: Mapping[str, Any]) -> list[Change]:
    """The changes applying *manifest* would make to *current* (a describe): metadata, spec."""
    changes: list[Change] = []
    for part in ("metadata", "spec"):
        wanted = manifest.get(part)
        if wanted is None:
            continue
        changes.extend(diff(wanted, current.get(part), part))
    return changes


def matches(row: Any, filters: Mapping[str, Any]) -> bool:
    """Whether a row of ``get`` has each filter's value, keys matched by their letters.

    A row that is a whole manifest (Secret, Provider, Vectorstore) is also looked up in its
    ``metadata``, so that ``name=`` finds it.
    """
    if not isinstance(row, Mapping):
        return False
    metadata = row.get("metadata")
    for key, wanted in filters.items():
        value = _lookup(row, key)
        if value is _MISSING and isinstance(metadata, Mapping):
            value = _lookup(metadata, key)
        if value is _MISSING or value != wanted:
            return False
    return True
