"""Exit codes and error lines, settings from options, environment and .env, and signals."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import smarter
from smarter.testing import Fault, ReferenceServer

from .conftest import Runner, base_env, run_smarter

# The request id is the client's: LLM Engine sends none of its own.
ERROR_LINE = re.compile(r"error: NotFoundError \[404\]: .+ \(request id [0-9a-f-]{36}\)\n")


class TestErrors:
    def test_not_found_is_one_line_and_exit_1(self, smarter_cli: Runner) -> None:
        """A 404 prints one line (class, status, message, request id) on stderr and exits 1."""
        result = smarter_cli("files", "get", "file-missing")

        assert (result.code, result.stdout) == (1, "")
        assert ERROR_LINE.fullmatch(result.stderr), result.stderr
        assert "File 'file-missing' was not found." in result.stderr

    def test_no_api_key_exits_2(self, cli_env: dict[str, str], tmp_path: Path) -> None:
        """Without a key anywhere the command names the variable and exits 2."""
        result = run_smarter("whoami", env=cli_env, cwd=tmp_path)

        assert (result.code, result.stderr.startswith("error: No API key")) == (2, True)
        assert "SMARTER_API_KEY" in result.stderr

    def test_no_llm_engine_names_the_variable(
        self, server: ReferenceServer, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        """An LLM Engine command with none configured names LLM_ENGINE_BASE_PATH, sends nothing."""
        env = {**cli_env, "SMARTER_API_KEY": server.api_key, "SMARTER_BASE_URL": server.url}

        result = run_smarter("files", "list", env=env, cwd=tmp_path)

        assert (result.code, "LLM_ENGINE_BASE_PATH" in result.stderr) == (2, True)
        assert server.requests == []

    def test_llm_engine_options_and_scale_key(
        self, server: ReferenceServer, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        """--llm-engine-url with SCALE_API_KEY alone reaches LLM Engine, in HTTP Basic."""
        env = {**cli_env, "SCALE_API_KEY": server.api_key}

        result = run_smarter(
            "--llm-engine-url", server.llm_engine_url, "files", "list", env=env, cwd=tmp_path
        )

        assert (result.code, result.stderr) == (0, "(none)\n")  # no files yet
        assert server.requests[-1].headers["Authorization"].startswith("Basic ")

    def test_usage_error_keeps_click_exit_code(self, smarter_cli: Runner) -> None:
        """A usage error (a missing required option) exits 2 with click's message."""
        result = smarter_cli("complete", "Hello")

        assert (result.code, "Missing option '--model'" in result.stderr) == (2, True)

    def test_max_retries_and_timeout(self, smarter_cli: Runner, server: ReferenceServer) -> None:
        """--max-retries 0 gives up on the first 500; --timeout bounds a call (no status part)."""
        server.inject("POST", "cli/whoami/", Fault(status=500))
        no_retry = smarter_cli("--max-retries", "0", "whoami")
        server.inject("POST", "cli/whoami/", Fault(status=500))
        retried = smarter_cli("whoami", "--json")
        server.inject("POST", "cli/whoami/", Fault(delay=5.0))
        timed_out = smarter_cli("--timeout", "0.3", "--max-retries", "0", "whoami")

        assert (no_retry.code, no_retry.stderr[:34]) == (1, "error: InternalServerError [500]: ")
        assert (retried.code, retried.json()["user"]["username"]) == (0, "reference")
        assert (timed_out.code, timed_out.stderr[:24]) == (1, "error: APITimeoutError: ")

    def test_options_win_over_environment(
        self, cli_env: dict[str, str], server: ReferenceServer, tmp_path: Path
    ) -> None:
        """--api-key and --base-url override SMARTER_API_KEY and SMARTER_BASE_URL."""
        env = {**cli_env, "SMARTER_API_KEY": "sk-wrong", "SMARTER_BASE_URL": "http://127.0.0.1:9/"}
        result = run_smarter(
            "--api-key", server.api_key, "--base-url", server.url, "--json", "whoami",
            env=env, cwd=tmp_path,
        )  # fmt: skip

        assert (result.code, result.json()["user"]["username"]) == (0, "reference")


