"""Every async resource has a derived blocking twin with the same signatures and sync results.

The pairs are not listed by hand: they are found by walking the clients. From
``(AsyncClient, Client)``, each sub-resource accessor of an async class (a cached property)
leads to the async class it returns and to the class the sync side's accessor of the same
name returns; a method whose result has a registered twin (a chatbot) leads to that pair.
"""

from __future__ import annotations

import ast
import inspect
import traceback
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

import pytest

import smarter
from smarter import _blocking, _sync, _twins
from smarter.testing import ReferenceServer


def _names() -> dict[str, Any]:
    """Every class of smarter.resources and smarter.types, to resolve annotations with."""
    import importlib
    import pkgutil

    import smarter.resources
    import smarter.types

    found: dict[str, Any] = {name: getattr(smarter.types, name) for name in smarter.types.__all__}
    for info in pkgutil.iter_modules(smarter.resources.__path__):
        found.update(vars(importlib.import_module(f"smarter.resources.{info.name}")))
    found.update(vars(_twins))
    return {name: value for name, value in found.items() if isinstance(value, type)}


NAMES = _names()


def _returns(fn: Callable[..., Any]) -> Any:
    """What *fn* is annotated to return, resolved (None when it names no known class)."""
    import sys

    annotation = fn.__annotations__.get("return")
    if not isinstance(annotation, str):
        return annotation
    namespace = {**vars(sys.modules[fn.__module__]), **NAMES}
    try:
        return eval(annotation, namespace)  # our own annotations, as typing would read them
    except NameError:
        return None


def _async_accessors(cls: type) -> dict[str, type]:
    """The sub-resources of an async class: each cached property and the class it returns."""
    found: dict[str, type] = {}
    for name, value in vars(cls).items():
        if isinstance(value, cached_property) and not name.startswith("_"):
            found[name] = _returns(value.func)
    return found


def _sync_accessor(cls: type, name: str) -> type:
    """The class the sync side's accessor *name* returns, read from its descriptor."""
    value = inspect.getattr_static(cls, name)
    if isinstance(value, _sync._resource):
        resolved: type = getattr(_twins, value._twin_name)
        return resolved
    if isinstance(value, _blocking.twin):
        return value._cls  # type: ignore[no-any-return]
    if isinstance(value, property):
        assert value.fget is not None
        return _returns(value.fget)  # type: ignore[no-any-return]
    raise AssertionError(f"{cls.__name__}.{name} is not a derived accessor: {value!r}")


def _walk() -> Iterator[tuple[type, type]]:
    seen: set[type] = set()
    todo: list[tuple[type, type]] = [(smarter.AsyncClient, smarter.Client)]
    while todo:
        pair = todo.pop()
        if pair[0] in seen:
            continue
        seen.add(pair[0])
        yield pair
        async_cls, sync_cls = pair
        todo.extend(
            (sub, _sync_accessor(sync_cls, name))
            for name, sub in _async_accessors(async_cls).items()
        )
        for fn in _methods(async_cls).values():
            result = _returns(fn)
            if isinstance(result, type) and result in _blocking._TWINS:
                todo.append((result, _blocking._TWINS[result]))


def _methods(cls: type) -> dict[str, Callable[..., Any]]:
    """The public request methods an async class defines (and inherits from its bases).

    Plain methods of a mixin both sides share (a chatbot's ``to_dict()``) are no requests.
    """
    from smarter.resources.chatbots import Described

    found: dict[str, Callable[..., Any]] = {}
    for klass in reversed(cls.__mro__):
        if klass is Described:
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_") and inspect.isfunction(value):
                found[name] = value
    if cls is smarter.AsyncClient:
        found = {
            name: fn
            for name, fn in found.items()
            if name in ("whoami", "version", "status", "request")
        }
    return found


def _parameters(fn: Callable[..., Any]) -> list[tuple[str, Any, Any, str]]:
    return [
        (p.name, p.kind, p.default, str(p.annotation))
        for p in inspect.signature(fn).parameters.values()
    ]


