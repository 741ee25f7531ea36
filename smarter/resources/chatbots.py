"""Smarter chatbots: ``resources.chatbots.get(name=)`` and ``chatbot.prompt(message)``.

Servers before the June 2026 rename serve ``cli/describe/chatbot/`` and ``cli/chat/<name>/``
instead of ``cli/describe/llmclient/`` and ``cli/prompt/<name>/``, and do not answer 404
for the kind they lack: v0.13.x answers 500 and v0.10.x 400, with a body naming the missing
broker or the unsupported kind (``smarter-sh/smarter@v0.13.223:
smarter/smarter/apps/api/v1/cli/views/base.py``). When the current route is unknown (a
bare 404, or such an answer, which is not retried), its legacy twin is tried once, and a
chatbot whose legacy routes answered keeps using them. A chatbot that does not exist is a
:class:`~smarter.NotFoundError` at once: current servers answer ``describe`` with 503 (the
broker's ``SAMBrokerErrorNotReady``, ``.../apps/llm_client/manifest/brokers/llm_client.py``),
which is not retried either.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from smarter._exceptions import NotFoundError
from smarter._raw import AsyncRawResponses
from smarter._runner import AsyncRun, run_many
from smarter.resources._base import AsyncAPIResource, check_str, path_segment
from smarter.types.chatbots import ChatbotManifest, ChatbotResponse

if TYPE_CHECKING:
    import os

    from smarter._request import RequestOptions, Unpack

__all__ = ["AsyncChatbot", "AsyncChatbots", "AsyncResources", "Described"]

T = TypeVar("T")


async def _with_legacy_fallback(
    current: Callable[[], Awaitable[T]], legacy: Callable[[], Awaitable[T]], name: str
) -> tuple[T, bool]:
    """Call the current route, and when the server does not know it, its legacy twin.

    Args:
        current: Calls the current route.
        legacy: Calls its legacy twin.
        name: The chatbot's name, to tell "no such chatbot" from "no such route".

    Returns:
        The result, and whether the legacy route gave it.
    """
    try:
        return await current(), False
    except NotFoundError as missing:
        if not missing._unknown_route:
            raise  # the route answered: the chatbot itself does not exist
        try:
            return await legacy(), True
        except NotFoundError as also_missing:
            raise _more_telling(missing, also_missing, name) from None


def _more_telling(current: NotFoundError, legacy: NotFoundError, name: str) -> NotFoundError:
    """Of two not-found errors, the one about the chatbot rather than about the route.

    The route that exists says it has no chatbot of that name; the one that does not exist
    says nothing about the name ("Not Found", "Unknown kind 'llmclient'"), in JSON or not.
    """
    named = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
    for error in (current, legacy):
        if named.search(error.message):
            return error
    # Neither names it (v0.10 answers a missing chatbot with a bare AttributeError): the
    # answer of the route that exists, with the name the caller asked for.
    chosen = legacy if current._unknown_route and not legacy._unknown_route else current
    error = NotFoundError(
        f"No chatbot named {name!r}: {chosen.message}", response=chosen.response, body=chosen.body
    )
    error._permanent = True
    return error


class Described:
    """What both kinds of chatbot object read from their manifest."""

    manifest: ChatbotManifest

    @property
    def name(self) -> str:
        """The name of the chatbot."""
        return self.manifest.name

    @property
    def description(self) -> str | None:
        """What the chatbot is for."""
        return self.manifest.description

    @property
    def version(self) -> str | None:
        """The version of its manifest."""
        return self.manifest.version

    @property
    def kind(self) -> str:
        """``"LLMClient"`` on current servers, ``"Chatbot"`` on older ones."""
        return self.manifest.kind

    @property
    def spec(self) -> dict[str, Any]:
        """Its configuration, as sent."""
        return self.manifest.spec

    @property
    def status(self) -> dict[str, Any]:
        """What the server reports about it, as sent."""
        return self.manifest.status

    def to_dict(self) -> dict[str, Any]:
        """The manifest, as sent."""
        return self.manifest.to_dict()

    def to_json(self, indent: int | None = 2) -> str:
        """The manifest as a JSON document."""
        return self.manifest.to_json(indent)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} kind={self.kind!r}>"


class AsyncChatbot(Described):
    """A chatbot of the Smarter platform, bound to the client that described it.

    It keeps the conversation: the first :meth:`prompt` starts a session, later ones
    continue it (``new_session=True`` starts over).

    .. versionadded:: 0.2.0
    """

    def __init__(
        self,
        client_resource: AsyncChatbots,
        manifest: ChatbotManifest,
        *,
        uid: str,
        legacy: bool,
        session_key: str | None = None,
    ) -> None:
        self._resource = client_resource
        self.manifest = manifest
        """The manifest the server described the chatbot with."""
        self.uid = uid
        """The id of the session owner sent with every prompt."""
        self._legacy = legacy
        self._session_key = session_key

    @property
    def session_key(self) -> str | None:
        """The key of the current conversation, once a prompt started one."""
        return self._session_key

    @property
    def with_raw_response(self) -> AsyncRawResponses[AsyncChatbot]:
        """:meth:`prompt`, returning a :class:`~smarter.RawResponse`.

        .. versionadded:: 0.3.0
        """
        return AsyncRawResponses(self)

    async def prompt(
        self,
        message: str,
        /,
        *,
        new_session: bool = False,
        **options: Unpack[RequestOptions],
    ) -> ChatbotResponse:
        """Send *message* and return the reply (``str(reply)`` is its text).

        Args:
            message: What to say.
            new_session: Start a new conversation instead of continuing this one.
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``extra_body``.
        """
        start = new_session or self._session_key is None
        reply = await self._send(message, None if start else self._session_key, options)
        self._session_key = reply.session_key or self._session_key
        return reply

    async def _send(
        self, message: str, session_key: str | None, options: Mapping[str, Any]
    ) -> ChatbotResponse:
        """Send one prompt, in the conversation of *session_key* or (None) a new one."""
        body: dict[str, object] = {"prompt": check_str(message, "message")}
        if session_key is not None:
            body["session_key"] = session_key
        resource = self._resource
        name = path_segment(self.name, "name")
        query = {"uid": self.uid, "new_session": session_key is None}

        def send(route: str) -> Callable[[], Awaitable[ChatbotResponse]]:
            return lambda: resource._call(
                "POST",
                f"cli/{route}/{name}/",
                ChatbotResponse,
                options,
                query=query,
                json=body,
                envelope=True,
                # A prompt sent twice is answered twice, and the conversation holds both.
                creates="the chatbot's conversation (a next prompt continues it)",
            )

        if self._legacy:
            return await send("chat")()
        reply, self._legacy = await _with_legacy_fallback(send("prompt"), send("chat"), self.name)
        return reply

    async def _prompt_alone(
        self, *, message: str, **options: Unpack[RequestOptions]
    ) -> ChatbotResponse:
        """The single call of :meth:`prompt_many`: a prompt in a conversation of its own."""
        return await self._send(message, None, options)

    def prompt_many(
        self,
        messages: Iterable[str | Mapping[str, Any]] | AsyncIterable[str | Mapping[str, Any]],
        *,
        concurrency: int = 32,
        max_requests_per_minute: float | None = None,
        max_tokens_per_minute: float | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        ordered: bool = True,
    ) -> AsyncRun[ChatbotResponse]:
        """Send many prompts, each in a conversation of its own; paced, recorded, resumable.

        Each item is a message, or a dict ``{"message": ..., "timeout": ...}`` (the message
        and per-call options). Prompts sent side by side cannot share a conversation, so
        each starts a new one (its reply's ``session_key`` continues it:
        ``chatbots.get(name=, session_key=)``); this chatbot's own conversation is left as
        it is. A prompt creates something (a turn of a conversation): it is sent again only
        when the server provably did not act (a 429, a refused connection), never after a
        503 or a timeout. The run's settings are those of
        :meth:`AsyncCompletions.create_many
        <smarter.resources.completions.AsyncCompletions.create_many>`; it returns an
        :class:`~smarter.AsyncRun` of :class:`~smarter.Outcome`.

        .. versionadded:: 0.3.0
        """
        return run_many(
            self._prompt_alone,
            messages,
            namespace=f"chatbot:{self.name}",
            normalise=lambda item: {"message": item} if isinstance(item, str) else item,
            concurrency=concurrency,
            max_requests_per_minute=max_requests_per_minute,
            max_tokens_per_minute=max_tokens_per_minute,
            checkpoint=checkpoint,
            ordered=ordered,
        )


class AsyncChatbots(AsyncAPIResource):
    """``client.resources.chatbots``."""

    _service = "platform"

    @property
    def uid(self) -> str:
        """The session owner id sent with prompts: one per client unless given."""
        return self._client._chatbot_uid

    async def get(
        self,
        *,
        name: str,
        uid: str | None = None,
        session_key: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncChatbot:
        """Describe the chatbot *name* and return it, ready to :meth:`~AsyncChatbot.prompt`.

        Args:
            name: The chatbot's name.
            uid: The session owner id to prompt with (default: one per client).
            session_key: A conversation to continue (an earlier reply's ``session_key``,
                sent with the same *uid*); default: the first prompt starts a new one.
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``extra_body``.

        Raises:
            NotFoundError: there is no chatbot of that name.
        """
        query = {"name": check_str(name, "name")}

        def describe(kind: str) -> Callable[[], Awaitable[ChatbotManifest]]:
            return lambda: self._call(
                "POST",
                f"cli/describe/{kind}/",
                ChatbotManifest,
                options,
                query=query,
                envelope=True,
            )

        manifest, legacy = await _with_legacy_fallback(
            describe("llmclient"), describe("chatbot"), name
        )
        return AsyncChatbot(
            self,
            manifest,
            uid=uid if uid is not None else self.uid,
            legacy=legacy,
            session_key=None if session_key is None else check_str(session_key, "session_key"),
        )


class AsyncResources(AsyncAPIResource):
    """``client.resources``: the Smarter platform's resources."""

    _service = "platform"

    @cached_property
    def chatbots(self) -> AsyncChatbots:
        """Chatbots (LLM clients)."""
        return AsyncChatbots(self._client)
