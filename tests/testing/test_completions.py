"""The LLM Engine completion routes: shapes, validation, streams, resume and keep-alives."""

from __future__ import annotations

import time

import aiohttp
import pytest

from smarter.testing import ReferenceServer
from smarter.testing._model import generate

from .conftest import COMPLETION, STREAM, SYNC, ServerFactory, auth, parse_sse


class TestSync:
    async def test_shape(self, http: aiohttp.ClientSession) -> None:
        """A sync completion has request_id and output text, counts and no tokens."""
        async with http.post(SYNC, json=COMPLETION) as response:
            body = await response.json()
            request_id = response.headers["x-request-id"]

        expected = generate("Tell me a story", 5, temperature=0.2)
        assert body == {
            "request_id": request_id,
            "output": {
                "text": expected.text,
                "num_prompt_tokens": 4,
                "num_completion_tokens": 5,
                "tokens": None,
            },
        }

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
        async with http.post("llm/completions-sync?model_endpoint_name=nope", json=COMPLETION) as r:
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


class TestStream:
    async def test_events(self, http: aiohttp.ClientSession) -> None:
        """Each token is one event with an id; only the last is finished and counted."""
        async with http.post(STREAM, json=COMPLETION) as r:
            assert r.headers["Content-Type"].startswith("text/event-stream")
            assert r.headers["Cache-Control"] == "no-cache"
            parsed = parse_sse(await r.read())

        chunks = [event.json() for event in parsed.events]
        expected = generate("Tell me a story", 5, temperature=0.2)
        assert [event.id for event in parsed.events] == ["0", "1", "2", "3", "4"]
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

    async def test_resume(self, http: aiohttp.ClientSession) -> None:
        """Last-Event-ID: j continues with exactly the events after j."""
        async with http.post(STREAM, json=COMPLETION) as r:
            full = parse_sse(await r.read()).events
        async with http.post(STREAM, json=COMPLETION, headers={"Last-Event-ID": "1"}) as r:
            rest = parse_sse(await r.read()).events

        assert [(e.id, e.json()["output"]) for e in rest] == [
            (e.id, e.json()["output"]) for e in full[2:]
        ]

    async def test_resume_past_the_end(self, http: aiohttp.ClientSession) -> None:
        """A Last-Event-ID at or after the last event gives an empty, finished stream."""
        async with http.post(STREAM, json=COMPLETION, headers={"Last-Event-ID": "4"}) as r:
            assert r.status == 200
            assert await r.read() == b""

    async def test_resume_bad_id(self, http: aiohttp.ClientSession) -> None:
        """A Last-Event-ID that is not an integer is a 400."""
        async with http.post(STREAM, json=COMPLETION, headers={"Last-Event-ID": "x"}) as r:
            assert r.status == 400
            assert "detail" in await r.json()

    async def test_stream_validation(self, http: aiohttp.ClientSession) -> None:
        """A bad body on the stream route is an ordinary 422 before any event."""
        async with http.post(STREAM, json={"prompt": "hi"}) as r:
            assert r.status == 422

    async def test_keepalives(self, make_server: ServerFactory) -> None:
        """A slow stream carries ': ping' comments and output-null chunks without ids."""
        server = await make_server(keepalive_interval=0.05, token_delay=0.02)
        async with (
            aiohttp.ClientSession(headers=auth(server)) as http,
            http.post(server.url + STREAM, json={**COMPLETION, "max_new_tokens": 15}) as r,
        ):
            parsed = parse_sse(await r.read())

        nulls = [e for e in parsed.events if e.json()["output"] is None]
        content = [e for e in parsed.events if e.json()["output"] is not None]
        assert "ping" in parsed.comments
        assert nulls
        assert all(e.id is None and e.json()["error"] is None for e in nulls)
        assert [e.id for e in content] == [str(i) for i in range(15)]

    async def test_fifty_thousand_events(self, http: aiohttp.ClientSession) -> None:
        """A 50,000-token stream arrives whole and fast."""
        started = time.monotonic()
        async with http.post(STREAM, json={**COMPLETION, "max_new_tokens": 50_000}) as r:
            parsed = parse_sse(await r.read())

        assert len(parsed.events) == 50_000
        assert parsed.events[-1].json()["output"]["finished"] is True
        assert time.monotonic() - started < 5


async def test_model_speed() -> None:
    """The fake model makes 50,000 tokens in well under half a second."""
    started = time.perf_counter()
    generation = generate("a prompt", 50_000, temperature=0.2)

    assert len(generation.tokens) == 50_000
    assert time.perf_counter() - started < 0.5


async def test_server_fixture_has_example_model(server: ReferenceServer) -> None:
    """The example model endpoint always exists."""
    assert "example-model" in server.state.endpoints
