"""``smarter demo``: a tour of every resource against a reference server in this process.

It needs no network and no key: the server runs in a thread and the client uses its key.
Each step prints the Python line that made the call (highlighted on a terminal) and what it
returned, so the tour doubles as a first script to copy.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.text import Text

import smarter
from smarter.cli._context import State
from smarter.cli._files import upload
from smarter.cli._fine_tunes import wait_for_job
from smarter.cli._output import Output, error_line, plain

if TYPE_CHECKING:
    from smarter.testing import ClientKwargs

__all__ = ["demo"]

_MODEL = "example-model"
_TRAINING_ROWS = 2_000
_MANIFEST = """\
apiVersion: smarter.sh/v1
kind: LLMClient
metadata:
  name: harbour-guide
  description: Answers questions about the harbour.
  version: 1.0.0
spec:
  config:
    defaultModel: gpt-4o-mini
    appName: Harbour Guide
"""


class Tour:
    """Numbered steps, each a line of Python and what it gave back."""

    def __init__(self, output: Output) -> None:
        self.output = output
        self.number = 0

    def step(self, title: str) -> None:
        self.number += 1
        self.output.text("")
        self.output.text(Text(f"{self.number}. {title}", style="bold"))

    def code(self, source: str) -> None:
        """Print Python source as typed at the interactive prompt."""
        from rich.syntax import Syntax  # pygments: only for the demo, only here

        terminal = self.output.out.is_terminal
        syntax = Syntax("", "python", theme="ansi_dark", background_color="default")
        for index, line in enumerate(source.strip("\n").splitlines()):
            prompt = Text(">>> " if index == 0 else "... ", style="dim")
            body = syntax.highlight(line) if terminal else Text(line)
            body.rstrip()
            self.output.text(Text.assemble(prompt, body))

    def result(self, text: str | Text) -> None:
        self.output.text(Text.assemble("    ", text if isinstance(text, Text) else Text(text)))


def _training_file(directory: Path) -> Path:
    path = directory / "train.csv"
    rows = (f"question {n},answer {n}\n" for n in range(_TRAINING_ROWS))
    path.write_text("prompt,response\n" + "".join(rows), "utf-8")
    return path


def _tour(client: smarter.Client, tour: Tour, directory: Path) -> None:  # noqa: PLR0915
    output = tour.output

    tour.step("Who the API key belongs to")
    tour.code("me = client.whoami()")
    me = client.whoami()
    account = me.account.company_name if me.account else None
    tour.result(f"user {me.user.username} <{me.user.email}>, account {account}")

    tour.step("A chatbot conversation: the second prompt continues the first")
    tour.code('bot = client.resources.chatbots.get(name="example")')
    bot = client.resources.chatbots.get(name="example")
    tour.result(f"{bot!r}: {bot.description}")
    tour.code('print(bot.prompt("Hello! Who are you?"))')
    first = bot.prompt("Hello! Who are you?")
    tour.result(first.text)
    tour.code('print(bot.prompt("Tell me more."))')
    second = bot.prompt("Tell me more.")
    tour.result(second.text)
    same = "the same session" if second.session_key == first.session_key else "a new session"
    tour.result(Text(f"(session {(second.session_key or '')[:12]}...: {same})", style="dim"))

    tour.step("Manifests: plan, then apply, then describe")
    manifest = directory / "guide.yaml"
    manifest.write_text(_MANIFEST, "utf-8")
    tour.code('client.manifests.plan("guide.yaml").summary()')
    tour.result(client.manifests.plan(manifest).summary())
    tour.code('client.manifests.apply("guide.yaml")[0].message')
    tour.result(str(client.manifests.apply(manifest)[0].message))
    tour.code('client.manifests.describe("LLMClient", "harbour-guide").spec["config"]["appName"]')
    described = client.manifests.describe("LLMClient", "harbour-guide")
    tour.result(repr((described.spec or {})["config"]["appName"]))
    tour.code('client.manifests.plan("guide.yaml").summary()  # applied: nothing to do')
    tour.result(client.manifests.plan(manifest).summary())

    tour.step("A completion: the text is in output.text")
    tour.code(
        f'out = client.completions.create(model="{_MODEL}", prompt="Once upon a time", '
        "max_new_tokens=12)\n"
        "print(out.output.text)"
    )
    out = client.completions.create(model=_MODEL, prompt="Once upon a time", max_new_tokens=12)
    tour.result(out.output.text.strip())
    tour.result(Text(f"({out.output.num_completion_tokens} tokens)", style="dim"))

    tour.step("A streamed completion: tokens print as they arrive")
    tour.code(
        f'for chunk in client.completions.stream(model="{_MODEL}", prompt="Tell a story"):\n'
        '    print(chunk.output.text, end="", flush=True)'
    )
    output.text("   ", end="")
    with client.completions.stream(model=_MODEL, prompt="Tell a story") as stream:
        for chunk in stream:
            output.text(chunk.output.text, end="")
    output.text("")

    tour.step("A chat completion (OpenAI-compatible): the text is in message.content")
    tour.code(
        f'answer = client.chat.completions.create(model="{_MODEL}", '
        'messages=[{"role": "user", "content": "Say hello"}])\n'
        "print(answer.choices[0].message.content)"
    )
    answer = client.chat.completions.create(
        model=_MODEL, messages=[{"role": "user", "content": "Say hello"}]
    )
    tour.result(answer.choices[0].message.content or "")

    tour.step("A streamed chat: each chunk's delta.content")
    tour.code(
        f'for chunk in client.chat.completions.create(model="{_MODEL}", stream=True,\n'
        '        messages=[{"role": "user", "content": "Tell a story"}]):\n'
        '    print(chunk.choices[0].delta.content or "", end="", flush=True)'
    )
    output.text("   ", end="")
    story = client.chat.completions.create(
        model=_MODEL, messages=[{"role": "user", "content": "Tell a story"}], stream=True
    )
    for chat_chunk in story:
        if chat_chunk.choices:
            output.text(chat_chunk.choices[0].delta.content or "", end="")
    output.text("")

    tour.step("A response (the responses API): the text is in output_text")
    tour.code(
        f'response = client.responses.create(model="{_MODEL}", input="Write a haiku")\n'
        "print(response.output_text)"
    )
    response = client.responses.create(model=_MODEL, input="Write a haiku")
    tour.result(response.output_text)

    tour.step("A file upload, streamed from disk")
    path = _training_file(directory)
    tour.code('file = client.files.create(file=Path("train.csv"), purpose="fine-tune")')
    file = upload(client, path, output)
    tour.result(f"{file.id} ({path.stat().st_size:,} bytes)")

    tour.step("A fine-tuning job, waited for until it is over")
    tour.code(f'job = client.fine_tuning.jobs.create(model="{_MODEL}", training_file=file.id)')
    job = client.fine_tuning.jobs.create(model=_MODEL, training_file=file.id)
    tour.result(job.id)
    tour.code("done = client.fine_tuning.jobs.wait(job.id, poll_interval=0.2, timeout=600)")
    done = wait_for_job(client, job.id, output, interval=0.2)
    tour.result(
        Text.assemble(
            "status ", output.styled(plain(done.status)), f", model {done.fine_tuned_model}"
        )
    )

    tour.step("Models")
    tour.code("for model in client.models.list(): ...")
    output.table(
        ("name", "status", "framework", "tag"),
        (
            (m.name, m.status, m.inference_framework, m.inference_framework_tag)
            for m in client.models.list()
        ),
    )
    tour.code(f'client.models.get("{_MODEL}")')
    model = client.models.get(_MODEL)
    tour.result(f"{model.name}: {plain(model.status)}, {plain(model.inference_framework)}")

    tour.step("Files")
    tour.code("for file in client.files.list(): ...")
    output.table(
        ("id", "filename", "size"), ((f.id, f.filename, f.size) for f in client.files.list())
    )

    tour.step("Errors are typed, and carry the request id")
    tour.code('client.files.get("file-missing")')
    try:
        client.files.get("file-missing")
    except smarter.APIError as exc:
        tour.result(Text(error_line(exc).removeprefix("error: "), style="red"))


_ASYNC = """\
import asyncio

