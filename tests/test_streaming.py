"""Streams: release of the connection, big events, resume, in-stream errors, keep-alives.

Completion and chat streams of both clients against the reference server; custom event-stream
bodies are served by ``Fault(status=200, body=..., content_type="text/event-stream")``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from helpers import bound_client, collect, run, settle

import smarter
from smarter import _retry
from smarter.testing import Fault, ReferenceServer
from smarter.testing._model import generate

AnyClient = smarter.AsyncClient | smarter.Client

MODEL = "example-model"
PROMPT = "Once upon a time"
STREAM = "v1/llm/completions-stream"
CHAT = "chat/completions"
MESSAGES = [{"role": "user", "content": "Tell me about rivers"}]


def expected_tokens(count: int) -> list[str]:
    """The texts of the chunks of a completion stream of ``count`` tokens of PROMPT."""
    return generate(PROMPT, count, temperature=0.2).tokens


def chat_text() -> str:
    """The content of the reference server's chat answer to MESSAGES."""
    return "".join(generate("Tell me about rivers", 16).tokens).lstrip()


def completion_stream(client: AnyClient, tokens: int = 8, **kwargs: Any) -> Any:
    """A completion stream of ``tokens`` tokens of PROMPT."""
    return client.completions.stream(model=MODEL, prompt=PROMPT, max_new_tokens=tokens, **kwargs)


def stream_in_progress(client: AnyClient, server: ReferenceServer) -> Any:
    """A completion stream that the server writes slowly, so it is still open when read."""
    server.inject("POST", STREAM, Fault.split(256, slow_body=0.005))
    return completion_stream(client, 200)


def chat_stream(client: AnyClient) -> Any:
    """A chat completion stream of the answer to MESSAGES."""
    return client.chat.completions.create(model="m", messages=MESSAGES, stream=True)


def sse(*events: object, ending: str = "\n") -> str:
    """An event-stream body of JSON (or verbatim str) data events."""
    return "".join(
        f"data: {event if isinstance(event, str) else json.dumps(event)}{ending}{ending}"
        for event in events
    )


def completion_chunk(text: str, *, finished: bool = False) -> dict[str, Any]:
    """The wire form of one completion stream chunk."""
    return {
        "request_id": "req_custom",
        "output": {"text": text, "finished": finished, "num_completion_tokens": None},
        "error": None,
    }


def event_stream(body: str) -> Fault:
    """A fault that answers 200 with ``body`` as an event stream."""
    return Fault(status=200, body=body, content_type="text/event-stream")


async def chunks_until_error(stream: Any) -> tuple[list[Any], BaseException | None]:
    """The chunks a stream of either client yields, and the error that ended it, if any."""
    chunks: list[Any] = []
    try:
        if hasattr(stream, "__aiter__"):
            async for chunk in stream:
                chunks.append(chunk)
        else:
            for chunk in stream:
                chunks.append(chunk)
    except smarter.SmarterError as exc:
        return chunks, exc
    return chunks, None


def texts(chunks: list[Any]) -> list[str]:
    """The text of each completion chunk."""
    return [chunk.output.text for chunk in chunks]


def transport_of(client: AnyClient) -> Any:
    """The transport (connection pool) of a client of either kind."""
    async_client = client if isinstance(client, smarter.AsyncClient) else client._async
    return async_client._transport


def pool_size(client: AnyClient) -> int:
    """The connections in the client's pool, busy or idle, read from aiohttp's connector.

    Not ``Transport.connection_count``, which misses busy connections on aiohttp >= 3.11
    (see ``test_connection_count_sees_a_busy_stream``).
    """
    session = transport_of(client)._session
    if session is None or session.connector is None:
        return 0
    connector = session.connector
    return len(connector._acquired) + sum(len(idle) for idle in connector._conns.values())


@pytest.fixture
def slow_server() -> Iterator[ReferenceServer]:
    """A server that streams a chunk every 20 ms and sends keep-alives every 5 ms."""
    with ReferenceServer.in_thread(token_delay=0.02, keepalive_interval=0.005) as server:
        yield server


@pytest.fixture
async def slow_client(kind: str, slow_server: ReferenceServer) -> AsyncIterator[AnyClient]:
    """A client of the parametrised kind bound to :func:`slow_server`."""
    async with bound_client(kind, slow_server) as client:
        yield client