class TestDotenv:
    def test_dotenv_in_the_current_directory(
        self, cli_env: dict[str, str], server: ReferenceServer, tmp_path: Path
    ) -> None:
        """A .env file in the current directory supplies the key and the base URL."""
        (tmp_path / ".env").write_text(
            f"SMARTER_API_KEY={server.api_key}\nSMARTER_BASE_URL={server.url}\n", "utf-8"
        )

        result = run_smarter("--json", "whoami", env=cli_env, cwd=tmp_path)

        assert (result.code, result.json()["user"]["username"]) == (0, "reference")

    def test_environment_wins_over_dotenv(
        self, cli_env: dict[str, str], server: ReferenceServer, tmp_path: Path
    ) -> None:
        """A variable of the real environment is not overridden by the .env file."""
        (tmp_path / ".env").write_text(
            f"SMARTER_API_KEY=sk-wrong\nSMARTER_BASE_URL={server.url}\n", "utf-8"
        )
        env = {**cli_env, "SMARTER_API_KEY": server.api_key}

        result = run_smarter("--json", "whoami", env=env, cwd=tmp_path)

        assert (result.code, result.json()["user"]["username"]) == (0, "reference")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class TestSignals:
    def test_serve_answers_and_stops_on_sigint(self, tmp_path: Path) -> None:
        """``smarter serve --port P`` answers a client and exits 0 on SIGINT."""
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "smarter", "serve", "--port", str(port), "--api-key", "sk-t"],
            env=base_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            with smarter.Client(base_url=f"http://127.0.0.1:{port}/api/v1/", api_key="sk-t") as c:
                username = c.whoami().user.username
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

        expected = f"Smarter reference server on http://127.0.0.1:{port}/api/v1/ (api key: sk-t)\n"
        assert (banner, username, process.returncode) == (expected, "reference", 0)
        assert "Traceback" not in stderr

    def test_ctrl_c_while_waiting_exits_130(self, tmp_path: Path) -> None:
        """SIGINT during ``fine-tunes get --wait`` exits 130 without a traceback."""
        with (
            ReferenceServer.in_thread(job_step=60) as server,
            smarter.Client(**server.client_kwargs()) as client,
        ):
            job_id = client.fine_tuning.jobs.create(
                model="example-model", training_file="https://example.com/t.csv"
            ).id
            env = {**base_env(tmp_path), **server.client_env()}
            process = subprocess.Popen(
                [sys.executable, "-m", "smarter", "fine-tunes", "get", job_id, "--wait",
                 "--interval", "0.1"],
                env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            try:
                assert process.stderr is not None
                first_status = process.stderr.readline()  # polling has begun
                process.send_signal(signal.SIGINT)
                _, stderr = process.communicate(timeout=10)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            cancelled = run_smarter("fine-tunes", "cancel", job_id, env=env, cwd=tmp_path)
            final = run_smarter("fine-tunes", "get", job_id, "--wait", env=env, cwd=tmp_path)

        assert f"{job_id} PENDING" in first_status
        assert (process.returncode, "Traceback" in stderr) == (130, False)
        assert "Interrupted." in stderr
        assert cancelled.stdout == f"Cancelled {job_id}.\n"
        assert (final.code, final.stdout.splitlines()[-1]) == (1, "status            CANCELLED")


class TestConfirmations:
    def test_delete_without_a_terminal_wants_yes(self, smarter_cli: Runner) -> None:
        """Deleting with no terminal to ask and no --yes is refused: exit 2, nothing deleted."""
        result = smarter_cli("models", "delete", "example-model")

        assert (result.code, "pass --yes" in result.stderr) == (2, True)
        assert smarter_cli("models", "get", "example-model").code == 0

    @pytest.mark.parametrize(("answer", "code", "gone"), [("n", 1, False), ("y", 0, True)])
    def test_delete_on_a_terminal_asks(
        self, server: ReferenceServer, cli_env: dict[str, str], tmp_path: Path,
        answer: str, code: int, gone: bool,
    ) -> None:  # fmt: skip
        """On a terminal, delete asks first: 'n' keeps the model endpoint, 'y' deletes it."""
        import os
        import pty

        leader, follower = pty.openpty()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "smarter", "models", "delete", "example-model"],
                stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env={**cli_env, **server.client_env()}, cwd=tmp_path,
            )  # fmt: skip
            os.write(leader, f"{answer}\n".encode())
            _, stderr = process.communicate(timeout=30)
        finally:
            os.close(leader)
            os.close(follower)

        assert process.returncode == code, stderr
        assert "Delete model endpoint example-model?" in stderr.decode()
        assert ("example-model" not in server.state.endpoints) == gone


class TestMalformedSettings:
    @pytest.mark.parametrize(
        ("args", "env", "said"),
        [
            (["--base-url", "not a url"], {}, "'not a url' (from --base-url)"),
            ([], {"SMARTER_BASE_URL": "ftp://x/"}, "'ftp://x/' (from SMARTER_BASE_URL)"),
            ([], {"LLM_ENGINE_BASE_PATH": "engine"}, "'engine' (from LLM_ENGINE_BASE_PATH)"),
        ],
    )
    def test_a_bad_url_is_a_usage_error(
        self, cli_env: dict[str, str], tmp_path: Path, args: list[str], env: dict[str, str],
        said: str,
    ) -> None:  # fmt: skip
        """A URL that is not one: exit 2 with the setting and where it came from, no traceback."""
        result = run_smarter(
            *args, "whoami", env={**cli_env, "SMARTER_API_KEY": "k", **env}, cwd=tmp_path
        )

        assert (result.code, said in result.stderr) == (2, True), result.stderr
        assert "Traceback" not in result.stderr
