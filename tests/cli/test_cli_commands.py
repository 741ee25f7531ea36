"""Every subcommand, in human and ``--json`` form, against a reference server."""

from __future__ import annotations

import json
from pathlib import Path

import smarter
from smarter.testing import ReferenceServer

from .conftest import Runner, run_all

ANSI = "\x1b["
TRAINING_URL = "https://example.com/train.csv"


class TestWhoami:
    def test_human_and_json(self, smarter_cli: Runner, server: ReferenceServer) -> None:
        """Whoami prints aligned fields, plain in a pipe, and the WhoAmI wire form with --json."""
        human, wire = run_all(smarter_cli, ["whoami"], ["--json", "whoami"])

        assert (human.code, wire.code) == (0, 0)
        assert ANSI not in human.stdout
        assert "user         reference <reference@example.com> (Ada Reference)" in human.stdout
        assert f"server       {server.url}" in human.stdout
        assert (
            wire.json()["user"]["username"],
            wire.json()["account"]["accountNumber"],  # v0.14.19's wire names
        ) == ("reference", "3141-5926-5359")


class TestChat:
    def test_conversation_goes_on_until_new_session(self, smarter_cli: Runner) -> None:
        """A second chat continues the first conversation; --new-session starts over."""
        first = smarter_cli("chat", "example", "Hello")
        second = smarter_cli("chat", "example", "Tell me more")
        again = smarter_cli("chat", "example", "Hi again", "--new-session", "--json")

        assert [first.code, second.code, again.code] == [0, 0, 0]
        assert first.stdout.startswith("[example] turn 1: ")
        assert second.stdout.startswith("[example] turn 2: ")
        assert len(again.json()["request"]["session_key"]) == 64
        assert len(again.json()["request"]["messages"]) == 2  # system prompt and this message

    def test_missing_chatbot(self, smarter_cli: Runner) -> None:
        """A chatbot that does not exist is a NotFoundError (the platform's 503): exit 1."""
        result = smarter_cli("chat", "no-such-bot", "Hello")

        assert (result.code, result.stderr[:26]) == (1, "error: NotFoundError [503]")


class TestComplete:
    def test_stream_prints_the_tokens_of_the_completion(
        self, smarter_cli: Runner, server: ReferenceServer
    ) -> None:
        """--stream prints exactly the text of the same completion, and --json one chunk a line."""
        with smarter.Client(**server.client_kwargs()) as client:
            expected = client.completions.create(model="example-model", prompt="Once").output.text

        plain, streamed, lines = run_all(
            smarter_cli,
            ["complete", "--model", "example-model", "Once"],
            ["complete", "-m", "example-model", "Once", "--stream"],
            ["--json", "complete", "-m", "example-model", "Once", "--stream"],
        )
        chunks = [json.loads(line) for line in lines.stdout.splitlines()]

        assert (plain.code, streamed.code, lines.code) == (0, 0, 0)
        assert plain.stdout == streamed.stdout == expected + "\n"
        assert "".join(chunk["output"]["text"] for chunk in chunks) == expected
        assert [chunk["output"]["finished"] for chunk in chunks] == [False] * 19 + [True]

    def test_options_reach_the_request(self, smarter_cli: Runner, server: ReferenceServer) -> None:
        """--max-new-tokens, --temperature and --stop are sent; --json prints the wire form."""
        result = smarter_cli(
            "complete", "-m", "example-model", "-", "--max-new-tokens", "5",
            "--temperature", "0.5", "--stop", "zzz", "--stop", "yyy", "--json", stdin="From stdin",
        )  # fmt: skip
        sent = json.loads(server.requests_to("POST", "v1/llm/completions-sync")[-1].body)

        assert result.code == 0
        assert result.json()["output"]["num_completion_tokens"] == 5
        assert {
            "prompt": "From stdin",
            "max_new_tokens": 5,
            "temperature": 0.5,
            "stop_sequences": ["zzz", "yyy"],
        }.items() <= sent.items()


