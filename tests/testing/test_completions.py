"""The LLM Engine completion routes: shapes, validation, streams, resume and keep-alives."""

from __future__ import annotations

import re
import time

import aiohttp
import pytest

from smarter.testing import ReferenceServer
from smarter.testing._model import generate

from .conftest import COMPLETION, STREAM, SYNC, Parsed, ServerFactory, auth, parse_sse

PING = re.compile(r"ping - \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?")


class TestSync:
    async def test_shape(self, http: aiohttp.ClientSession) -> None:
        """A sync completion has request_id and output text, counts and no tokens."""
        async with http.post(SYNC, json=COMPLETION) as response:
            body = await response.json()
            headers = response.headers.copy()

        expected = generate("Tell me a story", 5, temperature=0.2)
        assert body == {
            "request_id": body["request_id"],
            "output": {
                "text": expected.text,
                "num_prompt_tokens": 4,
                "num_completion_tokens": 5,
                "tokens": None,
            },
        }
        assert body["request_id"].startswith("req_")
        assert "x-request-id" not in headers

    async def test_request_id_header_when_extended(self, extended: ReferenceServer) -> None:
        """In the extended profile the x-request-id header is the body's request_id."""
        async with (
            aiohttp.ClientSession(headers=auth(extended)) as http,
            http.post(extended.llm_engine_url + SYNC, json=COMPLETION) as r,
        ):
            body = await r.json()

        assert r.headers["x-request-id"] == body["request_id"]

    async def test_deterministic(self, http: aiohttp.ClientSession) -> None:
        """The same request gets the same text; another temperature gets another."""
        texts = []
        for temperature in (0.2, 0.2, 0.9):
            async with http.post(SYNC, json={**COMPLETION, "temperature": temperature}) as r:
                texts.append((await r.json())["output"]["text"])

        assert texts[0] == texts[1] != texts[2]

    async def test_log_probs(self, http: aiohttp.ClientSession) -> None:
        """return_token_log_probs gives one negative log prob per token."""
        async with http.post(SYNC, json={**COMPLETION, "return_token_log_probs": True}) as r:
            output = (await r.json())["output"]

        assert "".join(token["token"] for token in output["tokens"]) == output["text"]
        assert all(token["log_prob"] < 0 for token in output["tokens"])

    async def test_stop_sequence(self, http: aiohttp.ClientSession) -> None:
        """A stop sequence ends the text before it, or after it when asked to keep it."""
        full = generate("Tell me a story", 5, temperature=0.2).text
        stop = full.split(" ")[3]
        body = {**COMPLETION, "stop_sequences": [" " + stop]}
        async with http.post(SYNC, json=body) as r:
            cut = (await r.json())["output"]
        async with http.post(SYNC, json={**body, "include_stop_str_in_output": True}) as r:
            kept = (await r.json())["output"]

        assert cut["text"] == full[: full.index(" " + stop)]
        assert kept["text"] == full[: full.index(" " + stop) + len(stop) + 1]

    async def test_unknown_model(self, http: aiohttp.ClientSession) -> None:
        """An unknown model endpoint is a 404 with a FastAPI detail string."""
        url = "v1/llm/completions-sync?model_endpoint_name=nope"
        async with http.post(url, json=COMPLETION) as r:
            assert r.status == 404
            assert isinstance((await r.json())["detail"], str)

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("prompt", None),
            ("prompt", 3),
            ("max_new_tokens", 0),
            ("max_new_tokens", 200_001),
            ("max_new_tokens", True),
            ("temperature", 1.5),
            ("top_p", 0),
            ("top_k", -2),
            ("presence_penalty", 2.5),
            ("frequency_penalty", -1),
            ("stop_sequences", "stop"),
        ],
    )
    async def test_validation(self, http: aiohttp.ClientSession, field: str, value: object) -> None:
        """A bad field is a 422 whose detail list locates it in the body."""
        body = {**COMPLETION, field: value}
        if value is None:
            del body[field]
        async with http.post(SYNC, json=body) as r:
            assert r.status == 422
            detail = (await r.json())["detail"]

        assert [item["loc"] for item in detail] == [["body", field]]

    async def test_unknown_fields_ignored(self, http: aiohttp.ClientSession) -> None:
        """Fields the server does not know are ignored."""
        async with http.post(SYNC, json={**COMPLETION, "surprise": [1]}) as r:
            assert r.status == 200


async def stream(
    server: ReferenceServer, body: dict[str, object] = COMPLETION, **headers: str
) -> tuple[int, Parsed]:
    """Stream a completion from a server; returns the status and the parsed events."""
    async with (
        aiohttp.ClientSession(headers=auth(server)) as http,
        http.post(server.llm_engine_url + STREAM, json=body, headers=headers) as r,
    ):
        return r.status, parse_sse(await r.read())


