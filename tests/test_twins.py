"""Every async resource method has a blocking twin with the same signature and sync results."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

import pytest

import smarter
import smarter.resources
from smarter.resources.chatbots import Chatbot
from smarter.testing import ReferenceServer


def _resource_modules() -> Iterator[Any]:
    for info in pkgutil.iter_modules(smarter.resources.__path__):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"smarter.resources.{info.name}")


def _pairs() -> list[tuple[type, type]]:
    """Every ``Async<Name>`` class of smarter.resources with its ``<Name>``, and the clients."""
    pairs: list[tuple[type, type]] = [(smarter.AsyncClient, smarter.Client)]
    for module in _resource_modules():
        for name, cls in vars(module).items():
            if (
                isinstance(cls, type)
                and name.startswith("Async")
                and cls.__module__ == module.__name__
            ):
                pairs.append((cls, getattr(module, name.removeprefix("Async"))))
    return pairs


PAIRS = _pairs()


def _public(cls: type, kind: type | tuple[type, ...]) -> dict[str, Any]:
    """The public attributes of ``kind`` (functions or cached properties) defined on ``cls``."""
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if not name.startswith("_") and isinstance(value, kind):
                found[name] = value
    return found


def _methods(cls: type) -> dict[str, Callable[..., Any]]:
    methods = _public(cls, type(_public))  # plain functions
    if cls is smarter.AsyncClient:
        # The client's own methods that are not requests: lifecycle and options.
        methods = {name: fn for name, fn in methods.items() if name == "whoami"}
    return methods


def _parameters(fn: Callable[..., Any]) -> list[tuple[str, Any, Any, str]]:
    return [
        (p.name, p.kind, p.default, str(p.annotation))
        for p in inspect.signature(fn).parameters.values()
    ]


def _pair_id(pair: tuple[type, type]) -> str:
    return pair[0].__name__


class TestDiscovery:
    def test_every_resource_found(self) -> None:
        """The walk finds every resource of API.md, the clients and the chatbot."""
        assert sorted(cls.__name__ for cls, _ in PAIRS) == [
            "AsyncChat",
            "AsyncChatCompletions",
            "AsyncChatbot",
            "AsyncChatbots",
            "AsyncClient",
            "AsyncCompletions",
            "AsyncFiles",
            "AsyncFineTuning",
            "AsyncJobs",
            "AsyncModels",
            "AsyncResources",
            "AsyncResponses",
        ]


class TestSignatures:
    @pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
    def test_same_methods(self, pair: tuple[type, type]) -> None:
        """The sync class has every public method of the async one."""
        async_cls, sync_cls = pair

        assert set(_methods(async_cls)) <= set(dir(sync_cls))

    @pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
    def test_same_parameters(self, pair: tuple[type, type]) -> None:
        """Each twin takes the same parameters: names, kinds, defaults, annotations."""
        async_cls, sync_cls = pair

        mismatched = {
            name: (_parameters(fn), _parameters(getattr(sync_cls, name)))
            for name, fn in _methods(async_cls).items()
            if _parameters(fn) != _parameters(getattr(sync_cls, name))
        }

        assert mismatched == {}

    @pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
    def test_same_attributes(self, pair: tuple[type, type]) -> None:
        """Sub-resources (client.chat.completions, ...) and properties exist on both sides."""
        async_cls, sync_cls = pair

        missing = set(_public(async_cls, (cached_property, property))) - set(dir(sync_cls))

        assert missing == set()

    def test_sync_return_annotations(self) -> None:
        """Derived twins announce the blocking forms: SyncPage, Stream, no coroutine."""
        from smarter.resources.completions import Completions
        from smarter.resources.files import Files

        assert (
            inspect.signature(Files.list).return_annotation,
            inspect.signature(Completions.stream).return_annotation,
            inspect.signature(Files.create).return_annotation,
        ) == ("SyncPage[GetFileResponse]", "Stream[CompletionStreamResponse]", "UploadFileResponse")

    def test_docstrings_kept(self) -> None:
        """A derived twin keeps the async method's docstring and name."""
        from smarter.resources.files import AsyncFiles, Files

        assert (Files.create.__doc__, Files.create.__name__) == (
            AsyncFiles.create.__doc__,
            "create",
        )


class TestRuntimeForms:
    def test_sync_twins_return_sync_forms(self) -> None:
        """Streams, pages and chatbots of the sync client are Stream, SyncPage and Chatbot."""
        with (
            ReferenceServer.in_thread() as server,
            smarter.Client(base_url=server.url, api_key=server.api_key) as client,
        ):
            stream = client.completions.stream(model="example-model", prompt="hi", max_new_tokens=2)
            chat = client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            pages = [client.files.list(), client.models.list(), client.fine_tuning.jobs.list()]
            bot = client.resources.chatbots.get(name="example")
            chunks = list(stream) + list(chat)

            assert (type(stream), type(chat)) == (smarter.Stream, smarter.Stream)
            assert [type(page) for page in pages] == [smarter.SyncPage] * 3
            assert (type(bot), type(bot.prompt("hi")).__name__) == (Chatbot, "ChatbotResponse")
            assert len(chunks) == 2 + 18

    async def test_async_forms(self, make_client: Callable[..., Any]) -> None:
        """The async client's streams and paginators are AsyncStream and AsyncPaginator."""
        from smarter._pagination import AsyncPaginator
        from smarter.resources.chatbots import AsyncChatbot

        client = make_client("async")
        stream = client.completions.stream(model="example-model", prompt="hi")
        await stream.close()

        assert (type(stream), type(client.files.list())) == (smarter.AsyncStream, AsyncPaginator)
        assert type(await client.resources.chatbots.get(name="example")) is AsyncChatbot