class TestFiles:
    def test_upload_list_get_content_delete(self, smarter_cli: Runner, tmp_path: Path) -> None:
        """An uploaded file is listed, described, given back whole, and deleted."""
        data = "prompt,response\n" + "".join(f"question {n} é,answer {n}\n" for n in range(8000))
        path = tmp_path / "train.csv"
        path.write_text(data, "utf-8")
        size = len(data.encode())  # the server counts bytes

        uploaded = smarter_cli("--json", "files", "upload", str(path))
        file_id = uploaded.json()["id"]
        listed, got, content, content_json = run_all(
            smarter_cli,
            ["files", "list"],
            ["files", "get", file_id, "--json"],
            ["files", "content", file_id],
            ["--json", "files", "content", file_id],
        )
        deleted = smarter_cli("files", "delete", file_id, "--yes")
        gone = smarter_cli("--json", "files", "list")

        assert [r.code for r in (uploaded, listed, got, content, content_json, deleted, gone)] == [
            0
        ] * 7
        assert listed.stdout.splitlines()[0].split() == ["id", "filename", "size"]
        assert listed.stdout.splitlines()[1].split() == [file_id, "train.csv", str(size)]
        assert got.json() == {"id": file_id, "filename": "train.csv", "size": size}
        assert content.stdout == data
        assert content_json.json()["content"] == data
        assert deleted.stdout == f"Deleted {file_id}.\n"
        assert gone.json() == {"files": []}

    def test_human_upload_and_progress_bar(self, smarter_cli: Runner, tmp_path: Path) -> None:
        """Upload prints the new file's fields; on a terminal, a bar with bytes and rate."""
        path = tmp_path / "data.jsonl"
        path.write_bytes(b'{"prompt": "hi", "response": "there"}\n' * 5000)

        piped = smarter_cli("files", "upload", str(path), "--purpose", "fine-tune")
        terminal = smarter_cli("files", "upload", str(path), TTY_COMPATIBLE="1")

        assert (piped.code, terminal.code) == (0, 0)
        assert (
            piped.stdout.split()[0],
            piped.stdout.split()[2],
            piped.stdout.split()[3],
        ) == ("id", "filename", "data.jsonl")
        assert piped.stderr == ""  # no animation in a pipe
        assert "Uploading data.jsonl" in terminal.stderr
        assert "190.0/190.0 kB" in terminal.stderr

    def test_pages(self, extended_cli: Runner, extended_server: ReferenceServer) -> None:
        """--limit shows the first page (and says there is more); --all walks every page.

        Against a server that pages (the ``extended`` profile): LLM Engine lists every file.
        """
        server, smarter_cli = extended_server, extended_cli
        with smarter.Client(**server.client_kwargs()) as client:
            ids = [client.files.create(file=(f"f{n}.txt", b"x" * n)).id for n in (1, 2, 3)]

        first, every, bodies = run_all(
            smarter_cli,
            ["files", "list", "--limit", "2"],
            ["files", "list", "--limit", "2", "--all"],
            ["--json", "files", "list", "--limit", "2", "--all"],
        )

        assert len(first.stdout.splitlines()) == 3  # the header and two files
        assert "add --all" in first.stderr
        assert [line.split()[0] for line in every.stdout.splitlines()[1:]] == ids
        assert [len(body["files"]) for body in bodies.json()] == [2, 1]
        assert [file["id"] for body in bodies.json() for file in body["files"]] == ids


