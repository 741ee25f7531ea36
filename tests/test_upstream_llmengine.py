"""LLM Engine bodies shaped as upstream code shapes them, served raw, read through the client.

The bodies live in ``tests/upstream/llmengine/``; ``tests/upstream/SOURCES.txt`` names, for each,
the ``scaleapi/llm-engine@a8236961`` code that fixes its shape (values are invented). Each test
serves one body with the reference server's ``Fault(status=..., body=...)`` over a real socket
and checks where a user reads it: fields, ``to_dict()``, null-vs-absent, exception and retries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import collect, run

import smarter
from smarter.testing import Fault, ReferenceServer
from smarter.types import BatchJobStatus, LLMInferenceFramework, ModelEndpointStatus, TokenOutput

AnyClient = smarter.AsyncClient | smarter.Client

UPSTREAM = Path(__file__).parent / "upstream"
HERE = UPSTREAM / "llmengine"
SSE = "text/event-stream; charset=utf-8"
MODEL = "harbor-mistral-7b"
SYNC = "v1/llm/completions-sync"
STREAM = "v1/llm/completions-stream"
CHAT = "v2/chat/completions"
ENDPOINT = "v1/llm/model-endpoints/*"


def body(name: str) -> Any:
    """The decoded JSON body of ``tests/upstream/llmengine/<name>``."""
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def events(name: str) -> list[Any]:
    """The JSON data events of an ``.sse`` body, in order (comments left out)."""
    lines = (HERE / name).read_bytes().decode("utf-8").split("\r\n")
    return [json.loads(line.removeprefix("data: ")) for line in lines if line.startswith("data: ")]


def note(name: str) -> str:
    """The note ``SOURCES.txt`` gives for ``llmengine/<name>``."""
    for line in (UPSTREAM / "SOURCES.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"llmengine/{name}\t"):
            return line.split("\t")[2]
    raise LookupError(name)


def serve(server: ReferenceServer, method: str, route: str, name: str, size: int = 0) -> None:
    """Answer the next request to ``route`` with the file ``name``, in ``size``-byte writes."""
    data, kind = (HERE / name).read_bytes(), SSE if name.endswith(".sse") else "application/json"
    fault = Fault(status=200, body=data, content_type=kind, chunk_size=size or None)
    server.inject(method, route, fault)


async def until_error(stream: Any) -> tuple[list[Any], BaseException | None]:
    """The chunks a stream of either client yields, and the error that ended it, if any."""
    chunks: list[Any] = []
    try:
        if hasattr(stream, "__aiter__"):
            async for chunk in stream:
                chunks.append(chunk)
        else:
            chunks.extend(stream)
    except smarter.APIError as exc:
        return chunks, exc
    return chunks, None


def completion_stream(client: AnyClient) -> Any:
    """A completion stream of MODEL."""
    return client.completions.stream(model=MODEL, prompt="Call me", max_new_tokens=5)


def chat(client: AnyClient, **options: Any) -> Any:
    """A chat completion (or with ``stream=True`` a stream) of MODEL."""
    messages = [{"role": "user", "content": "Hi"}]
    return client.chat.completions.create(model=MODEL, messages=messages, **options)


@pytest.fixture
def engine(kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer) -> AnyClient:
    """A client (max_retries=1) whose OpenAI-compatible base is the LLM Engine's ``v2/``."""
    return make_client(kind, max_retries=1, openai_base_url=server.llm_engine_url + "v2/")


def test_sources_list_every_body_once() -> None:
    """SOURCES.txt has a line per body file here, each citing a8236961 lines of a file."""
    rows = [line.split("\t") for line in (UPSTREAM / "SOURCES.txt").read_text().splitlines()]
    listed = {row[0]: row[1] for row in rows if row[0].startswith("llmengine/")}
    pattern = r"scaleapi/llm-engine@a8236961:model-engine/[\w/.-]+#L\d+(-L\d+)?"
    assert all(re.fullmatch(pattern, source) for source in listed.values())
    assert sorted(listed) == sorted(f"llmengine/{path.name}" for path in HERE.iterdir())


