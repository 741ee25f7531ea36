"""``with_raw_response`` on every resource, and ``_response_headers`` on results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from helpers import collect, run

import smarter
from smarter.testing import Fault, ReferenceServer
from smarter.types import (
    ChatbotResponse,
    ChatCompletion,
    CompletionSyncResponse,
    GetFileResponse,
)

AnyClient = smarter.AsyncClient | smarter.Client
MESSAGES = [{"role": "user", "content": "Hi"}]
RATE = {"x-ratelimit-remaining-requests": "41", "x-ratelimit-reset-tokens": "6m0s"}


async def upload(client: AnyClient) -> str:
    """The id of a file uploaded to the server."""
    return str((await run(client.files.create(file=b"a,b\n", purpose="fine-tune"))).id)


#: (resource path, method, arguments): one call of every resource method that answers JSON.
CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("completions", "create", {"model": "example-model", "prompt": "Hi"}),
    ("chat.completions", "create", {"model": "m", "messages": MESSAGES}),
    ("chat.completions", "parse", {"model": "m", "messages": MESSAGES, "response_format": {}}),
    ("responses", "create", {"model": "m", "input": "Hi"}),
    ("chat.responses", "create", {"model": "m", "input": "Hi"}),
    ("resources.chatbots", "get", {"name": "example"}),
    ("files", "list", {}),
    ("models", "get", {"args": ("example-model",)}),
    ("models", "list", {}),
    ("models", "download", {"args": ("example-model",)}),
    ("fine_tuning.jobs", "list", {}),
]


def resource(client: AnyClient, path: str) -> Any:
    """The resource at a dotted path of the client."""
    found: Any = client
    for name in path.split("."):
        found = getattr(found, name)
    return found


class TestEveryResource:
    @pytest.mark.parametrize(("path", "method", "arguments"), CALLS, ids=str)
    async def test_raw_response(
        self, client: AnyClient, path: str, method: str, arguments: dict[str, Any]
    ) -> None:
        """Each method's raw form has the status, headers, request id and the usual result."""
        arguments = dict(arguments)
        args = arguments.pop("args", ())
        plain = await run(getattr(resource(client, path), method)(*args, **arguments))

        raw = await run(
            getattr(resource(client, path).with_raw_response, method)(*args, **arguments)
        )

        assert isinstance(raw, smarter.RawResponse)
        assert (raw.status_code, raw.headers["Content-Type"]) == (200, "application/json")
        assert type(raw.parse()) is type(plain)
        assert raw.request_id == raw.http_response.request_id
        assert raw.content.startswith(b"{")

    async def test_files_and_jobs(self, client: AnyClient) -> None:
        """Raw forms of files get, content, delete and of fine-tuning jobs create to events."""
        file_id = await upload(client)
        files = client.files.with_raw_response
        jobs = client.fine_tuning.jobs.with_raw_response
        job = (await run(jobs.create(model="example-model", training_file=file_id))).parse()

        raws = [
            await run(files.get(file_id)),
            await run(files.content(file_id)),
            await run(jobs.get(job.id)),
            await run(jobs.events(job.id)),
            await run(jobs.cancel(job.id)),
            await run(files.delete(file_id)),
        ]

        assert [raw.status_code for raw in raws] == [200] * 6
        assert raws[0].parse().id == file_id

    async def test_sub_resources_and_chatbots(self, client: AnyClient) -> None:
        """client.chat.with_raw_response.completions works; a chatbot's prompt too."""
        raw = await run(
            client.chat.with_raw_response.completions.create(model="m", messages=MESSAGES)
        )
        bot = await run(client.resources.chatbots.get(name="example"))
        reply = await run(bot.with_raw_response.prompt("Hello"))

        assert isinstance(raw.parse(), ChatCompletion)
        assert (reply.status_code, isinstance(reply.parse(), ChatbotResponse)) == (200, True)
        assert reply.parse().text

    async def test_stream(self, client: AnyClient, kind: str) -> None:
        """A raw stream is opened: status and headers known; parse() is the stream to read."""
        raw = await run(
            client.chat.completions.with_raw_response.create(
                model="m", messages=MESSAGES, stream=True
            )
        )

        stream = raw.parse()
        assert (raw.status_code, raw.headers["Content-Type"]) == (
            200,
            "text/event-stream; charset=utf-8",
        )
        assert type(stream) is (smarter.AsyncStream if kind == "async" else smarter.Stream)
        assert len(await collect(stream)) == 18
        assert raw.content == b""

    async def test_errors_raise_as_usual(self, client: AnyClient, server: ReferenceServer) -> None:
        """An error status raises its exception, as without with_raw_response."""
        server.inject("POST", "v1/llm/completions-sync", Fault(status=404))

        with pytest.raises(smarter.NotFoundError):
            await run(
                client.completions.with_raw_response.create(model="example-model", prompt="Hi")
            )

    async def test_unknown_names_are_refused(self, client: AnyClient) -> None:
        """A name that is no method of the resource is an AttributeError."""
        with pytest.raises(AttributeError):
            client.files.with_raw_response.nothing  # noqa: B018 (the lookup is the test)


class TestResponseHeaders:
    async def test_rate_limit_headers_on_results(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """Every top-level result keeps the response headers: rate limits readable."""
        body = {"request_id": "r", "output": {"text": "x", "num_completion_tokens": 1}}
        server.inject("POST", "v1/llm/completions-sync", Fault(status=200, body=body, headers=RATE))

        result = await run(client.completions.create(model="example-model", prompt="Hi"))

        assert isinstance(result, CompletionSyncResponse)
        assert result._response_headers["X-RateLimit-Remaining-Requests"] == "41"
        assert result.output._response_headers is None  # nested objects have none

    async def test_stream_chunks_keep_the_response(self, client: AnyClient) -> None:
        """Each chunk of a stream keeps its response's headers and request id."""
        stream = client.completions.stream(model="example-model", prompt="Hi", max_new_tokens=3)

        chunks = await collect(stream)

        assert chunks
        assert stream.response is not None
        assert all(c._response_headers is stream.response.headers for c in chunks)
        assert {c._request_id for c in chunks} == {stream.request_id} != {None}

    async def test_raw_headers_are_the_results(self, client: AnyClient) -> None:
        """The raw response's headers are the ones its parsed result keeps."""
        file_id = await upload(client)

        raw = await run(client.files.with_raw_response.get(file_id))

        result = raw.parse()
        assert isinstance(result, GetFileResponse)
        assert result._response_headers == raw.headers


async def test_sync_twin_is_derived(make_client: Callable[..., AnyClient]) -> None:
    """The blocking with_raw_response is derived from the async one, not written by hand."""
    from smarter._blocking import RawResponses

    client = make_client("sync")

    assert type(client.files.with_raw_response) is RawResponses
    assert client.files.with_raw_response.get.__doc__ == client._async.files.get.__doc__