PAIRS = sorted(_walk(), key=lambda pair: pair[0].__name__)


def _pair_id(pair: tuple[type, type]) -> str:
    return pair[0].__name__


class TestDiscovery:
    def test_every_resource_found(self) -> None:
        """The walk from the clients reaches every resource of API.md and the chatbot."""
        assert [(a.__name__, s.__name__) for a, s in PAIRS] == [
            ("AsyncBatchCompletions", "BatchCompletions"),
            ("AsyncChat", "Chat"),
            ("AsyncChatCompletions", "ChatCompletions"),
            ("AsyncChatbot", "Chatbot"),
            ("AsyncChatbots", "Chatbots"),
            ("AsyncClient", "Client"),
            ("AsyncCompletions", "Completions"),
            ("AsyncFiles", "Files"),
            ("AsyncFineTuning", "FineTuning"),
            ("AsyncJobs", "Jobs"),
            ("AsyncManifests", "Manifests"),
            ("AsyncModels", "Models"),
            ("AsyncResources", "Resources"),
            ("AsyncResponses", "Responses"),
        ]

    def test_every_twin_is_reached(self) -> None:
        """Every blocking twin class in smarter._twins is the twin of a resource found."""
        twins = {
            cls
            for cls in vars(_twins).values()
            if isinstance(cls, type)
            and issubclass(cls, _blocking.SyncResource)
            and cls is not _blocking.SyncResource
        }

        assert twins == {sync for _, sync in PAIRS} - {smarter.Client}


class TestSignatures:
    @pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
    def test_every_method_is_derived(self, pair: tuple[type, type]) -> None:
        """Each twin method is blocking(<the async method>), never written by hand."""
        async_cls, sync_cls = pair

        underived = {
            name: getattr(sync_cls, name, None)
            for name, fn in _methods(async_cls).items()
            if getattr(getattr(sync_cls, name, None), "__wrapped__", None) is not fn
        }

        assert underived == {}

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
    def test_same_properties(self, pair: tuple[type, type]) -> None:
        """Every public property and sub-resource of the async class exists on its twin."""
        async_cls, sync_cls = pair
        public = {
            name
            for klass in async_cls.__mro__
            for name, value in vars(klass).items()
            if not name.startswith("_") and isinstance(value, cached_property | property)
        }

        assert public - set(dir(sync_cls)) == set()

    def test_sync_return_annotations(self) -> None:
        """Derived twins announce the blocking forms: SyncPage, Stream, no coroutine."""
        assert (
            inspect.signature(_twins.Files.list).return_annotation,
            inspect.signature(_twins.Completions.stream).return_annotation,
            inspect.signature(_twins.Files.create).return_annotation,
        ) == ("SyncPage[GetFileResponse]", "Stream[CompletionStreamResponse]", "UploadFileResponse")

    def test_docstrings_kept(self) -> None:
        """A derived twin keeps the async method's docstring and name."""
        from smarter.resources.files import AsyncFiles

        assert (_twins.Files.create.__doc__, _twins.Files.create.__name__) == (
            AsyncFiles.create.__doc__,
            "create",
        )


class TestClients:
    def test_same_constructor(self) -> None:
        """Client takes every argument of AsyncClient but the caller's own aiohttp session."""
        async_parameters = _parameters(smarter.AsyncClient.__init__)
        sync_parameters = _parameters(smarter.Client.__init__)

        assert [p for p in async_parameters if p[0] != "http_session"] == sync_parameters

    def test_same_with_options(self) -> None:
        """with_options() takes the same arguments on both clients."""
        assert _parameters(smarter.AsyncClient.with_options) == _parameters(
            smarter.Client.with_options
        )

    def test_options_are_mirrored(self) -> None:
        """Every option property of AsyncClient reads the same on Client."""
        with smarter.Client(api_key="k", timeout=3.0, default_headers={"X-A": "1"}) as client:
            names = [
                name
                for name, value in vars(smarter.AsyncClient).items()
                if isinstance(value, property) and not name.startswith("_")
            ]

            assert {name: getattr(client, name) for name in names} == {
                name: getattr(client._async, name) for name in names
            }