def test_chunk_files_are_the_events_of_their_streams() -> None:
    """The chunk files are the streams' events; every .sse keeps sse-starlette's CRLF framing."""
    assert events("gen-completion-stream.sse") == [
        body(f"gen-completion-stream-{part}.json")
        for part in ("keepalive-chunk", "chunk", "final-chunk")
    ]
    assert events("gen-completion-stream-error.sse")[-1] == body(
        "gen-completion-stream-error-chunk.json"
    )
    assert events("completion-stream-tensorrt.sse") == body(
        "completion-stream-tensorrt-chunks.json"
    )
    chat_events = events("gen-chat-completion-stream.sse")
    assert [chat_events[0], chat_events[-1]] == [
        body("gen-chat-completion-stream-first-chunk.json"),
        body("gen-chat-completion-stream-last-chunk.json"),
    ]
    assert events("chat-completion-stream-error.sse") == [
        body("gen-chat-completion-stream-first-chunk.json"),
        body("gen-chat-completion-stream-error-chunk.json"),
    ]
    for path in HERE.glob("*.sse"):
        raw = path.read_bytes()
        assert raw.endswith(b"\r\n\r\n"), path.name
        assert raw.count(b"\n") == raw.count(b"\r\n"), path.name


class TestCompletions:
    @pytest.mark.parametrize("suffix", ["", "-logprobs"])
    async def test_sync_body(self, suffix: str, client: AnyClient, server: ReferenceServer) -> None:
        """A completions-sync body (dtos/llms/completion.py#L79-L129) lands on .output."""
        name = f"gen-completion-sync-response{suffix}.json"
        wire, out = body(name), body(name)["output"]
        serve(server, "POST", SYNC, name)

        result = await run(client.completions.create(model=MODEL, prompt="Call me"))

        tokens = out["tokens"] and [TokenOutput(**token) for token in out["tokens"]]
        output = result.output
        assert (result.request_id, output.text, output.tokens) == (
            wire["request_id"],
            out["text"],
            tokens,
        )
        assert (output.num_prompt_tokens, output.num_completion_tokens) == (
            6,
            out["num_completion_tokens"],
        )
        # FastAPI keeps null keys: tokens sent as null is present, not absent.
        assert (result.to_dict(), "tokens" in output.model_fields_set) == (wire, True)

    @pytest.mark.parametrize("size", [0, 1])
    async def test_stream_skips_keepalives(
        self, size: int, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A v1 stream (api/llms_v1.py#L448-L488), whole or byte by byte: keep-alives skipped."""
        serve(server, "POST", STREAM, "gen-completion-stream.sse", size)

        chunks = await collect(completion_stream(client))

        assert [chunk.to_dict() for chunk in chunks] == events("gen-completion-stream.sse")[1:]
        assert [(c.output.text, c.output.finished, c.output.num_prompt_tokens) for c in chunks] == [
            (" Sean", False, None),
            (".", True, 6),
        ]
        assert "num_prompt_tokens" in chunks[0].output.model_fields_set  # sent as null
        assert len(server.requests_to("POST", STREAM)) == 1

    async def test_tensorrt_clean_end_is_complete(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """TensorRT-LLM never sets finished (use cases #L3308-L3318): a clean end completes it."""
        serve(server, "POST", STREAM, "completion-stream-tensorrt.sse", size=1)  # UTF-8 split

        chunks, error = await until_error(completion_stream(client))

        assert ([c.to_dict() for c in chunks], error) == (
            events("completion-stream-tensorrt.sse"),
            None,
        )
        assert [(c.output.finished, c.output.num_prompt_tokens) for c in chunks] == [(False, 9)] * 4
        assert "".join(c.output.text for c in chunks) == "Low tide at noon \u2600"
        assert len(server.requests_to("POST", STREAM)) == 1  # nothing resumed or retried

    @pytest.mark.parametrize(
        ("name", "cls"),
        [
            ("gen-completion-stream-error.sse", smarter.InternalServerError),
            ("completion-stream-error-400.sse", smarter.BadRequestError),
        ],
    )
    async def test_error_chunk_raises(
        self, name: str, cls: type[Exception], client: AnyClient, server: ReferenceServer
    ) -> None:
        """The in-band error chunk (api/llms_v1.py#L121-L146) raises its status's class, once."""
        serve(server, "POST", STREAM, name)
        first, failure = events(name)

        chunks, error = await until_error(completion_stream(client))

        assert [chunk.to_dict() for chunk in chunks] == [first]
        assert (type(error), getattr(error, "status_code", None)) == (
            cls,
            failure["error"]["status_code"],
        )
        assert str(error) == failure["error"]["content"]["error"]
        assert len(server.requests_to("POST", STREAM)) == 1


class TestChat:
    async def test_sync_body(self, engine: AnyClient, server: ReferenceServer) -> None:
        """A v2 chat body (dtos/llms/chat_completion.py#L122-L128): reply, usage, null keys kept."""
        serve(server, "POST", CHAT, "gen-chat-completion-sync-response.json")

        result = await run(chat(engine))

        choice = result.choices[0]
        assert (choice.message.content, choice.finish_reason, result.usage.total_tokens) == (
            "Hello! How can I help?",
            "stop",
            19,
        )
        wire = body("gen-chat-completion-sync-response.json")
        assert (result.to_dict(), result.service_tier, choice.message.refusal) == (wire, None, None)
        assert "usage" in result.model_fields_set

    async def test_stream_without_done(self, engine: AnyClient, server: ReferenceServer) -> None:
        """A v2 chat stream (api/v2/chat_completion.py#L83-L176) ends without [DONE]."""
        serve(server, "POST", CHAT, "gen-chat-completion-stream.sse")

        chunks, error = await until_error(chat(engine, stream=True))

        assert ([c.to_dict() for c in chunks], error) == (
            events("gen-chat-completion-stream.sse"),
            None,
        )
        assert "".join(c.choices[0].delta.content for c in chunks) == "Hello!"
        first, last = chunks[0].choices[0], chunks[-1].choices[0]
        # exclude_none: no finish_reason key before the last chunk, no role after the first.
        assert ("finish_reason" in first.model_fields_set, first.finish_reason) == (False, None)
        assert (last.finish_reason, last.delta.role) == ("stop", None)
        assert "role" not in last.delta.model_fields_set
        assert len(server.requests_to("POST", CHAT)) == 1

    async def test_stream_error_chunk(self, engine: AnyClient, server: ReferenceServer) -> None:
        """The v2 error chunk (api/v2/chat_completion.py#L55-L80) raises InternalServerError."""
        serve(server, "POST", CHAT, "chat-completion-stream-error.sse")
        first, failure = events("chat-completion-stream-error.sse")

        chunks, error = await until_error(chat(engine, stream=True))

        assert [chunk.to_dict() for chunk in chunks] == [first]
        assert (type(error), getattr(error, "status_code", None)) == (
            smarter.InternalServerError,
            500,
        )
        assert str(error) == failure["error"]["content"]["error"]
        assert len(server.requests_to("POST", CHAT)) == 1


class TestResources:
    async def test_model_endpoint(self, client: AnyClient, server: ReferenceServer) -> None:
        """A model endpoint (dtos/llms/model_endpoints.py#L161-L188): status, tag, spec."""
        serve(server, "GET", ENDPOINT, "model-endpoint-get.json")

        endpoint = await run(client.models.get(MODEL))

        assert (endpoint.name, endpoint.status, endpoint.inference_framework) == (
            MODEL,
            ModelEndpointStatus.READY,
            LLMInferenceFramework.VLLM,
        )
        # The server's key is inference_framework_image_tag; the client reads it as the tag.
        assert (endpoint.inference_framework_tag, endpoint.num_shards) == ("0.6.3.post1", 1)
        assert endpoint.spec is not None
        assert endpoint.spec["deployment_state"]["available_workers"] == 1
        assert (endpoint.quantize, "quantize" in endpoint.model_fields_set) == (None, True)
        wire = body("model-endpoint-get.json")
        assert (endpoint.to_dict(), endpoint.chat_template_override) == (wire, None)

    async def test_model_endpoint_list(self, client: AnyClient, server: ReferenceServer) -> None:
        """The list body (model_endpoints.py#L191-L192) without paging keys is one whole page."""
        serve(server, "GET", "v1/llm/model-endpoints", "model-endpoint-list.json")

        endpoints = await collect(client.models.list())

        assert [(e.name, e.status, e.inference_framework) for e in endpoints] == [
            (MODEL, ModelEndpointStatus.READY, LLMInferenceFramework.VLLM),
            ("harbor-qwen-14b", ModelEndpointStatus.UPDATE_FAILED, LLMInferenceFramework.SGLANG),
        ]
        assert endpoints[1].spec is not None
        assert "CrashLoopBackOff" in endpoints[1].spec["status_reason"]
        assert [e.to_dict() for e in endpoints] == body("model-endpoint-list.json")[
            "model_endpoints"
        ]
        assert len(server.requests_to("GET", "v1/llm/model-endpoints")) == 1

    async def test_file(self, client: AnyClient, server: ReferenceServer) -> None:
        """A file (dtos/files.py#L17-L25): size and filename land."""
        wire = body("file-get.json")
        serve(server, "GET", "v1/files/*", "file-get.json")

        found = await run(client.files.get(wire["id"]))

        assert (found.filename, found.size, found.to_dict()) == (wire["id"], 48213, wire)

    async def test_fine_tune(self, client: AnyClient, server: ReferenceServer) -> None:
        """A fine-tune (model_endpoints.py#L286-L293): status; fine_tuned_model sent as null."""
        wire = body("fine-tune-get.json")
        serve(server, "GET", "v1/llm/fine-tunes/*", "fine-tune-get.json")

        job = await run(client.fine_tuning.jobs.get(wire["id"]))

        assert (job.status, job.fine_tuned_model, job.to_dict()) == (
            BatchJobStatus.RUNNING,
            None,
            wire,
        )
        assert "fine_tuned_model" in job.model_fields_set


#: The calls an error body is served to: (method, route, call).
CALLS: dict[str, tuple[str, str, Callable[[AnyClient], Any]]] = {
    "create": ("POST", SYNC, lambda c: c.completions.create(model=MODEL, prompt="Call me")),
    "stream": ("POST", STREAM, lambda c: collect(completion_stream(c))),
    "chat": ("POST", CHAT, chat),
    "get": ("GET", ENDPOINT, lambda c: c.models.get("nope")),
    "delete": ("DELETE", ENDPOINT, lambda c: c.models.delete("nope")),
    "fine_tune": (
        "POST",
        "v1/llm/fine-tunes",
        lambda c: c.fine_tuning.jobs.create(model="mistral-7b", training_file="file-1"),
    ),
}
AUTH, NOT_FOUND = smarter.AuthenticationError, smarter.NotFoundError
INVALID, SERVER = smarter.UnprocessableEntityError, smarter.InternalServerError

#: file -> (call, exception class, what its message says); the status is SOURCES.txt's.
ERRORS: dict[str, tuple[str, type[smarter.APIStatusError], str]] = {
    "gen-error-401-no-auth.json": ("create", AUTH, "No authentication was passed in"),
    "gen-error-401-bad-basic.json": ("create", AUTH, "Not authenticated"),
    "gen-error-401-unknown-user.json": ("create", AUTH, "Could not authenticate user"),
    "gen-error-404-completion-sync.json": ("create", NOT_FOUND, "The specified endpoint could"),
    "gen-error-404-completion-stream.json": ("stream", NOT_FOUND, "Model endpoint nope not found."),
    "error-404-stream-not-readable.json": ("stream", NOT_FOUND, ""),
    "gen-error-404-model-endpoint.json": ("get", NOT_FOUND, "Model Endpoint nope  was not found."),
    "gen-error-404-not-found-route.json": ("get", NOT_FOUND, "no such route; check llm_engine_url"),
    "gen-error-405.json": ("delete", smarter.APIStatusError, "Method Not Allowed"),
    "error-400-v2-chat-upstream.json": (
        "chat",
        smarter.BadRequestError,
        "max_tokens must be at most 512, got 2048.",  # the whole message: vLLM's own
    ),
    "gen-error-422-body.json": (
        "create",
        INVALID,
        "Input should be less than or equal to 1; Input should be greater than 0",
    ),
    "gen-error-422-missing-query.json": ("create", INVALID, "Field required"),
    "gen-error-422-fine-tune-null-hyperparameters.json": ("fine_tune", INVALID, "valid dictionary"),
    "gen-error-429-concurrency.json": ("create", smarter.RateLimitError, "Too many requests"),
    "gen-error-500-middleware.json": ("get", SERVER, "Internal error occurred. Our team has"),
    "gen-error-500-upstream.json": ("create", SERVER, "Upstream service error for request_id 8a1f"),
}


@pytest.mark.parametrize("name", list(ERRORS))
async def test_error_body(name: str, engine: AnyClient, server: ReferenceServer) -> None:
    """An error body (api/dependencies.py, llms_v1.py, app.py) raises its class; 429/5xx retried."""
    call, cls, message = ERRORS[name]
    method, route, send = CALLS[call]
    status = int(re.findall(r"HTTP (\d{3})", note(name))[0])
    headers = dict(re.findall(r"(WWW-Authenticate): (\w+)", note(name)))
    data = (HERE / name).read_bytes()
    fault = Fault(status=status, body=data, headers=headers, content_type="application/json")
    server.inject(method, route, fault, fault)

    with pytest.raises(smarter.APIStatusError) as caught:
        await run(send(engine))

    error = caught.value
    assert (type(error), error.status_code, error.body) == (cls, status, body(name))
    assert message in error.message
    assert error.response.headers.get("WWW-Authenticate") == headers.get("WWW-Authenticate")
    attempts = 2 if status == 429 or status >= 500 else 1
    assert len(server.requests_to(method, route)) == attempts


async def test_empty_detail_still_says_what_failed(
    client: AnyClient, server: ReferenceServer
) -> None:
    """A {"detail": ""} 404 (api/llms_v1.py#L430-L434) still names the status and the route."""
    data = (HERE / "error-404-stream-not-readable.json").read_bytes()
    server.inject("POST", STREAM, Fault(status=404, body=data, content_type="application/json"))

    with pytest.raises(smarter.NotFoundError) as caught:
        await collect(completion_stream(client))

    assert "404" in caught.value.message
    assert STREAM in caught.value.message
