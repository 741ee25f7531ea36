"""Run the real ``smarter`` command in a subprocess, against the reference server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import pytest

from smarter.testing import ReferenceServer

#: Variables that would change what the command does or how it prints.
_SCRUBBED = (
    "SMARTER_API_KEY",
    "SMARTER_BASE_URL",
    "SMARTER_OPENAI_BASE_URL",
    "LLM_ENGINE_BASE_PATH",
    "SCALE_API_KEY",
    "SMARTER_LOG",
    "FORCE_COLOR",
    "TTY_COMPATIBLE",
    "COLUMNS",
    "NO_COLOR",
)


@attrs.frozen
class Result:
    """What one run of the command did."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """Standard output as one JSON document."""
        return json.loads(self.stdout)


def base_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a run: no SMARTER_* settings, chat sessions kept under *tmp_path*."""
    env = {name: value for name, value in os.environ.items() if name not in _SCRUBBED}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["PYTHONUTF8"] = "1"
    return env


def run_smarter(
    *args: str,
    env: dict[str, str],
    cwd: Path,
    stdin: str | None = None,
    timeout: float = 30,
) -> Result:
    """``python -m smarter *args`` to completion."""
    done = subprocess.run(
        [sys.executable, "-m", "smarter", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


Runner = Callable[..., Result]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment for the command (no key, no base URL)."""
    return base_env(tmp_path)


def _runner(server: ReferenceServer, tmp_path: Path, cli_env: dict[str, str]) -> Runner:
    env = {**cli_env, **server.client_env()}
    work = tmp_path / "work"
    work.mkdir()

    def run(*args: str, stdin: str | None = None, **extra_env: str) -> Result:
        return run_smarter(*args, env={**env, **extra_env}, cwd=work, stdin=stdin)

    return run


@pytest.fixture
def smarter_cli(server: ReferenceServer, tmp_path: Path, cli_env: dict[str, str]) -> Runner:
    """Run the command against the ``server`` fixture (its variables in the environment)."""
    return _runner(server, tmp_path, cli_env)


@pytest.fixture
def extended_cli(
    extended_server: ReferenceServer, tmp_path: Path, cli_env: dict[str, str]
) -> Runner:
    """Run the command against the ``extended_server`` fixture."""
    return _runner(extended_server, tmp_path, cli_env)


def run_all(run: Runner, *commands: Sequence[str]) -> list[Result]:
    """Run independent commands at once (each run is mostly interpreter start-up)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda args: run(*args), commands))
