"""The single commands: ``whoami``, ``chat``, ``complete`` and ``serve``."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.text import Text

import smarter
from smarter.cli._context import State, json_option, pass_state
from smarter.testing._profiles import PROFILES

if TYPE_CHECKING:
    from smarter.types import ChatbotResponse

__all__ = ["SessionStore", "chat", "complete", "serve", "whoami"]


@click.command()
@json_option
@pass_state
def whoami(state: State) -> None:
    """Show who the API key belongs to."""
    me = state.client.whoami()
    output = state.output
    if output.json_mode:
        output.json(me.to_dict())
        return
    user, account = me.user, me.account
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    who = " ".join(
        part
        for part in (user.username, f"<{user.email}>" if user.email else None, name and f"({name})")
        if part
    )
    rows: list[tuple[str, object]] = [("user", who or None)]
    if account is not None:
        rows.append(
            ("account", " · ".join(filter(None, [account.account_number, account.company_name])))
        )
    rows += [("environment", me.environment), ("server", str(state.client.base_url))]
    output.fields(rows)


# -- chat ------------------------------------------------------------------------------------


class SessionStore:
    r"""The conversations ``smarter chat`` continues, one per server and chatbot.

    A small JSON file in the user's state directory (``$XDG_STATE_HOME/smarter``, else
    ``~/.local/state/smarter``; ``%LOCALAPPDATA%\\smarter`` on Windows) holding the session
    owner id (``uid``) of this user and the last session key of each chatbot.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            data = {}
        self._data: dict[str, Any] = data if isinstance(data, dict) else {}

    @classmethod
    def default(cls) -> SessionStore:
        """The store of this user."""
        if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
            root = Path(os.environ["LOCALAPPDATA"])
        else:
            root = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
        return cls(root / "smarter" / "chat-sessions.json")

    @property
    def uid(self) -> str:
        """The session owner id of this user, made once."""
        uid = self._data.get("uid")
        if not isinstance(uid, str):
            uid = self._data["uid"] = uuid.uuid4().hex
        return uid

    def get(self, key: str) -> str | None:
        """The session key of a conversation, if one was saved."""
        sessions = self._data.get("sessions")
        value = sessions.get(key) if isinstance(sessions, dict) else None
        return value if isinstance(value, str) else None

    def put(self, key: str, session_key: str | None) -> None:
        """Remember a conversation (best effort: a read-only home only loses the memory)."""
        sessions = self._data.setdefault("sessions", {})
        if session_key is None or not isinstance(sessions, dict):
            return
        sessions[key] = session_key
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(".tmp")
            partial.write_text(json.dumps(self._data, indent=2), "utf-8")
            os.replace(partial, self.path)


@click.command()
@click.argument("chatbot")
@click.argument("message")
@click.option("--new-session", is_flag=True, help="Start a new conversation.")
@json_option
@pass_state
def chat(state: State, chatbot: str, message: str, new_session: bool) -> None:
    """Send MESSAGE to the chatbot CHATBOT and print its reply.

    The conversation goes on from one call to the next (the session is kept in your state
    directory); --new-session starts over. MESSAGE "-" reads standard input.
    """
    client = state.client
    store = SessionStore.default()
    key = f"{client.base_url} {chatbot}"
    saved = None if new_session else store.get(key)
    bot = client.resources.chatbots.get(name=chatbot, uid=store.uid, session_key=saved)
    text = _read_stdin() if message == "-" else message
    reply: ChatbotResponse | None = None
    if saved is not None:
        try:
            reply = bot.prompt(text)
        except smarter.NotFoundError:
            state.output.note("The server no longer has that conversation; starting a new one.")
    if reply is None:
        reply = bot.prompt(text, new_session=True)
    store.put(key, reply.session_key)
    if state.output.json_mode:
        state.output.json(reply.to_dict())
    else:
        state.output.text(reply.text)


# -- complete --------------------------------------------------------------------------------


@click.command()
@click.argument("prompt")
@click.option("--model", "-m", required=True, help="The model endpoint.")
@click.option("--stream", is_flag=True, help="Print the tokens as they are generated.")
@click.option("--max-new-tokens", type=click.IntRange(min=1), help="Most tokens [default: 20].")
@click.option("--temperature", type=click.FloatRange(min=0), help="Sampling temperature.")
@click.option("--stop", multiple=True, help="Stop at this text (repeatable).")
@json_option
@pass_state
def complete(
    state: State,
    *,
    prompt: str,
    model: str,
    stream: bool,
    max_new_tokens: int | None,
    temperature: float | None,
    stop: tuple[str, ...],
) -> None:
    """Complete PROMPT with a model ("-" reads standard input).

    With --stream --json it prints one JSON chunk per line (JSON Lines).
    """
    arguments: dict[str, Any] = {
        "model": model,
        "prompt": _read_stdin() if prompt == "-" else prompt,
    }
    if max_new_tokens is not None:
        arguments["max_new_tokens"] = max_new_tokens
    if temperature is not None:
        arguments["temperature"] = temperature
    if stop:
        arguments["stop_sequences"] = list(stop)
    client, output = state.client, state.output
    if not stream:
        answer = client.completions.create(**arguments)
        if output.json_mode:
            output.json(answer.to_dict())
        else:
            output.text(answer.output.text)
        return
    with client.completions.stream(**arguments) as chunks:
        for chunk in chunks:
            if output.json_mode:
                output.json(chunk.to_dict(), indent=None)
            elif chunk.output is not None:
                click.echo(chunk.output.text, nl=False)  # click.echo flushes
    if not output.json_mode:
        click.echo()


def _read_stdin() -> str:
    return sys.stdin.read()


# -- serve -----------------------------------------------------------------------------------


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The interface.")
@click.option("--port", type=click.IntRange(0, 65535), default=8083, show_default=True)
@click.option(
    "--api-key",
    "server_key",
    metavar="KEY",
    help="The key clients must send [default: a random sk-test-... key].",
)
@click.option(
    "--token-delay",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    default=0.0,
    show_default=True,
    help="Seconds between two streamed tokens.",
)
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default="smarter",
    show_default=True,
    help="Which servers it answers like: smarter (the real ones), older platform generations, "
    "or extended (event ids, idempotency, paging).",
)
@pass_state
def serve(
    state: State, *, host: str, port: int, server_key: str | None, token_delay: float, profile: str
) -> None:
    """Run a reference server (an in-memory fake of the three services) until Ctrl-C.

    Point a client at it with the environment variables it prints (export them, then
    `smarter whoami`).
    """
    from smarter.testing import serve as run_server

    state.output.note(Text("Ctrl-C stops the server.", style="dim"))
    run_server(host, port, api_key=server_key, token_delay=token_delay, profile=profile)
