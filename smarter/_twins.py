"""The blocking twins of every resource, derived from the async ones: one line a method.

Each class here is the blocking face of an async resource class of :mod:`smarter.resources`;
its methods are ``blocking(Async<Name>.<method>)`` and its sub-resources ``twin(<Name>)``,
nothing else (``tests/test_twins.py`` derives the pairs and holds them to this). The module
is imported when a blocking client first reaches a resource.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from smarter._blocking import SyncResource, blocking, register_twin, twin
from smarter.resources.batch_completions import AsyncBatchCompletions
from smarter.resources.chat import AsyncChat, AsyncChatCompletions
from smarter.resources.chatbots import AsyncChatbot, AsyncChatbots, AsyncResources, Described
from smarter.resources.completions import AsyncCompletions
from smarter.resources.files import AsyncFiles
from smarter.resources.fine_tuning import AsyncFineTuning, AsyncJobs
from smarter.resources.manifests import AsyncManifests
from smarter.resources.models import AsyncModels
from smarter.resources.responses import AsyncResponses

if TYPE_CHECKING:
    from smarter._blocking import Stream
    from smarter._portal import Portal
    from smarter._request import RequestOptions, Unpack
    from smarter.types.chat import ChatCompletion, ChatCompletionChunk, ParsedChatCompletion
    from smarter.types.chat_params import (
        ChatCompletionMessageParam,
        ChatCompletionStreamOptionsParam,
        ChatCompletionToolChoiceOptionParam,
        ChatCompletionToolParam,
        ResponseFormat,
    )
    from smarter.types.response_events import ResponseStreamEvent
    from smarter.types.responses import Response, ResponseInputItemParam, ResponseTextConfig

T = TypeVar("T")

__all__ = [
    "BatchCompletions",
    "Chat",
    "ChatCompletions",
    "Chatbot",
    "Chatbots",
    "Completions",
    "Files",
    "FineTuning",
    "Jobs",
    "Manifests",
    "Models",
    "Resources",
    "Responses",
]


class Completions(SyncResource[AsyncCompletions]):
    """``client.completions``: text completions of an LLM Engine model endpoint."""

    create = blocking(AsyncCompletions.create)
    stream = blocking(AsyncCompletions.stream)
    create_many = blocking(AsyncCompletions.create_many)


class ChatCompletions(SyncResource[AsyncChatCompletions]):
    """``client.chat.completions``."""

    if TYPE_CHECKING:
        # The overloads of the async methods, in blocking form, for type checkers only.
        @overload
        def create(
            self,
            *,
            model: str,
            messages: Iterable[ChatCompletionMessageParam],
            response_format: ResponseFormat | Mapping[str, Any] | None = None,
            tools: Iterable[ChatCompletionToolParam] | None = None,
            tool_choice: ChatCompletionToolChoiceOptionParam | None = None,
            parallel_tool_calls: bool | None = None,
            temperature: float | None = None,
            top_p: float | None = None,
            max_tokens: int | None = None,
            max_completion_tokens: int | None = None,
            stop: str | Sequence[str] | None = None,
            n: int | None = None,
            seed: int | None = None,
            user: str | None = None,
            logprobs: bool | None = None,
            top_logprobs: int | None = None,
            stream: Literal[False] = False,
            stream_options: ChatCompletionStreamOptionsParam | None = None,
            **options: Unpack[RequestOptions],
        ) -> ChatCompletion: ...
        @overload
        def create(
            self,
            *,
            model: str,
            messages: Iterable[ChatCompletionMessageParam],
            response_format: ResponseFormat | Mapping[str, Any] | None = None,
            tools: Iterable[ChatCompletionToolParam] | None = None,
            tool_choice: ChatCompletionToolChoiceOptionParam | None = None,
            parallel_tool_calls: bool | None = None,
            temperature: float | None = None,
            top_p: float | None = None,
            max_tokens: int | None = None,
            max_completion_tokens: int | None = None,
            stop: str | Sequence[str] | None = None,
            n: int | None = None,
            seed: int | None = None,
            user: str | None = None,
            logprobs: bool | None = None,
            top_logprobs: int | None = None,
            stream: Literal[True],
            stream_options: ChatCompletionStreamOptionsParam | None = None,
            **options: Unpack[RequestOptions],
        ) -> Stream[ChatCompletionChunk]: ...
        def create(self, **arguments: Any) -> Any: ...

        @overload
        def parse(
            self,
            *,
            model: str,
            messages: Iterable[ChatCompletionMessageParam],
            response_format: type[T],
            tools: Iterable[ChatCompletionToolParam] | None = None,
            tool_choice: ChatCompletionToolChoiceOptionParam | None = None,
            parallel_tool_calls: bool | None = None,
            temperature: float | None = None,
            top_p: float | None = None,
            max_tokens: int | None = None,
            max_completion_tokens: int | None = None,
            stop: str | Sequence[str] | None = None,
            n: int | None = None,
            seed: int | None = None,
            user: str | None = None,
            logprobs: bool | None = None,
            top_logprobs: int | None = None,
            **options: Unpack[RequestOptions],
        ) -> ParsedChatCompletion[T]: ...
        @overload
        def parse(
            self,
            *,
            model: str,
            messages: Iterable[ChatCompletionMessageParam],
            response_format: Mapping[str, Any],
            tools: Iterable[ChatCompletionToolParam] | None = None,
            tool_choice: ChatCompletionToolChoiceOptionParam | None = None,
            parallel_tool_calls: bool | None = None,
            temperature: float | None = None,
            top_p: float | None = None,
            max_tokens: int | None = None,
            max_completion_tokens: int | None = None,
            stop: str | Sequence[str] | None = None,
            n: int | None = None,
            seed: int | None = None,
            user: str | None = None,
            logprobs: bool | None = None,
            top_logprobs: int | None = None,
            **options: Unpack[RequestOptions],
        ) -> ParsedChatCompletion[Any]: ...
        def parse(self, **arguments: Any) -> Any: ...
    else:
        create = blocking(AsyncChatCompletions.create)
        parse = blocking(AsyncChatCompletions.parse)

    create_many = blocking(AsyncChatCompletions.create_many)


class Responses(SyncResource[AsyncResponses]):
    """``client.responses`` (also ``client.chat.responses``)."""

    if TYPE_CHECKING:
        # The overloads of the async method, in blocking form, for type checkers only.
        @overload
        def create(
            self,
            *,
            model: str,
            input: str | Iterable[ResponseInputItemParam],
            instructions: str | None = None,
            text: ResponseTextConfig | None = None,
            response_format: ResponseFormat | None = None,
            temperature: float | None = None,
            max_output_tokens: int | None = None,
            stream: Literal[False] = False,
            **options: Unpack[RequestOptions],
        ) -> Response: ...
        @overload
        def create(
            self,
            *,
            model: str,
            input: str | Iterable[ResponseInputItemParam],
            instructions: str | None = None,
            text: ResponseTextConfig | None = None,
            response_format: ResponseFormat | None = None,
            temperature: float | None = None,
            max_output_tokens: int | None = None,
            stream: Literal[True],
            **options: Unpack[RequestOptions],
        ) -> Stream[ResponseStreamEvent]: ...
        def create(self, **arguments: Any) -> Any: ...
    else:
        create = blocking(AsyncResponses.create)


class Chat(SyncResource[AsyncChat]):
    """``client.chat``: ``completions`` and ``responses``."""

    completions = twin(ChatCompletions)
    responses = twin(Responses)


class Chatbot(Described, SyncResource[AsyncChatbot]):
    """A chatbot of the Smarter platform; :meth:`prompt` blocks.

    .. versionadded:: 0.2.0
    """

    def __init__(self, chatbot: AsyncChatbot, portal: Portal) -> None:
        super().__init__(chatbot, portal)
        self.manifest = chatbot.manifest
        """The manifest the server described the chatbot with."""

    @property
    def uid(self) -> str:
        """The id of the session owner sent with every prompt."""
        return self._async.uid

    @property
    def session_key(self) -> str | None:
        """The key of the current conversation, once a prompt started one."""
        return self._async.session_key

    prompt = blocking(AsyncChatbot.prompt)
    prompt_many = blocking(AsyncChatbot.prompt_many)


register_twin(AsyncChatbot, Chatbot)


class Chatbots(SyncResource[AsyncChatbots]):
    """``client.resources.chatbots``."""

    @property
    def uid(self) -> str:
        """The session owner id sent with prompts: one per client unless given."""
        return self._async.uid

    if TYPE_CHECKING:
        # The async method returns an AsyncChatbot; its blocking twin a Chatbot.
        def get(
            self,
            *,
            name: str,
            uid: str | None = None,
            session_key: str | None = None,
            **options: Unpack[RequestOptions],
        ) -> Chatbot: ...
    else:
        get = blocking(AsyncChatbots.get)


class Resources(SyncResource[AsyncResources]):
    """``client.resources``: the Smarter platform's resources."""

    chatbots = twin(Chatbots)


