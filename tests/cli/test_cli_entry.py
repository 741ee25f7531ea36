"""The command as installed: the console script, lazy imports, and the missing extra."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import smarter

from .conftest import base_env


def test_console_script_is_declared() -> None:
    """The distribution declares the ``smarter`` console script as ``smarter.cli:main``."""
    scripts = importlib.metadata.entry_points(group="console_scripts")

    assert scripts["smarter"].value == "smarter.cli:main"


def test_installed_script_runs(tmp_path: Path) -> None:
    """The installed ``smarter`` script next to the interpreter prints the version."""
    script = shutil.which("smarter", path=os.path.dirname(sys.executable))
    assert script is not None

    done = subprocess.run(
        [script, "--version"], env=base_env(tmp_path), capture_output=True, text=True, check=False
    )

    assert (done.returncode, done.stdout) == (0, f"smarter, version {smarter.__version__}\n")


def test_import_smarter_imports_no_cli_library(tmp_path: Path) -> None:
    """``import smarter`` and ``import smarter.cli`` import neither click, rich nor dotenv."""
    code = (
        "import sys, smarter, smarter.cli\n"
        "print(sorted(m for m in ('click', 'rich', 'dotenv') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=base_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.stdout == "[]\n"


@pytest.mark.parametrize("library", ["click", "rich", "dotenv"])
def test_missing_extra_prints_one_line(library: str, tmp_path: Path) -> None:
    """Without a library of the ``cli`` extra, main() prints how to install it and exits 1."""
    code = (
        f"import sys; sys.modules[{library!r}] = None\n"  # what an absent package looks like
        "from smarter.cli import main\n"
        "raise SystemExit(main(['whoami']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=base_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )

    expected = 'smarter: the command line needs its extra: pip install "smarter-api[cli]"\n'
    assert (1, "", expected) == (done.returncode, done.stdout, done.stderr)


def test_help_lists_every_command(tmp_path: Path) -> None:
    """``smarter --help`` lists every command and the global options."""
    done = subprocess.run(
        [sys.executable, "-m", "smarter", "--help"],
        env=base_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    expected = {
        "demo", "serve", "chat", "complete", "files", "fine-tunes", "models", "whoami",
        "--api-key", "--base-url", "--json", "--timeout", "--max-retries",
    }  # fmt: skip

    assert (0, set()) == (done.returncode, {word for word in expected if word not in done.stdout})
