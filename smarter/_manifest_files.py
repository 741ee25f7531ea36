"""Manifests in: a dict, YAML or JSON text, a file, or a directory; checked and put in order.

Everything is read and checked before anything is sent, so bad input costs no request: a
document that is not YAML, or a manifest without ``apiVersion``, ``kind``, ``metadata.name``
or ``spec``, or of a kind no platform has, is a :class:`~smarter.ManifestError` naming the
file and line. The checks are those of the platform's loader
(``smarter-sh/smarter@v0.14.19:smarter/smarter/lib/manifest/loader.py`` ``validate_manifest``:
"Missing required key: ..."; ``apiVersion`` must be ``smarter.sh/v1``); the rest is the
server's to judge.

YAML is read with PyYAML's safe loader (its C version when built), the one importer of
``yaml`` in the library, imported on first use: ``import smarter`` does not load it. YAML
timestamps (``expiration_date: 2026-06-05``) become ISO strings, as JSON has no dates.

A directory's manifests are applied in dependency order (what a manifest names by name must
exist first, ``.../apps/*/manifest/brokers/*.py`` ``apply()``): accounts, users and their
tokens; secrets; providers; connections (which name secrets); plugins (which name
connections); vector stores; LLM clients (which name plugins, tokens and providers). Within
a kind, files keep their sorted order and documents their order in the file.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from smarter._exceptions import ManifestError

__all__ = ["API_VERSION", "KNOWN_KINDS", "Document", "canonical_kind", "load", "parse", "rank"]

API_VERSION: Final = "smarter.sh/v1"
#: Every kind of every platform generation, in the order a directory is applied.
_ORDER: Final = (
    "Account",
    "User",
    "SmarterAuthToken",
    "AuthToken",  # v0.13.223's name of SmarterAuthToken
    "Secret",
    "Provider",
    "ApiConnection",
    "SqlConnection",
    "PluginDataApiConnection",  # v0.10.21
    "Plugin",
    "ApiPlugin",
    "SqlPlugin",
    "Vectorstore",
    "LLMClient",
    "Chatbot",  # LLMClient before the June 2026 rename
    "Prompt",
    "Chat",
    "ChatHistory",
    "ChatPluginUsage",
    "ChatToolCall",
)
KNOWN_KINDS: Final = frozenset(_ORDER)
_SUFFIXES: Final = (".yaml", ".yml", ".json")


@dataclasses.dataclass(frozen=True)
class Document:
    """One manifest read from the input, and where it was."""

    manifest: dict[str, Any]
    source: str | None
    """``"path/file.yaml"``, ``"path/file.yaml#2"`` for a second document, ``"<string>"``,
    or None for a dict."""
    line: int | None = None
    """The line where the document starts."""
    lines: Mapping[str, int] = dataclasses.field(default_factory=dict)
    """The line of each top-level key, when read from YAML."""

    @property
    def kind(self) -> str:
        return str(self.manifest["kind"])

    @property
    def name(self) -> str:
        return str(self.manifest["metadata"]["name"])


def canonical_kind(slug: str) -> str | None:
    """The kind a slug names, matched as the platform does (``.../cli/brokers.py``).

    One trailing ``s`` is dropped, then the slug is compared without underscores and case:
    ``llm_clients`` and ``LLMClient`` name ``LLMClient``; ``llm-client`` names none.
    """
    wanted = slug[:-1] if slug.endswith("s") else slug
    wanted = wanted.replace("_", "").lower()
    return next((kind for kind in _ORDER if kind.lower() == wanted), None)


def rank(kind: str) -> int:
    """The place of *kind* in the order of a directory (unknown kinds last)."""
    known = canonical_kind(kind)
    return _ORDER.index(known) if known is not None else len(_ORDER)


# -- reading ------------------------------------------------------------------------------


def _plain(value: Any, source: str, line: int | None) -> Any:
    """*value* as JSON data: dates as ISO strings; what JSON cannot hold is refused."""
    if isinstance(value, dict):
        return {_key(key, source, line): _plain(item, source, line) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item, source, line) for item in value]
    if isinstance(value, datetime.date):  # datetime too
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise ManifestError(f"{value!r} is not a JSON number", source=source, line=line)
    if value is None or isinstance(value, str | int | float):
        return value
    raise ManifestError(
        f"a {type(value).__name__} value ({value!r:.40}) has no JSON form", source=source, line=line
    )


def _key(key: Any, source: str, line: int | None) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or not isinstance(key, int | float | datetime.date):
        raise ManifestError(
            f"a mapping key must be a string, not {key!r:.40}", source=source, line=line
        )
    # YAML reads `1: x` or `2026-01-01: x` as non-string keys; JSON would write them as text.
    return key.isoformat() if isinstance(key, datetime.date) else str(key)


def _yaml_documents(text: str, source: str) -> list[tuple[Any, int, dict[str, int]]]:
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    found = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            lines: dict[str, int] = {}
            if isinstance(node, yaml.MappingNode):
                for key, _value in node.value:
                    if isinstance(key, yaml.ScalarNode):
                        lines[str(key.value)] = key.start_mark.line + 1
            found.append((loader.construct_document(node), node.start_mark.line + 1, lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise ManifestError(
            f"not valid YAML: {problem or exc}",
            source=source,
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
        ) from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"not valid YAML: {exc}", source=source) from None
    finally:
        loader.dispose()
    return found


def _json_document(text: str, source: str) -> list[tuple[Any, int, dict[str, int]]]:
    try:
        return [(json.loads(text), 1, {})]
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        column = getattr(exc, "colno", None)
        message = getattr(exc, "msg", str(exc))
        raise ManifestError(
            f"not valid JSON: {message}", source=source, line=line, column=column
        ) from None


def parse(text: str, source: str = "<string>", *, json_only: bool = False) -> list[Document]:
    """The checked manifests of YAML or JSON text (one or more YAML documents).

    Raises:
        ManifestError: the text is not YAML (or JSON), or a manifest lacks what every
            manifest has; the message names *source* and the line.
    """
    stripped = text.lstrip()
    if json_only or stripped.startswith("{"):
        raw = _json_document(text, source)
    else:
        raw = _yaml_documents(text, source)
    documents = []
    numbered = len(raw) > 1
    for index, (data, line, lines) in enumerate(raw, start=1):
        if data is None:
            continue  # an empty document: a stray `---`
        where = f"{source}#{index}" if numbered else source
        manifest = _plain(data, source, line)
        documents.append(check(manifest, where, line=line, lines=lines, file=source))
    if not documents:
        raise ManifestError("no manifest in it", source=source)
    return documents


def check(
    manifest: Any,
    source: str | None,
    *,
    line: int | None = None,
    lines: Mapping[str, int] | None = None,
    file: str | None = None,
) -> Document:
    """*manifest* as a :class:`Document`, once it has what every manifest has."""
    lines = lines or {}
    where = file or source or "<dict>"

    def fail(problem: str, key: str | None = None) -> ManifestError:
        return ManifestError(problem, source=where, line=lines.get(key or "", line))

    if not isinstance(manifest, Mapping):
        raise fail(f"a manifest is a mapping, not {type(manifest).__name__} {manifest!r:.40}")
    manifest = dict(manifest)
    for key in ("apiVersion", "kind", "metadata", "spec"):
        if key not in manifest:
            raise fail(
                f"the manifest has no {key!r} "
                "(every manifest has apiVersion, kind, metadata and spec)"
            )
    if manifest["apiVersion"] != API_VERSION:
        raise fail(
            f"apiVersion must be {API_VERSION!r}, not {manifest['apiVersion']!r}", "apiVersion"
        )
    kind = manifest["kind"]
    if not isinstance(kind, str) or canonical_kind(kind) is None:
        known = ", ".join(sorted(KNOWN_KINDS))
        raise fail(f"unknown kind {kind!r}; the platforms know {known}", "kind")
    metadata = manifest["metadata"]
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    if not isinstance(name, str) or not name:
        raise fail("metadata.name must be a non-empty string", "metadata")
    return Document(manifest, source, line, lines)


def _read(path: Path) -> list[Document]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"not UTF-8 text ({exc.reason})", source=str(path)) from None
    except OSError as exc:
        raise ManifestError(f"cannot be read ({exc.strerror or exc})", source=str(path)) from None
    return parse(text, str(path), json_only=path.suffix == ".json")


def load(manifest: Any) -> list[Document]:
    """The manifests of any input of ``manifests.apply()``, in the order to apply them.

    *manifest* is a mapping, YAML or JSON text (``str`` or ``bytes``), or a path
    (``os.PathLike``, or a ``str`` naming an existing file or directory). This reads files:
    the async client calls it in a worker thread.

    Raises:
        ManifestError: bad input (see :func:`parse`), a path that does not exist, or a
            directory without manifests.
        TypeError: *manifest* is none of these.
    """
    if isinstance(manifest, Mapping):
        return [check(_plain(dict(manifest), "<dict>", None), None)]
    if isinstance(manifest, bytes):
        try:
            manifest = manifest.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ManifestError(f"not UTF-8 text ({exc.reason})", source="<bytes>") from None
    if isinstance(manifest, str) and ("\n" in manifest or not os.path.exists(manifest)):
        if "\n" not in manifest and not manifest.lstrip().startswith("{") and ":" not in manifest:
            raise ManifestError("no such file or directory", source=manifest)
        return order(parse(manifest))
    if not isinstance(manifest, str | os.PathLike):
        raise TypeError(
            "manifest must be a mapping, YAML or JSON text, or a path, "
            f"not {type(manifest).__name__}"
        )
    path = Path(manifest)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in _SUFFIXES and p.is_file())
        if not files:
            raise ManifestError(
                "no *.yaml, *.yml or *.json file in this directory", source=str(path)
            )
        return order([document for file in files for document in _read(file)])
    if not path.exists():
        raise ManifestError("no such file or directory", source=str(path))
    return order(_read(path))


def order(documents: list[Document]) -> list[Document]:
    """*documents* in dependency order (a stable sort by kind: see the module docstring)."""
    return sorted(documents, key=lambda document: rank(document.kind))
