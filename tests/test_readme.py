"""README.rst cannot rot: it renders, its code runs against a server, CI runs its commands."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import docutils.core
import docutils.nodes
import pytest

from smarter.testing import ReferenceServer

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.rst").read_text()

# Blocks that only define an app get driven by a few lines appended to them.
_DRIVERS = {
    "FastAPI(": """
        from fastapi.testclient import TestClient
        with TestClient(app) as http:
            assert http.get("/complete", params={"prompt": "Hi"}).json()["text"]
    """,
    "web.Application(": """
        import asyncio
        from aiohttp.test_utils import TestClient, TestServer
        async def drive():
            async with TestClient(TestServer(app)) as http:
                response = await http.get("/complete", params={"prompt": "Hi"})
                assert (await response.json())["text"]
        asyncio.run(drive())
    """,
}


def _python_blocks() -> list[str]:
    doctree = docutils.core.publish_doctree(
        README, settings_overrides={"report_level": 5, "halt_level": 5}
    )
    return [
        node.astext()
        for node in doctree.findall(docutils.nodes.literal_block)
        if "python" in node.get("classes", [])
    ]


BLOCKS = _python_blocks()


@pytest.fixture(scope="module")
def readme_server() -> Iterator[ReferenceServer]:
    """A server knowing the names the README uses."""
    with ReferenceServer.in_thread(
        chatbots=["my-chatbot"], models=["llama-2-7b"], job_step=0.05
    ) as server:
        yield server


class TestReadme:
    def test_renders_cleanly(self) -> None:
        """README.rst renders on PyPI: readme_renderer reports no warning or error."""
        import io

        from readme_renderer.rst import render

        warnings = io.StringIO()

        assert render(README, stream=warnings) is not None
        assert warnings.getvalue() == ""

    def test_has_code(self) -> None:
        """The README shows code for every quick start it promises."""
        joined = "\n".join(BLOCKS)
        wanted = [
            "FastAPI(",
            "web.Application(",
            "completions.stream",
            "files.create",
            "jobs.list",
            "APIStatusError",
            "Timeout(",
            "session_factory",
            "smarter_server",
            "manifests.plan",
            "manifests.apply",
        ]
        assert [w for w in wanted if w not in joined] == []

    @pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
    def test_block_runs(self, block: str, readme_server: ReferenceServer, tmp_path: Path) -> None:
        """Each Python block of the README runs against a reference server."""
        (tmp_path / "input.jsonl").write_text('{"prompt": "Hi", "response": "Hello"}\n')
        # The reader's environment: the platform's key and URL, and an LLM Engine's.
        env = {**os.environ, **readme_server.client_env()}
        if "def test_" in block:
            (tmp_path / "test_example.py").write_text(block)
            command = [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                str(tmp_path / "test_example.py"),
            ]
        else:
            driver = next((d for key, d in _DRIVERS.items() if key in block), "")
            command = [sys.executable, "-c", block + "\n" + textwrap.dedent(driver)]

        done = subprocess.run(
            command,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

        assert done.returncode == 0, done.stdout + done.stderr

    def test_blocks_pass_mypy_strict(self, tmp_path: Path) -> None:
        """Every Python block of the README type-checks with mypy --strict as written."""
        for index, block in enumerate(BLOCKS):
            (tmp_path / f"readme_block_{index}.py").write_text(block)

        done = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir",
             str(tmp_path / ".mypy_cache"), *sorted(str(p) for p in tmp_path.glob("*.py"))],
            cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

        assert done.returncode == 0, done.stdout + done.stderr

    def test_ci_runs_the_readme_commands(self) -> None:
        """.ci/run runs exactly the two set-up commands the README gives."""
        ci = (ROOT / ".ci" / "run").read_text().splitlines()
        commands = [
            line.strip()
            for line in README.splitlines()
            if line.strip().startswith(("python3 -m venv", ".venv/bin/python -m pip"))
        ]

        assert len(commands) == 2
        assert all(command in ci for command in commands)
