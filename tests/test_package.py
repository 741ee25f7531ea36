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


def _imports(path: Path) -> set[str]:
    """Every module a file imports at run time (``if TYPE_CHECKING:`` blocks aside)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


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
            ("threading", "_sync.py"),
        ],
    )
    def test_one_module_per_foreign_library(self, foreign: str, owner: str) -> None:
        """Only _transport imports aiohttp, _retry tenacity, _converter cattrs, _sync threads."""
        importers = sorted(
            str(path.relative_to(PACKAGE))
            for path in _library_files()
            if any(name == foreign or name.startswith(foreign + ".") for name in _imports(path))
        )
        assert importers == [owner]