class TestStream:
    async def test_events(self, http: aiohttp.ClientSession) -> None:
        """Each token is one event, without an id line; only the last is finished and counted."""
        async with http.post(STREAM, json=COMPLETION) as r:
            assert r.headers["Content-Type"].startswith("text/event-stream")
            assert r.headers["Cache-Control"] == "no-cache"
            raw = await r.read()

        parsed = parse_sse(raw)
        chunks = [event.json() for event in parsed.events]
        expected = generate("Tell me a story", 5, temperature=0.2)
        assert [event.id for event in parsed.events] == [None] * 5
        assert b"id:" not in raw
        assert [chunk["output"]["text"] for chunk in chunks] == expected.tokens
        assert [chunk["output"]["finished"] for chunk in chunks] == [False] * 4 + [True]
        assert chunks[-1]["output"]["num_completion_tokens"] == 5
        assert chunks[-1]["output"]["num_prompt_tokens"] == 4
        assert chunks[0]["output"]["num_completion_tokens"] is None
        assert all(chunk["error"] is None for chunk in chunks)

    async def test_token_log_probs(self, http: aiohttp.ClientSession) -> None:
        """With log probs asked, every chunk carries its token."""
        async with http.post(STREAM, json={**COMPLETION, "return_token_log_probs": True}) as r:
            chunks = [event.json() for event in parse_sse(await r.read()).events]

        assert [c["output"]["token"]["token"] for c in chunks] == [
            c["output"]["text"] for c in chunks
        ]

    async def test_last_event_id_ignored(self, http: aiohttp.ClientSession) -> None:
        """The real servers do not resume: Last-Event-ID, even a garbled one, changes nothing."""
        async with http.post(STREAM, json=COMPLETION) as r:
            full = parse_sse(await r.read()).events
        answers = []
        for last in ("1", "x"):
            async with http.post(STREAM, json=COMPLETION, headers={"Last-Event-ID": last}) as r:
                events = parse_sse(await r.read()).events
                answers.append((r.status, [e.json()["output"] for e in events]))

        expected = [e.json()["output"] for e in full]
        assert answers == [(200, expected), (200, expected)]

    async def test_stream_validation(self, http: aiohttp.ClientSession) -> None:
        """A bad body on the stream route is an ordinary 422 before any event."""
        async with http.post(STREAM, json={"prompt": "hi"}) as r:
            assert r.status == 422

    async def test_keepalives(self, make_server: ServerFactory) -> None:
        """A slow stream carries ': ping - <utc time>' comments only, as sse-starlette sends."""
        server = await make_server(keepalive_interval=0.05, token_delay=0.02)
        _, parsed = await stream(server, {**COMPLETION, "max_new_tokens": 15})

        assert parsed.comments
        assert all(PING.fullmatch(comment) for comment in parsed.comments)
        assert [e.json()["output"] is None for e in parsed.events] == [False] * 15


class TestExtendedStream:
    async def test_ids(self, extended: ReferenceServer) -> None:
        """In the extended profile each event has an id, counting from 0."""
        _, parsed = await stream(extended)

        assert [event.id for event in parsed.events] == ["0", "1", "2", "3", "4"]

    async def test_resume(self, extended: ReferenceServer) -> None:
        """Last-Event-ID: j continues with exactly the events after j."""
        _, full = await stream(extended)
        _, rest = await stream(extended, **{"Last-Event-ID": "1"})

        assert [(e.id, e.json()["output"]) for e in rest.events] == [
            (e.id, e.json()["output"]) for e in full.events[2:]
        ]

    async def test_resume_past_the_end(self, extended: ReferenceServer) -> None:
        """A Last-Event-ID at or after the last event gives an empty, finished stream."""
        async with (
            aiohttp.ClientSession(headers=auth(extended)) as http,
            http.post(
                extended.llm_engine_url + STREAM, json=COMPLETION, headers={"Last-Event-ID": "4"}
            ) as r,
        ):
            assert (r.status, await r.read()) == (200, b"")

    async def test_resume_bad_id(self, extended: ReferenceServer) -> None:
        """A Last-Event-ID that is not an integer is a 400."""
        async with (
            aiohttp.ClientSession(headers=auth(extended)) as http,
            http.post(
                extended.llm_engine_url + STREAM, json=COMPLETION, headers={"Last-Event-ID": "x"}
            ) as r,
        ):
            assert r.status == 400
            assert "detail" in await r.json()

    async def test_keepalives(self, make_server: ServerFactory) -> None:
        """A slow extended stream also sends output-null chunks, without ids, with its pings."""
        server = await make_server(profile="extended", keepalive_interval=0.05, token_delay=0.02)
        _, parsed = await stream(server, {**COMPLETION, "max_new_tokens": 15})

        nulls = [e for e in parsed.events if e.json()["output"] is None]
        content = [e for e in parsed.events if e.json()["output"] is not None]
        assert all(PING.fullmatch(comment) for comment in parsed.comments)
        assert len(nulls) == len(parsed.comments) > 0
        assert all(e.id is None and e.json()["error"] is None for e in nulls)
        assert [e.id for e in content] == [str(i) for i in range(15)]


class TestLongStream:
    async def test_fifty_thousand_events(self, http: aiohttp.ClientSession) -> None:
        """A 50,000-token stream arrives whole and fast."""
        started = time.monotonic()
        async with http.post(STREAM, json={**COMPLETION, "max_new_tokens": 50_000}) as r:
            parsed = parse_sse(await r.read())

        assert len(parsed.events) == 50_000
        assert parsed.events[-1].json()["output"]["finished"] is True
        assert time.monotonic() - started < 5

    async def test_model_speed(self) -> None:
        """The fake model makes 50,000 tokens in well under half a second."""
        started = time.perf_counter()
        generation = generate("a prompt", 50_000, temperature=0.2)

        assert len(generation.tokens) == 50_000
        assert time.perf_counter() - started < 0.5


class TestEndpoints:
    async def test_server_fixture_has_example_model(self, server: ReferenceServer) -> None:
        """The example model endpoint always exists."""
        assert "example-model" in server.state.endpoints