class Manifests(SyncResource[AsyncManifests]):
    """``client.manifests``: the Smarter platform's manifests."""

    apply = blocking(AsyncManifests.apply)
    plan = blocking(AsyncManifests.plan)
    validate = blocking(AsyncManifests.validate)
    get = blocking(AsyncManifests.get)
    describe = blocking(AsyncManifests.describe)
    delete = blocking(AsyncManifests.delete)
    deploy = blocking(AsyncManifests.deploy)
    undeploy = blocking(AsyncManifests.undeploy)
    logs = blocking(AsyncManifests.logs)
    example = blocking(AsyncManifests.example)
    schema = blocking(AsyncManifests.schema)


class Files(SyncResource[AsyncFiles]):
    """``client.files``."""

    create = blocking(AsyncFiles.create)
    list = blocking(AsyncFiles.list)
    get = blocking(AsyncFiles.get)
    content = blocking(AsyncFiles.content)
    delete = blocking(AsyncFiles.delete)


class Jobs(SyncResource[AsyncJobs]):
    """``client.fine_tuning.jobs``."""

    create = blocking(AsyncJobs.create)
    list = blocking(AsyncJobs.list)
    get = blocking(AsyncJobs.get)
    cancel = blocking(AsyncJobs.cancel)
    events = blocking(AsyncJobs.events)
    wait = blocking(AsyncJobs.wait)


class FineTuning(SyncResource[AsyncFineTuning]):
    """``client.fine_tuning``."""

    jobs = twin(Jobs)


class Models(SyncResource[AsyncModels]):
    """``client.models``."""

    list = blocking(AsyncModels.list)
    get = blocking(AsyncModels.get)
    delete = blocking(AsyncModels.delete)
    download = blocking(AsyncModels.download)
    create = blocking(AsyncModels.create)
    update = blocking(AsyncModels.update)
    wait_until_ready = blocking(AsyncModels.wait_until_ready)


class BatchCompletions(SyncResource[AsyncBatchCompletions]):
    """``client.batch_completions``.

    .. versionadded:: 0.3.0
    """

    create = blocking(AsyncBatchCompletions.create)
    get = blocking(AsyncBatchCompletions.get)
    cancel = blocking(AsyncBatchCompletions.cancel)
    update = blocking(AsyncBatchCompletions.update)
    wait = blocking(AsyncBatchCompletions.wait)