async def main():
    async with smarter.AsyncClient(**options) as client:
        answers = await asyncio.gather(*(
            client.completions.create(model="{model}", prompt=colour, max_new_tokens=6)
            for colour in ("Red", "Green", "Blue")))
        for answer in answers:
            print(answer.output.text)
        async for chunk in client.completions.stream(model="{model}", prompt="Sea"):
            print(chunk.output.text, end="", flush=True)

asyncio.run(main())
"""


def _async_tour(options: ClientKwargs, tour: Tour) -> None:
    """Run (and show) the async client: calls at once, then a stream."""
    output = tour.output
    tour.step("In async code (a web service, a notebook): AsyncClient, three calls at once")
    tour.code(_ASYNC.format(model=_MODEL))

    async def main() -> None:
        async with smarter.AsyncClient(**options) as client:
            answers = await asyncio.gather(
                *(
                    client.completions.create(model=_MODEL, prompt=colour, max_new_tokens=6)
                    for colour in ("Red", "Green", "Blue")
                )
            )
            for answer in answers:
                tour.result(answer.output.text.strip())
            output.text("   ", end="")
            async for chunk in client.completions.stream(model=_MODEL, prompt="Sea"):
                output.text(chunk.output.text, end="")
            output.text("")

    asyncio.run(main())


def _next_steps(output: Output) -> None:
    output.text("")
    output.text(Text("Next steps", style="bold"))
    for line in (
        "Use your own key: export SMARTER_API_KEY=... (or put it in a .env file here),",
        "then: smarter whoami; smarter chat <chatbot> 'Hello'; smarter --help",
        "Another platform: --base-url URL or SMARTER_BASE_URL (default https://platform.smarter.sh/api/v1/)",
        "Your LLM Engine: --llm-engine-url URL or LLM_ENGINE_BASE_PATH, key in SCALE_API_KEY",
        "A local fake to play with: smarter serve --port 8083",
        "In Python: with smarter.Client() as client: print(client.whoami())",
    ):
        output.text(f"  {line}")


@click.command()
def demo() -> None:
    """Tour every resource against a reference server started in this process.

    It needs no network and no API key.
    """
    from smarter.testing import ReferenceServer

    state = click.get_current_context().find_object(State)
    if state is not None and state.output.json_mode:
        # A transcript of Python lines for a person has no wire form to print.
        raise click.UsageError(
            "demo prints a tour for people and has no --json form: run it without --json "
            "(smarter --json works with the other commands)"
        )
    output = Output()
    # A transcript for a human: the status lines and the progress bar belong in it too.
    output.err = output.out
    tour = Tour(output)
    with (
        ReferenceServer.in_thread(job_step=0.3, token_delay=0.02) as server,
        tempfile.TemporaryDirectory(prefix="smarter-demo-") as directory,
    ):
        output.text(
            Text.assemble(
                ("A reference server is running in this process on ", ""), (server.url, "bold")
            )
        )
        tour.code("import smarter")
        options = server.client_kwargs()
        arguments = ", ".join(f"{name!r}: {value!r}" for name, value in options.items())
        tour.code(f"options = {{{arguments}}}")
        tour.code("client = smarter.Client(**options)")
        with smarter.Client(**options) as client:
            _tour(client, tour, Path(directory))
        _async_tour(options, tour)
    _next_steps(output)