class TestFineTunes:
    def test_create_wait_list_events(self, smarter_cli: Runner, server: ReferenceServer) -> None:
        """A job is created with its settings, followed to SUCCESS, listed, shown, not cancelled."""
        created = smarter_cli(
            "--json", "fine-tunes", "create", "--model", "example-model",
            "--training-file", TRAINING_URL, "--suffix", "mine",
            "--hyperparameter", "epochs=2", "--hyperparameter", "lr=1e-4",
            "--hyperparameter", "schedule=cosine",
        )  # fmt: skip
        job_id = created.json()["id"]
        sent = json.loads(server.requests_to("POST", "v1/llm/fine-tunes")[-1].body)
        waited = smarter_cli("fine-tunes", "get", job_id, "--wait", "--interval", "0.05")
        listed, listed_json, events, events_json, got, cancel, cancel_json = run_all(
            smarter_cli,
            ["fine-tunes", "list"],
            ["fine-tunes", "list", "--json"],
            ["fine-tunes", "events", job_id],
            ["--json", "fine-tunes", "events", job_id],
            ["--json", "fine-tunes", "get", job_id],
            ["fine-tunes", "cancel", job_id],
            ["fine-tunes", "cancel", job_id, "--json"],
        )
        results = (created, waited, listed, listed_json, events, events_json, got, cancel)

        assert [r.code for r in results] == [0] * 8
        assert sent["hyperparameters"] == {"epochs": 2, "lr": 0.0001, "schedule": "cosine"}
        assert sent["suffix"] == "mine"
        assert "status            SUCCESS" in waited.stdout
        assert f"{job_id} SUCCESS" in waited.stderr  # each status change, on stderr
        assert listed.stdout.splitlines()[0].split() == ["id", "status", "fine_tuned_model"]
        assert listed.stdout.splitlines()[1].split()[:2] == [job_id, "SUCCESS"]
        assert [job["id"] for job in listed_json.json()["jobs"]] == [job_id]
        assert "Training finished" in events.stdout
        assert len(events_json.json()["events"]) == 3
        assert (got.json()["id"], got.json()["fine_tuned_model"]) == (
            job_id,
            "example-model:mine-" + job_id[-6:],
        )
        assert cancel.stdout == f"{job_id} had already finished: nothing to cancel.\n"
        assert cancel_json.json() == {"success": False}

    def test_bad_hyperparameter_is_a_usage_error(self, smarter_cli: Runner) -> None:
        """A --hyperparameter without '=' is a usage error (exit 2)."""
        result = smarter_cli("fine-tunes", "create", "-m", "m", "--training-file", "f",
                             "--hyperparameter", "epochs")  # fmt: skip

        assert (result.code, "is not NAME=VALUE" in result.stderr) == (2, True)


class TestModels:
    def test_list_get_download_delete(self, smarter_cli: Runner) -> None:
        """Models are listed with name, status, framework and tag, shown, downloaded, deleted."""
        listed, named, got, got_json, download, download_json = run_all(
            smarter_cli,
            ["models", "list"],
            ["--json", "models", "list", "--name", "example-model"],
            ["models", "get", "example-model"],
            ["--json", "models", "get", "example-model"],
            ["models", "download", "example-model", "--format", "hugging_face"],
            ["--json", "models", "download", "example-model"],
        )
        deleted = smarter_cli("models", "delete", "example-model", "--json", "-y")
        empty = smarter_cli("models", "list")

        assert [
            r.code for r in (listed, named, got, got_json, download, download_json, deleted, empty)
        ] == [0] * 8
        assert [line.split() for line in listed.stdout.splitlines()] == [
            ["name", "status", "framework", "tag"],
            ["example-model", "READY", "vllm", "0.6.3"],
        ]
        assert [m["name"] for m in named.json()["model_endpoints"]] == ["example-model"]
        assert "status                         READY" in got.stdout
        assert "deployment_state" in got_json.json()["spec"]
        assert "model.safetensors" in download.stdout
        assert set(download_json.json()["urls"]) == {
            "config.json",
            "model.safetensors",
            "tokenizer.json",
        }
        assert deleted.json() == {"deleted": True}
        assert (empty.stdout, empty.stderr) == ("", "(none)\n")
