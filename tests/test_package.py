"""The shape of the package: public names, import cycles, and who may import what."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import smarter

PACKAGE = Path(smarter.__file__).parent
MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages([str(PACKAGE)], prefix="smarter.")
    if not name.startswith("smarter.cli") or name == "smarter.cli"
)


def _imports(path: Path, *, type_checking: bool = True) -> set[str]:
    """Every module a file imports: at the top, in functions, and under TYPE_CHECKING.

    ``from smarter import _twins`` counts as an import of ``smarter._twins``.
    """
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if (
            not type_checking
            and isinstance(node, ast.If)
            and ast.unparse(node.test) == "TYPE_CHECKING"
        ):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            for alias in node.names:
                if (
                    (PACKAGE.parent / (node.module + "." + alias.name).replace(".", "/"))
                    .with_suffix(".py")
                    .exists()
                ):
                    found.add(f"{node.module}.{alias.name}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _library_files() -> list[Path]:
    """The client's own modules: not the reference server, not the command line."""
    return [
        path
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in ("testing", "cli")
    ]


class TestPublicSurface:
    def test_all_is_sorted_and_resolves(self) -> None:
        """smarter.__all__ is sorted, and every name in it exists."""
        assert smarter.__all__ == sorted(smarter.__all__)
        assert all(hasattr(smarter, name) for name in smarter.__all__)

    def test_public_classes_name_the_public_module(self) -> None:
        """Reprs and tracebacks say smarter.X, not the private module."""
        private = [
            name
            for name in smarter.__all__
            if isinstance(getattr(smarter, name), type)
            and getattr(smarter, name).__module__ != "smarter"
        ]
        assert private == []

    def test_version(self) -> None:
        """__version__ is the distribution's version."""
        from importlib.metadata import version

        assert smarter.__version__ == version("smarter-api")