class TestRuntimeForms:
    def test_sync_twins_return_sync_forms(self) -> None:
        """Streams, pages and chatbots of the sync client are Stream, SyncPage and Chatbot."""
        with (
            ReferenceServer.in_thread() as server,
            smarter.Client(**server.client_kwargs()) as client,
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
            assert (type(bot), type(bot.prompt("hi")).__name__) == (
                smarter.Chatbot,
                "ChatbotResponse",
            )
            assert len(chunks) == 2 + 18

    async def test_async_forms(self, make_client: Callable[..., Any]) -> None:
        """The async client's streams and paginators are AsyncStream and AsyncPaginator."""
        from smarter._pagination import AsyncPaginator

        client = make_client("async")
        stream = client.completions.stream(model="example-model", prompt="hi")
        await stream.close()

        assert (type(stream), type(client.files.list())) == (smarter.AsyncStream, AsyncPaginator)
        assert type(await client.resources.chatbots.get(name="example")) is smarter.AsyncChatbot

    def test_wrong_argument_named_in_the_callers_terms(self, server: ReferenceServer) -> None:
        """A wrong keyword to a blocking method says so without a trip through the loop."""
        with (
            smarter.Client(**server.client_kwargs()) as client,
            pytest.raises(TypeError) as caught,
        ):
            client.files.get()  # type: ignore[call-arg]

        assert str(caught.value) == "Files.get(): missing a required argument: 'file_id'"
        assert server.requests == []

    def test_misspelt_option_named_in_the_callers_terms(self, server: ReferenceServer) -> None:
        """A keyword no call option knows names the blocking method, short of the loop."""
        with (
            smarter.Client(**server.client_kwargs()) as client,
            pytest.raises(TypeError) as caught,
        ):
            client.completions.create(model="m", prompt="x", max_new_tokenz=5)  # type: ignore[call-arg]

        assert str(caught.value).startswith(
            "Completions.create(): got an unexpected keyword argument 'max_new_tokenz'"
        )
        assert caught.value.__traceback__ is not None
        assert "_portal" not in "".join(
            frame.f_code.co_filename for frame, _ in traceback.walk_tb(caught.value.__traceback__)
        )
        assert server.requests == []


def _defs(tree: ast.Module, class_name: str, method: str) -> list[ast.FunctionDef]:
    """The definitions of *method* in *class_name* (overloads included), in source order."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return [
                child
                for child in ast.walk(node)
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                and child.name == method
                and ast.unparse(child.args)
                not in ("self, **arguments: Any", "self, *arguments: Any, **keywords: Any")
            ]
    return []


class TestTypeCheckerStubs:
    @pytest.mark.parametrize(
        ("sync_name", "method"),
        [
            ("ChatCompletions", "create"),
            ("ChatCompletions", "parse"),
            ("Responses", "create"),
            ("Chatbots", "get"),
            ("Client", "request"),
        ],
    )
    def test_stubs_match_the_async_signatures(self, sync_name: str, method: str) -> None:
        """The blocking overloads written for type checkers take what the async method takes."""
        import importlib

        async_cls = next(a for a, s in PAIRS if s.__name__ == sync_name)
        client = sync_name == "Client"  # (AsyncClient.request is AnyRoute's, in _any_route)
        module = importlib.import_module("smarter._any_route" if client else async_cls.__module__)
        owner = "AnyRoute" if client else async_cls.__name__
        async_defs = _defs(ast.parse(inspect.getsource(module)), owner, method)
        sync_module = _sync if client else _twins
        stub_defs = _defs(ast.parse(inspect.getsource(sync_module)), sync_name, method)
        if len(async_defs) > 1:  # overloads and their implementation: compare the overloads
            async_defs = async_defs[:-1]

        assert [ast.unparse(d.args) for d in stub_defs] == [ast.unparse(d.args) for d in async_defs]