class TestRelease:
    async def test_break_frees_the_connection(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """After each early break the next call succeeds and the pool does not grow."""
        await run(client.whoami())
        sizes = []
        for _ in range(5):
            if isinstance(client, smarter.AsyncClient):
                async for _chunk in stream_in_progress(client, server):
                    break
            else:
                for _chunk in stream_in_progress(client, server):
                    break
            environment = (await run(client.whoami())).environment
            sizes.append((environment, pool_size(client)))

        assert sizes == [("reference", 1)] * 5
        assert await settle(lambda: server.open_connections, 1) == 1

    async def test_close_releases_at_once(
        self, client: AnyClient, server: ReferenceServer, kind: str
    ) -> None:
        """close() gives the connection back at once; the stream yields nothing more."""
        stream = stream_in_progress(client, server)
        first = next(iter(stream)) if kind == "sync" else await stream.__anext__()
        during = pool_size(client)

        await run(stream.close())
        after = pool_size(client)
        rest = await collect(stream)

        assert (first.output.text, during, after, rest) == (expected_tokens(1)[0], 1, 0, [])
        assert await settle(lambda: server.open_connections, 0) == 0

    async def test_close_from_another_task_ends_the_loop(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """close() while another task waits for a chunk ends its loop quietly, sending nothing."""
        client = make_client("async")
        stream = stream_in_progress(client, server)
        seen: list[Any] = []

        async def consume() -> None:
            async for chunk in stream:
                seen.append(chunk)

        task = asyncio.create_task(consume())
        while len(seen) < 3:
            await asyncio.sleep(0.001)
        await stream.close()
        await asyncio.wait_for(task, 5)

        # Neither resumed (a second request, a retry spent) nor reported as a broken stream.
        assert (len(server.requests_to("POST", STREAM)), len(seen) < 200) == (1, True)
        assert await settle(lambda: pool_size(client), 0) == 0

    async def test_close_while_connecting(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """close() while the stream waits for its headers: nothing is delivered or held."""
        client = make_client("async")
        server.inject("POST", STREAM, Fault.slow(0.3))
        stream = completion_stream(client, 50)

        task = asyncio.create_task(collect(stream))
        await asyncio.sleep(0.1)
        await stream.close()
        delivered = await asyncio.wait_for(task, 5)

        busy = len(transport_of(client)._session.connector._acquired)
        assert (delivered, busy, len(server.requests_to("POST", STREAM))) == ([], 0, 1)

    async def test_connection_count_sees_a_busy_stream(
        self, client: AnyClient, server: ReferenceServer, kind: str
    ) -> None:
        """Transport.connection_count counts the connection a stream is reading."""
        stream = stream_in_progress(client, server)
        next(iter(stream)) if kind == "sync" else await stream.__anext__()
        during = transport_of(client).connection_count
        await run(stream.close())

        assert during == 1

    async def test_close_twice(self, client: AnyClient) -> None:
        """close() is idempotent, also on a stream never opened."""
        stream = completion_stream(client)

        await run(stream.close())
        await run(stream.close())

        assert await collect(stream) == []

    async def test_context_manager_releases(
        self, client: AnyClient, server: ReferenceServer, kind: str
    ) -> None:
        """Leaving ``async with`` / ``with`` early releases the connection at once."""
        stream = stream_in_progress(client, server)
        if kind == "async":
            async with stream:
                first = await stream.__anext__()
                inside = pool_size(client)
        else:
            with stream:
                first = next(stream)
                inside = pool_size(client)

        assert (first.output.text, inside, pool_size(client)) == (expected_tokens(1)[0], 1, 0)
        assert await settle(lambda: server.open_connections, 0) == 0

    async def test_exhaustion_keeps_the_connection(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer, kind: str
    ) -> None:
        """Streams read to their end leave their connection for the next: one connection."""
        opened: list[object] = []

        async def on_create(*_: object) -> None:
            opened.append(None)

        def session() -> aiohttp.ClientSession:
            trace = aiohttp.TraceConfig()
            trace.on_connection_create_end.append(on_create)
            return aiohttp.ClientSession(trace_configs=[trace])

        client = make_client(kind, session_factory=session)
        for _ in range(5):
            await collect(completion_stream(client))
            await collect(chat_stream(client))

        assert (len(opened), pool_size(client), server.open_connections) == (1, 1, 1)


class TestBigEvent:
    async def test_one_mebibyte_data_line(self, client: AnyClient, server: ReferenceServer) -> None:
        """An event whose data line is over 1 MiB arrives whole, between two small ones."""
        big = "x" * (1 << 20)
        body = sse(
            completion_chunk("a"), completion_chunk(big), completion_chunk("b", finished=True)
        )
        server.inject("POST", STREAM, event_stream(body))

        chunks = await collect(completion_stream(client))

        assert [len(text) for text in texts(chunks)] == [1, 1 << 20, 1]
        assert chunks[1].output.text == big

    async def test_one_mebibyte_in_small_writes(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """The same event written in 64 KiB pieces is put back together."""
        big = "é" * (1 << 19)
        body = sse(completion_chunk(big, finished=True), ending="\r\n")
        server.inject(
            "POST",
            STREAM,
            Fault(status=200, body=body, content_type="text/event-stream", chunk_size=1 << 16),
        )

        chunks = await collect(completion_stream(client))

        assert texts(chunks) == [big]


class TestResume:
    async def test_cut_completion_stream(
        self, extended_client: AnyClient, extended_server: ReferenceServer
    ) -> None:
        """A broken stream whose events carry ids is resumed: every chunk once, in order."""
        server, client = extended_server, extended_client
        server.inject("POST", STREAM, Fault.cut(3))

        chunks = await collect(completion_stream(client, 8))

        requests = server.requests_to("POST", STREAM)
        assert texts(chunks) == expected_tokens(8)
        assert [request.headers.get("Last-Event-ID") for request in requests] == [None, "2"]
        assert [request.headers["X-Smarter-Retry-Count"] for request in requests] == ["0", "1"]
        assert len({request.headers["X-Smarter-RequestId"] for request in requests}) == 1

    async def test_cut_chat_stream(
        self, extended_client: AnyClient, extended_server: ReferenceServer
    ) -> None:
        """A broken chat stream is resumed too: the content is whole and the id kept."""
        extended_server.inject("POST", CHAT, Fault.cut(5))

        chunks = await collect(chat_stream(extended_client))

        requests = extended_server.requests_to("POST", CHAT)
        assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks) == chat_text()
        assert (len(chunks), len({chunk.id for chunk in chunks})) == (18, 1)
        assert [request.headers.get("Last-Event-ID") for request in requests] == [None, "4"]

    async def test_two_cuts_within_budget(
        self, extended_client: AnyClient, extended_server: ReferenceServer
    ) -> None:
        """Two breaks with max_retries=2 are both resumed."""
        extended_server.inject("POST", STREAM, Fault.cut(2), Fault.cut(2))

        chunks = await collect(completion_stream(extended_client, 8))

        requests = extended_server.requests_to("POST", STREAM)
        assert texts(chunks) == expected_tokens(8)
        assert [request.headers.get("Last-Event-ID") for request in requests] == [None, "1", "3"]

    async def test_cut_without_ids_is_incomplete(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A broken stream without ids (the real servers') cannot resume: IncompleteStreamError."""
        server.inject("POST", STREAM, Fault.cut(3))

        chunks, error = await chunks_until_error(completion_stream(client, 8))

        assert texts(chunks) == expected_tokens(3)
        assert type(error) is smarter.IncompleteStreamError
        assert len(server.requests_to("POST", STREAM)) == 1

    @pytest.mark.parametrize("profile", ["smarter", "extended"])
    async def test_clean_end_is_complete(
        self, kind: str, profile: str, server: ReferenceServer, extended_server: ReferenceServer
    ) -> None:
        """A body that ends cleanly after an event ends the stream, final event or not.

        LLM Engine's TensorRT-LLM streams never set `finished`
        (scaleapi/llm-engine@a8236961:model-engine/model_engine_server/domain/use_cases/
        llm_model_endpoint_use_cases.py): the server finished, so nothing is resumed.
        """
        target = server if profile == "smarter" else extended_server
        target.inject("POST", STREAM, Fault.cut(3, abort=False))

        async with bound_client(kind, target) as client:
            chunks = await collect(completion_stream(client, 8))

        assert texts(chunks) == expected_tokens(3)
        assert [chunk.output.finished for chunk in chunks] == [False] * 3
        assert len(target.requests_to("POST", STREAM)) == 1

    async def test_engine_chat_without_done_is_complete(
        self, kind: str, server: ReferenceServer
    ) -> None:
        """The LLM Engine's v2 chat stream sends no [DONE]: its clean end completes it.

        scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/v2/chat_completion.py
        """
        options = {"openai_base_url": server.llm_engine_url + "v2/"}
        async with bound_client(kind, server, **options) as client:
            chunks = await collect(chat_stream(client))

        requests = server.requests_to("POST", "v2/chat/completions")
        assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks) == chat_text()
        assert (len(chunks), len(requests)) == (18, 1)

    async def test_budget_shared_with_open_retries(
        self, make_extended_client: Callable[..., AnyClient], extended_server: ReferenceServer,
        kind: str,
    ) -> None:  # fmt: skip
        """max_retries=2: a 503 on open and a break use it up; the next break is final."""
        client = make_extended_client(kind, max_retries=2)
        extended_server.inject("POST", STREAM, Fault.error(503), Fault.cut(2), Fault.cut(2))

        chunks, error = await chunks_until_error(completion_stream(client, 8))

        requests = extended_server.requests_to("POST", STREAM)
        assert (texts(chunks), type(error)) == (expected_tokens(4), smarter.IncompleteStreamError)
        assert [request.headers["X-Smarter-Retry-Count"] for request in requests] == ["0", "1", "2"]

    async def test_budget_of_three_gets_through(
        self, make_extended_client: Callable[..., AnyClient], extended_server: ReferenceServer,
        kind: str,
    ) -> None:  # fmt: skip
        """The same faults with max_retries=3 end in the whole answer."""
        client = make_extended_client(kind, max_retries=3)
        extended_server.inject("POST", STREAM, Fault.error(503), Fault.cut(2), Fault.cut(2))

        chunks = await collect(completion_stream(client, 8))

        requests = extended_server.requests_to("POST", STREAM)
        assert (texts(chunks), len(requests)) == (expected_tokens(8), 4)

    async def test_no_retries_no_resume(
        self, make_extended_client: Callable[..., AnyClient], extended_server: ReferenceServer,
        kind: str,
    ) -> None:  # fmt: skip
        """With max_retries=0 a break is final at once, ids or not."""
        client = make_extended_client(kind, max_retries=0)
        extended_server.inject("POST", STREAM, Fault.cut(3))

        chunks, error = await chunks_until_error(completion_stream(client, 8))

        assert (len(chunks), type(error)) == (3, smarter.IncompleteStreamError)


class TestInStreamError:
    @pytest.mark.parametrize(
        ("status", "cls"),
        [
            (400, smarter.BadRequestError),
            (429, smarter.RateLimitError),
            (500, smarter.InternalServerError),
        ],
    )
    async def test_completion_error_after_chunks(
        self,
        client: AnyClient,
        server: ReferenceServer,
        status: int,
        cls: type[smarter.APIStatusError],
    ) -> None:
        """An error chunk raises the class of its status, after the chunks before it."""
        server.inject("POST", STREAM, Fault.stream_error(3, status=status, message="went wrong"))

        chunks, error = await chunks_until_error(completion_stream(client, 8))

        assert texts(chunks) == expected_tokens(3)
        assert type(error) is cls
        assert isinstance(error, smarter.APIStatusError)
        assert (error.status_code, error.message) == (status, "went wrong")
        assert len(server.requests_to("POST", STREAM)) == 1

    async def test_chat_error_after_chunks(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A chat error event raises the class of its code, with its message."""
        server.inject("POST", CHAT, Fault.stream_error(2, status=429, message="slow down"))

        chunks, error = await chunks_until_error(chat_stream(client))

        assert len(chunks) == 2
        assert isinstance(error, smarter.RateLimitError)
        assert (error.status_code, error.message) == (429, "slow down")

    async def test_chat_error_without_http_code(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A chat error whose code is not an HTTP status raises a plain APIError."""
        error_event = {"error": {"message": "too long", "type": "x", "code": "context_length"}}
        server.inject("POST", CHAT, event_stream(sse(error_event)))

        chunks, error = await chunks_until_error(chat_stream(client))

        assert (chunks, type(error), getattr(error, "message", None)) == (
            [],
            smarter.APIError,
            "too long",
        )

    async def test_error_before_any_chunk_is_retried(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A retryable error before the first chunk is retried like an HTTP error."""
        server.inject("POST", STREAM, Fault.stream_error(0, status=503))

        chunks = await collect(completion_stream(client, 5))

        requests = server.requests_to("POST", STREAM)
        assert texts(chunks) == expected_tokens(5)
        assert [request.headers["X-Smarter-Retry-Count"] for request in requests] == ["0", "1"]
        assert [request.headers.get("Last-Event-ID") for request in requests] == [None, None]

    async def test_error_before_any_chunk_not_retryable(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A 400 error before the first chunk is raised at once."""
        server.inject("POST", STREAM, Fault.stream_error(0, status=400, message="bad prompt"))

        chunks, error = await chunks_until_error(completion_stream(client, 5))

        assert (chunks, type(error), len(server.requests_to("POST", STREAM))) == (
            [],
            smarter.BadRequestError,
            1,
        )

    async def test_errors_before_any_chunk_exhaust_the_budget(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """Three 500 error chunks before any chunk: the third is raised (max_retries=2)."""
        server.inject("POST", STREAM, *[Fault.stream_error(0, status=500)] * 3)

        chunks, error = await chunks_until_error(completion_stream(client, 5))

        assert (chunks, type(error), len(server.requests_to("POST", STREAM))) == (
            [],
            smarter.InternalServerError,
            3,
        )


class TestKeepAlive:
    async def test_never_yielded_custom_body(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """Comments and output-null chunks between the chunks are skipped."""
        keepalive = {"request_id": "req_custom", "output": None, "error": None}
        body = (
            ": ping\n\n"
            + sse(keepalive, completion_chunk("a"), keepalive)
            + ": ping\n\n"
            + sse(keepalive, completion_chunk("b", finished=True))
        )
        server.inject("POST", STREAM, event_stream(body))

        chunks = await collect(completion_stream(client))

        assert texts(chunks) == ["a", "b"]

    async def test_never_yielded_live(self, slow_client: AnyClient) -> None:
        """A slow stream with keep-alives in between yields only the tokens."""
        chunks = await collect(completion_stream(slow_client, 4))
        chat = await collect(chat_stream(slow_client.with_options()))

        assert texts(chunks) == expected_tokens(4)
        assert "".join(chunk.choices[0].delta.content or "" for chunk in chat) == chat_text()


class TestFraming:
    @pytest.mark.parametrize("line_ending", ["\r", "\n", "\r\n"])
    @pytest.mark.parametrize("chunk_size", [1, 7])
    async def test_awkward_splits(
        self, client: AnyClient, server: ReferenceServer, line_ending: str, chunk_size: int
    ) -> None:
        """Any line ending, written a few bytes at a time, gives the same chunks."""
        server.inject("POST", STREAM, Fault.split(chunk_size, line_ending=line_ending))

        chunks = await collect(completion_stream(client, 3))

        assert texts(chunks) == expected_tokens(3)

    async def test_cr_at_the_end_of_a_write(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A CRLF whose CR ends one network write and LF starts the next is one line end."""
        body = sse(completion_chunk("a"), completion_chunk("b", finished=True), ending="\r\n")
        first = body.index("\r\n") + 1
        server.inject(
            "POST",
            STREAM,
            Fault(status=200, body=body, content_type="text/event-stream", chunk_size=first),
        )

        chunks = await collect(completion_stream(client))

        assert texts(chunks) == ["a", "b"]


class TestOpen:
    async def test_retried_before_the_first_chunk(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A 503 on open is retried; the stream then yields everything."""
        server.inject("POST", STREAM, Fault.error(503))

        chunks = await collect(completion_stream(client, 4))

        requests = server.requests_to("POST", STREAM)
        assert texts(chunks) == expected_tokens(4)
        assert [request.headers["X-Smarter-Retry-Count"] for request in requests] == ["0", "1"]
        assert len(_retry.testing_delays()) == 1

    async def test_retry_after_honoured(self, client: AnyClient, server: ReferenceServer) -> None:
        """A 429 with Retry-After on open waits exactly that long before the retry."""
        server.inject("POST", STREAM, Fault.error(429, retry_after=3))

        chunks = await collect(completion_stream(client, 2))

        assert (texts(chunks), _retry.testing_delays()) == (expected_tokens(2), [3.0])

    async def test_slow_headers_time_out_and_retry(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """Headers later than the total timeout fail the attempt; the retry gets the stream."""
        server.inject("POST", STREAM, Fault.slow(2.0))

        chunks = await collect(completion_stream(client, 2, timeout=0.3))

        assert (texts(chunks), len(server.requests_to("POST", STREAM))) == (expected_tokens(2), 2)

    async def test_not_retried_on_400(self, client: AnyClient, server: ReferenceServer) -> None:
        """A 422 on open raises at once, with its status."""
        with pytest.raises(smarter.UnprocessableEntityError) as caught:
            await collect(client.completions.stream(model=MODEL, prompt=PROMPT, max_new_tokens=0))

        assert (caught.value.status_code, len(server.requests_to("POST", STREAM))) == (422, 1)

    async def test_not_an_event_stream(self, client: AnyClient, server: ReferenceServer) -> None:
        """A 200 answer that is not an event stream raises APIResponseValidationError."""
        server.inject("POST", STREAM, Fault(status=200, body={"ok": True}))

        with pytest.raises(smarter.APIResponseValidationError, match="event stream"):
            await collect(completion_stream(client))

    async def test_request_id_once_started(
        self, client: AnyClient, kind: str, server: ReferenceServer
    ) -> None:
        """request_id is None before the stream starts, the response's id once it has.

        The LLM Engine sends no x-request-id: the response's id is the call's own.
        """
        stream = completion_stream(client, 3)
        before = stream.request_id
        first = next(iter(stream)) if kind == "sync" else await stream.__anext__()
        during = stream.request_id
        await run(stream.close())

        sent = server.requests_to("POST", STREAM)[0].headers["X-Smarter-RequestId"]
        assert (before, during) == (None, sent)
        assert first.request_id.startswith("req_")


class TestSyncBatching:
    async def test_same_chunks_fewer_hops(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """The sync Stream yields the async stream's chunks, fetching many per loop hop."""
        async_chunks = await collect(completion_stream(make_client("async"), 300))
        sync_client = make_client("sync")
        hops = 0
        portal_call = sync_client._portal.call

        def counting_call(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            nonlocal hops
            hops += 1
            return portal_call(fn, *args, **kwargs)

        sync_client._portal.call = counting_call  # type: ignore[method-assign]
        sync_chunks = list(completion_stream(sync_client, 300))

        assert [(c.output.text, c.output.finished) for c in sync_chunks] == [
            (c.output.text, c.output.finished) for c in async_chunks
        ]
        assert len(sync_chunks) == 300
        assert hops < 300 // 4


class TestSilence:
    async def test_silent_stream_is_resumed(
        self, extended_client: AnyClient, extended_server: ReferenceServer
    ) -> None:
        """A stream with ids silent for longer than the read timeout resumes where it stopped."""
        server, client = extended_server, extended_client
        server.inject("POST", STREAM, Fault(slow_body=2.0))

        chunks = await collect(completion_stream(client, 4, timeout=smarter.Timeout(30, read=0.3)))

        requests = server.requests_to("POST", STREAM)
        assert texts(chunks) == expected_tokens(4)
        assert [request.headers.get("Last-Event-ID") for request in requests] == [None, "0"]

    async def test_silent_stream_without_ids_times_out(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A silent stream that cannot resume raises APITimeoutError after what arrived."""
        server.inject("POST", STREAM, Fault(slow_body=2.0, ids=False))

        chunks, error = await chunks_until_error(
            completion_stream(client, 4, timeout=smarter.Timeout(30, read=0.3))
        )

        assert (texts(chunks), type(error)) == (expected_tokens(1), smarter.APITimeoutError)


class TestMore:
    async def test_await_raises_open_errors(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """``await create(..., stream=True)`` raises the error of the open at the await."""
        client = make_client("async")
        server.inject("POST", CHAT, Fault.error(400))

        with pytest.raises(smarter.BadRequestError) as caught:
            await chat_stream(client)

        assert caught.value.status_code == 400

    async def test_malformed_event(self, client: AnyClient, server: ReferenceServer) -> None:
        """An event whose data is not JSON raises APIResponseValidationError after the rest."""
        server.inject("POST", STREAM, event_stream(sse(completion_chunk("a"), "{not json")))

        chunks, error = await chunks_until_error(completion_stream(client))

        assert (texts(chunks), type(error)) == (["a"], smarter.APIResponseValidationError)

    async def test_response_head(self, client: AnyClient, kind: str) -> None:
        """stream.response has the status and headers once the stream started."""
        stream = completion_stream(client, 2)
        await collect(stream)

        assert (stream.response.status_code, stream.response.headers["Content-Type"]) == (
            200,
            "text/event-stream; charset=utf-8",
        )

    async def test_concurrent_streams(self, make_client: Callable[..., AnyClient]) -> None:
        """Streams of one async client read at the same time each get their own chunks."""
        client = make_client("async")

        results = await asyncio.gather(*(collect(completion_stream(client, n)) for n in (3, 5, 7)))

        assert [texts(chunks) for chunks in results] == [expected_tokens(n) for n in (3, 5, 7)]


class TestPerCallOptions:
    async def test_extra_headers_query_and_body(
        self, extended_client: AnyClient, extended_server: ReferenceServer
    ) -> None:
        """A stream's extra headers, query and body reach its request, and its resume too."""
        server, client = extended_server, extended_client
        server.inject("POST", STREAM, Fault.cut(2))

        chunks = await collect(
            completion_stream(
                client,
                4,
                extra_headers={"X-Trace": "t"},
                extra_query={"tag": "q"},
                extra_body={"skip_special_tokens": True},
            )
        )

        requests = server.requests_to("POST", STREAM)
        assert texts(chunks) == expected_tokens(4)
        assert [
            (r.headers["X-Trace"], dict(r.query), json.loads(r.body)["skip_special_tokens"])
            for r in requests
        ] == [("t", {"model_endpoint_name": MODEL, "tag": "q"}, True)] * 2


class TestNeverQuietlyShort:
    async def test_iterating_after_a_cancel_raises(self, server: ReferenceServer) -> None:
        """A stream whose read was cancelled raises IncompleteStreamError if iterated again."""
        server.inject("POST", STREAM, Fault(slow_body=2.0))
        async with smarter.AsyncClient(**server.client_kwargs()) as client:
            stream = completion_stream(client, 5)
            first = await stream.__anext__()
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(stream.__anext__(), 0.2)

            with pytest.raises(smarter.IncompleteStreamError):
                await stream.__anext__()

        assert first.output.text == expected_tokens(5)[0]

    async def test_close_ends_quietly(self, client: AnyClient) -> None:
        """A stream the caller closed yields nothing more, without an error."""
        stream = completion_stream(client, 5)
        if isinstance(client, smarter.AsyncClient):
            await stream.__anext__()
            await stream.close()
            rest = await collect(stream)
        else:
            next(stream)
            stream.close()
            rest = list(stream)

        assert rest == []

    async def test_early_break_before_the_first_chunk(
        self, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """A stream that breaks before its first chunk every time raises IncompleteStreamError."""
        client = make_client(kind, max_retries=1)
        server.inject("POST", STREAM, *[Fault(cut_after=0)] * 2)

        chunks, error = await chunks_until_error(completion_stream(client, 5))

        assert (chunks, type(error)) == ([], smarter.IncompleteStreamError)
        assert len(server.requests_to("POST", STREAM)) == 2

    async def test_empty_body_is_an_empty_stream(
        self, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """A body that ends cleanly with no event at all is a finished, empty stream."""
        client = make_client(kind, max_retries=1)
        server.inject("POST", STREAM, Fault(cut_after=0, abort=False))

        chunks, error = await chunks_until_error(completion_stream(client, 5))

        assert (chunks, error, len(server.requests_to("POST", STREAM))) == ([], None, 1)