@pytest.mark.slow  # a fresh interpreter per module
class TestImports:
    @pytest.mark.parametrize("module", MODULES)
    def test_each_module_imports_alone(self, module: str) -> None:
        """Every module imports in a fresh interpreter: no import cycles."""
        done = subprocess.run(
            [sys.executable, "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert (done.returncode, done.stderr) == (0, "")

    def test_import_smarter_stays_light(self) -> None:
        """`import smarter` loads no CLI, reference server, or result types."""
        heavy = [
            "click",
            "rich",
            "dotenv",
            "aiohttp.web",
            "smarter.testing._server",
            "smarter.resources.files",
            "smarter.types.chat",
            "yaml",
            "smarter.resources.manifests",
        ]
        code = f"import sys, smarter; print([m for m in {heavy!r} if m in sys.modules])"
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        assert done.stdout.strip() == "[]"

    @pytest.mark.parametrize(
        ("foreign", "owner"),
        [
            ("aiohttp", "_transport.py"),
            ("tenacity", "_retry.py"),
            ("cattrs", "_converter.py"),
            ("threading", "_portal.py"),
            ("yaml", "_manifest_files.py"),
        ],
    )
    def test_one_module_per_foreign_library(self, foreign: str, owner: str) -> None:
        """Only _transport imports aiohttp, _retry tenacity, _converter cattrs, _portal threads."""
        importers = sorted(
            str(path.relative_to(PACKAGE))
            for path in _library_files()
            # Annotations may name a foreign type; only code that runs counts as a user.
            if any(
                name == foreign or name.startswith(foreign + ".")
                for name in _imports(path, type_checking=False)
            )
        )
        assert importers == [owner]


# -- the module map ----------------------------------------------------------------------------
#
# Which of the package's own modules each library module may import (at the top, in a
# function, or under TYPE_CHECKING: all count). The arrows point one way: the public surface
# and the blocking facade on top, then the client, the pipeline and its mechanisms, then plain
# values at the bottom. A new import of a module not listed here fails: change the table only
# with a reason. Resources never reach the blocking side; streams never the transport.

_VALUES = {"smarter._config", "smarter._exceptions", "smarter._request", "smarter._response"}
_RESOURCE = {
    "smarter._accumulate",
    "smarter._converter",
    "smarter._fastpath",
    "smarter._stream_kind",
    "smarter._exceptions",
    "smarter._files",
    "smarter._pagination",
    "smarter._request",
    "smarter._response",
    "smarter._sse",
    "smarter._streaming",
    "smarter.resources._base",
}
MODULE_MAP: dict[str, set[str]] = {
    "smarter": {
        "smarter._blocking",
        "smarter._client",
        "smarter._lifetime",
        "smarter._pagination",
        "smarter._pipeline",
        "smarter._runner",
        "smarter._raw",
        "smarter._streaming",
        "smarter._sync",
        "smarter._version",
        # AsyncChatbot and Chatbot, imported on first use
        "smarter.resources.chatbots",
        "smarter._twins",
    }
    | _VALUES,
    "smarter.__main__": {"smarter.cli"},
    "smarter._version": set(),
    "smarter._config": set(),
    "smarter._request": {"smarter._config", "smarter._fastpath", "smarter._files"},
    "smarter._response": {"smarter._fastpath", "smarter._request"},
    "smarter._exceptions": {"smarter._request", "smarter._response"},
    "smarter._status": _VALUES | {"smarter._fastpath"},
    "smarter._fastpath": set(),
    "smarter._lifetime": set(),
    "smarter._wire": set(),
    "smarter._files": set(),
    "smarter._sse": {"smarter._fastpath"},
    # Manifests: loading (the one importer of yaml), diffs and local schema checks.
    "smarter._manifest_files": {"smarter._exceptions"},
    "smarter._manifest_diff": set(),
    "smarter._json_schema": set(),
    "smarter._logging": {"smarter._exceptions", "smarter._request"},
    "smarter._settings": _VALUES,
    "smarter._retry": {"smarter._exceptions", "smarter._logging"},
    "smarter._pagination": {"smarter._exceptions"},
    # Many requests in one run: the run (written once, async), its engine, its pace, its
    # checkpoint; waiting for what the server does in its own time.
    "smarter._checkpoint": {"smarter._exceptions"},
    "smarter._pacing": {"smarter._exceptions", "smarter._retry"},
    "smarter._engine": {
        "smarter._checkpoint",
        "smarter._exceptions",
        "smarter._pacing",
        "smarter._retry",
    },
    "smarter._runner": {
        "smarter._checkpoint",
        "smarter._engine",
        "smarter._pacing",
        "smarter._request",
    },
    "smarter._polling": {"smarter._exceptions"},
    "smarter._portal": {"smarter._exceptions"},
    "smarter._bodies": _VALUES | {"smarter._lifetime"},
    "smarter._redirects": _VALUES | {"smarter._bodies"},
    "smarter._transport": _VALUES
    | {"smarter._bodies", "smarter._files", "smarter._lifetime", "smarter._redirects"},
    "smarter._stream_kind": {"smarter._exceptions", "smarter._fastpath", "smarter._response"},
    "smarter._resume": _VALUES | {"smarter._sse"},
    # Folding a stream (final(), text()): beside the stream, which it reads.
    "smarter._accumulate": {
        "smarter._exceptions",
        "smarter._response",
        "smarter._stream_kind",
        "smarter._streaming",
    },
    # JSON schemas of the caller's types (parse()): plain values, attrs and typing only.
    "smarter._schema": set(),
    # with_raw_response: the pipeline records into it; resources and twins call through it.
    "smarter._raw": {"smarter._pagination", "smarter._response", "smarter._streaming"},
    "smarter._streaming": _VALUES
    | {
        "smarter._accumulate",
        "smarter._fastpath",
        "smarter._lifetime",
        "smarter._resume",
        "smarter._sse",
        "smarter._status",
        "smarter._stream_kind",
    },
    "smarter._converter": {
        "smarter._exceptions",
        "smarter._fastpath",
        "smarter._response",
        "smarter._wire",
        "smarter.types._base",
    },
    "smarter._pipeline": _VALUES
    | {
        "smarter._converter",
        "smarter._fastpath",
        "smarter._lifetime",
        "smarter._stream_kind",
        "smarter._files",
        "smarter._logging",
        "smarter._pagination",
        "smarter._raw",
        "smarter._retry",
        "smarter._settings",
        "smarter._status",
        "smarter._streaming",
        "smarter._transport",
        "smarter._version",
    },
    # client.request(): built and attempted by the pipeline; cast_to checked before sending.
    "smarter._any_route": {"smarter._converter", "smarter._pipeline", "smarter._request"},
    "smarter._client": _VALUES
    | {
        "smarter._any_route",
        "smarter._lifetime",
        "smarter._logging",
        "smarter._pipeline",
        "smarter._settings",
        "smarter._transport",
        "smarter.resources.batch_completions",
        "smarter.resources.chat",
        "smarter.resources.chatbots",
        "smarter.resources.completions",
        "smarter.resources.files",
        "smarter.resources.fine_tuning",
        "smarter.resources.manifests",
        "smarter.resources.models",
        "smarter.resources.responses",
        "smarter.types.whoami",
    },
    "smarter._blocking": _VALUES
    | {
        "smarter._accumulate",
        "smarter._engine",
        "smarter._pagination",
        "smarter._portal",
        "smarter._raw",
        "smarter._runner",
        "smarter._stream_kind",
        "smarter._streaming",
    },
    "smarter._twins": {
        "smarter._blocking",
        "smarter._portal",
        "smarter._request",
        "smarter.resources.batch_completions",
        "smarter.resources.chat",
        "smarter.resources.chatbots",
        "smarter.resources.completions",
        "smarter.resources.files",
        "smarter.resources.fine_tuning",
        "smarter.resources.manifests",
        "smarter.resources.models",
        "smarter.resources.responses",
        "smarter.types.chat",
        "smarter.types.chat_params",
        "smarter.types.response_events",
        "smarter.types.responses",
    },
    "smarter._sync": _VALUES
    | {
        "smarter",
        "smarter._blocking",
        "smarter._client",
        "smarter._lifetime",
        "smarter._pipeline",
        "smarter._portal",
        "smarter._transport",
        "smarter._twins",
    },
    "smarter.resources": set(),
    "smarter.resources._base": {
        "smarter._client",
        "smarter._fastpath",
        "smarter._raw",
        "smarter._files",
        "smarter._pagination",
        "smarter._request",
        "smarter._stream_kind",
        "smarter._streaming",
    },
    "smarter.resources._chat_body": {"smarter.resources._base"},
    "smarter.resources._chat_stream": _RESOURCE | {"smarter.types.chat"},
    "smarter.resources._parse": _RESOURCE | {"smarter._schema", "smarter.types.chat"},
    "smarter.resources.batch_completions": _RESOURCE
    | {"smarter._polling", "smarter.types.batch_completions"},
    "smarter.resources.chat": _RESOURCE
    | {
        "smarter._runner",
        "smarter.resources._chat_body",
        "smarter.resources._chat_stream",
        "smarter.resources._parse",
        "smarter.resources.responses",
        "smarter.types.chat",
        "smarter.types.chat_params",
    },
    "smarter.resources.chatbots": _RESOURCE
    | {"smarter._raw", "smarter._runner", "smarter.types.chatbots"},
    "smarter.resources.completions": _RESOURCE | {"smarter._runner", "smarter.types.completions"},
    "smarter.resources.files": _RESOURCE | {"smarter.types.files"},
    "smarter.resources.fine_tuning": _RESOURCE | {"smarter._polling", "smarter.types.fine_tuning"},
    "smarter.resources.manifests": _RESOURCE
    | {
        "smarter._json_schema",
        "smarter._manifest_diff",
        "smarter._manifest_files",
        "smarter.types.manifests",
    },
    "smarter.resources.models": _RESOURCE | {"smarter._polling", "smarter.types.models"},
    "smarter.resources.responses": _RESOURCE
    | {
        "smarter.types",
        "smarter.types.chat_params",
        "smarter.types.response_events",
        "smarter.types.responses",
    },
    "smarter.types": {
        "smarter.types._base",
        "smarter.types.batch_completions",
        "smarter.types.chat",
        "smarter.types.chat_params",
        "smarter.types.chatbots",
        "smarter.types.completions",
        "smarter.types.files",
        "smarter.types.fine_tuning",
        "smarter.types.manifests",
        "smarter.types.models",
        "smarter.types.response_events",
        "smarter.types.responses",
        "smarter.types.whoami",
    },
    # The one cycle: a result built in Python reaches the converter (imported then, since
    # cattrs is a tenth of `import smarter`) for to_dict() and unpickling.
    "smarter.types._base": {"smarter._converter", "smarter._wire"},
    "smarter.types.batch_completions": {"smarter.types._base"},
    "smarter.types.chat": {"smarter.types._base", "smarter.types.chat_params"},  # types only
    "smarter.types.chat_params": {"smarter.types._base"},
    "smarter.types.response_events": {"smarter.types._base", "smarter.types.responses"},
    "smarter.types.chatbots": {"smarter._exceptions", "smarter.types._base"},
    "smarter.types.completions": {"smarter.types._base"},
    "smarter.types.files": {"smarter.types._base"},
    "smarter.types.fine_tuning": {"smarter.types._base"},
    "smarter.types.manifests": {"smarter.types._base"},
    "smarter.types.models": {"smarter.types._base"},
    "smarter.types.responses": {"smarter.types._base"},
    "smarter.types.whoami": {"smarter.types._base"},
}

LIBRARY = {_module_name(path): path for path in _library_files()}


class TestModuleMap:
    def test_every_module_is_in_the_map(self) -> None:
        """The table covers exactly the library's modules: a new module needs its row."""
        assert sorted(LIBRARY) == sorted(MODULE_MAP)

    @pytest.mark.parametrize("module", sorted(LIBRARY))
    def test_imports_follow_the_map(self, module: str) -> None:
        """A module imports only what its row allows, TYPE_CHECKING and lazy imports too."""
        ours = {
            name
            for name in _imports(LIBRARY[module])
            if name == "smarter" or name.startswith("smarter.")
        }

        assert ours - MODULE_MAP.get(module, set()) == set()

    def test_resources_never_reach_the_blocking_side(self) -> None:
        """No resource module imports the portal, the twins or the blocking client."""
        blocking = {"smarter._sync", "smarter._twins", "smarter._blocking", "smarter._portal"}

        assert {
            module: MODULE_MAP[module] & blocking
            for module in MODULE_MAP
            if module.startswith("smarter.resources")
        } == {module: set() for module in MODULE_MAP if module.startswith("smarter.resources")}

    def test_streams_never_reach_the_transport(self) -> None:
        """Streams are handed an open() callable; they do not import the transport."""
        assert "smarter._transport" not in MODULE_MAP["smarter._streaming"]
