"""Every kind of scripted fault, seen from a raw aiohttp client."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from smarter.testing import Fault, ReferenceServer

from .conftest import CLI, COMPLETION, OPENAI, STREAM, SYNC, parse_sse, session_for

JOB = {
    "model": "llama-2-7b",
    "training_file": "https://example.com/train.csv",
    "hyperparameters": {},
}


async def read_until_broken(response: aiohttp.ClientResponse) -> tuple[bytes, BaseException | None]:
    """Read a body as far as it goes; returns the bytes and the error that ended it, if any."""
    data = bytearray()
    try:
        async for chunk in response.content.iter_any():
            data += chunk
    except aiohttp.ClientError as exc:
        return bytes(data), exc
    return bytes(data), None


async def raw_chunks(server: ReferenceServer, path: str, body: dict[str, object]) -> list[bytes]:
    """Send a request over a bare socket and return the HTTP chunks of the chunked answer."""
    payload = json.dumps(body).encode()
    host, port = server.llm_engine_url.split("/")[2].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        f"Authorization: Bearer {server.api_key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    writer.write(head.encode() + payload)
    raw = await reader.read()
    writer.close()
    await writer.wait_closed()
    body_bytes = raw.split(b"\r\n\r\n", 1)[1]
    chunks = []
    while True:
        size_line, body_bytes = body_bytes.split(b"\r\n", 1)
        size = int(size_line, 16)
        if size == 0:
            return chunks
        chunks.append(body_bytes[:size])
        body_bytes = body_bytes[size + 2 :]


class TestStatus:
    async def test_error_with_hints(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """Fault.error answers its status, hints and shape-2 body once, then the route acts."""
        server.inject(
            "GET",
            "v1/files",
            Fault.error(503, retry_after=2, retry_after_ms=1500, should_retry=True),
        )
        async with http.get("v1/files") as r:
            first = (r.status, r.headers.copy(), await r.json())
        async with http.get("v1/files") as r:
            second = r.status

        status, headers, body = first
        assert (status, second) == (503, 200)
        assert headers["Retry-After"] == "2"
        assert headers["retry-after-ms"] == "1500"
        assert headers["x-should-retry"] == "true"
        assert "x-request-id" not in headers
        assert body == {"error": {"status_code": 503, "message": "Service Unavailable"}}
        assert server.pending_faults() == 0

    @pytest.mark.parametrize(
        ("method", "path", "route"),
        [
            ("POST", CLI + "whoami/", "cli/whoami/"),
            ("GET", "v1/files", "v1/files"),
            ("POST", OPENAI + "responses", "responses"),
        ],
    )
    async def test_plain_status_uses_route_shape(
        self,
        server: ReferenceServer,
        http: aiohttp.ClientSession,
        method: str,
        path: str,
        route: str,
    ) -> None:
        """A Fault(status=...) without a body answers in the error shape of the route's family."""
        server.inject(method, route, Fault(status=500))
        async with http.request(method, path, json={}) as r:
            body = await r.json()

        assert r.status == 500
        if route.startswith("cli/"):
            error = body["error"]
            assert (error["status"], error["errorClass"], error["command"]) == (
                500,
                "SmarterException",
                "whoami",
            )
            assert body["metadata"] == {"command": "whoami", "thing": "None"}
        elif route == "responses":
            assert body == {
                "error": {
                    "message": "Internal Server Error",
                    "type": "server_error",
                    "param": None,
                    "code": None,
                }
            }
        else:
            assert body == {"detail": "Internal Server Error"}

    async def test_custom_body(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """A fault's own text body and content type are sent as given."""
        server.inject(
            "*", "v1/files*", Fault(status=429, body="slow down", headers={"Retry-After": "0.1"})
        )
        async with http.get("v1/files/abc") as r:
            assert (r.status, r.content_type, await r.text()) == (429, "text/plain", "slow down")

    async def test_html(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """Fault.html answers a proxy's HTML error page."""
        server.inject("GET", "v1/files", Fault.html())
        async with http.get("v1/files") as r:
            text = await r.text()

        assert (r.status, r.content_type) == (502, "text/html")
        assert "<h1>502 Bad Gateway</h1>" in text

    async def test_faults_consumed_in_order(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """Faults for one route are taken one per request, in order; other routes are untouched."""
        server.inject("GET", "v1/files", Fault(status=500), Fault(status=502))
        statuses = []
        async with http.get("v1/llm/fine-tunes") as r:
            statuses.append(r.status)
        for _ in range(3):
            async with http.get("v1/files") as r:
                statuses.append(r.status)

        assert statuses == [200, 500, 502, 200]

    async def test_routes_are_per_mount(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """A route pattern names a path relative to its service's mount, so mounts do not mix."""
        server.inject("POST", "chat/completions", Fault(status=503))
        chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        async with http.post("v2/chat/completions", json=chat) as r:
            engine = r.status
        async with http.post(OPENAI + "chat/completions", json=chat) as r:
            openai = r.status

        assert (engine, openai) == (200, 503)

    async def test_headers_on_a_normal_answer(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """A fault with headers only adds them to the route's own answer, JSON or stream."""
        limit = {"x-ratelimit-remaining-requests": "7"}
        server.inject("POST", "v1/llm/completions-*", Fault(headers=limit), Fault(headers=limit))
        async with http.post(SYNC, json=COMPLETION) as r:
            plain = (r.status, r.headers.get("x-ratelimit-remaining-requests"), await r.json())
        async with http.post(STREAM, json=COMPLETION) as r:
            events = parse_sse(await r.read())
            streamed = (r.status, r.headers.get("x-ratelimit-remaining-requests"))
        async with http.post(SYNC, json=COMPLETION) as r:
            after = r.headers.get("x-ratelimit-remaining-requests")

        assert plain[:2] == (200, "7")
        assert plain[2]["output"]["text"]
        assert streamed == (200, "7")
        assert events
        assert after is None


class TestTiming:
    async def test_slow(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """Fault.slow delays the answer, which then is normal."""
        server.inject("GET", "v1/files", Fault.slow(0.2))
        started = time.monotonic()
        async with http.get("v1/files") as r:
            assert r.status == 200

        assert time.monotonic() - started >= 0.2

    async def test_slow_body(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """A split fault with slow_body writes a JSON body in timed pieces that join up."""
        server.inject("GET", "v1/files", Fault.split(4, slow_body=0.01))
        started = time.monotonic()
        async with http.get("v1/files") as r:
            body = await r.json()

        assert body == {"files": []}
        # '{"files":[]}' is 12 bytes: three pieces, two pauses.
        assert time.monotonic() - started >= 0.02


class TestDrop:
    async def test_drop_before_acts_not(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """drop_before closes the connection; nothing is created and the log has no status."""
        server.inject("POST", "v1/llm/fine-tunes", Fault.drop_before())
        with pytest.raises(aiohttp.ClientConnectionError):
            async with http.post("v1/llm/fine-tunes", json=JOB) as r:
                await r.read()

        assert server.state.jobs == {}
        assert [(e.path, e.status) for e in server.requests] == [("v1/llm/fine-tunes", None)]

    async def test_drop_after_then_replay(self, extended: ReferenceServer) -> None:
        """Extended: drop_after creates the job; the retry with the same key replays it."""
        extended.inject("POST", "v1/llm/fine-tunes", Fault.drop_after())
        headers = {"Idempotency-Key": "key-1"}
        async with session_for(extended) as http:
            with pytest.raises(aiohttp.ClientConnectionError):
                async with http.post("v1/llm/fine-tunes", json=JOB, headers=headers) as r:
                    await r.read()
            async with http.post("v1/llm/fine-tunes", json=JOB, headers=headers) as r:
                body = await r.json()
                replayed = r.headers.get("Idempotent-Replayed")

        assert list(extended.state.jobs) == [body["id"]]
        assert replayed == "true"

    async def test_drop_after_then_retry_creates_again(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """By default the retry after drop_after is a new job: no real server replays a key."""
        server.inject("POST", "v1/llm/fine-tunes", Fault.drop_after())
        headers = {"Idempotency-Key": "key-1"}
        with pytest.raises(aiohttp.ClientConnectionError):
            async with http.post("v1/llm/fine-tunes", json=JOB, headers=headers) as r:
                await r.read()
        async with http.post("v1/llm/fine-tunes", json=JOB, headers=headers) as r:
            body = await r.json()
            replayed = r.headers.get("Idempotent-Replayed")

        assert len(server.state.jobs) == 2
        assert body["id"] in server.state.jobs
        assert replayed is None


class TestStreams:
    async def test_cut_abort(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """A cut with abort breaks the chunked body after N events."""
        server.inject("POST", "v1/llm/completions-stream", Fault.cut(2))
        async with http.post(STREAM, json=COMPLETION) as r:
            data, error = await read_until_broken(r)

        events = parse_sse(data).events
        assert isinstance(error, aiohttp.ClientPayloadError)
        assert [e.id for e in events] == [None, None]

    async def test_cut_clean(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """A cut without abort ends the HTTP response cleanly but before the final event."""
        server.inject("POST", "v1/llm/completions-stream", Fault.cut(3, abort=False))
        async with http.post(STREAM, json=COMPLETION) as r:
            data, error = await read_until_broken(r)

        events = parse_sse(data).events
        assert error is None
        assert len(events) == 3
        assert not any(e.json()["output"]["finished"] for e in events)

    async def test_cut_extended_has_ids(self, extended: ReferenceServer) -> None:
        """In the extended profile the events before a cut carry their ids."""
        extended.inject("POST", "v1/llm/completions-stream", Fault.cut(2))
        async with session_for(extended) as http, http.post(STREAM, json=COMPLETION) as r:
            data, error = await read_until_broken(r)

        assert isinstance(error, aiohttp.ClientPayloadError)
        assert [e.id for e in parse_sse(data).events] == ["0", "1"]

    async def test_cut_without_ids(self, extended: ReferenceServer) -> None:
        """Fault(cut_after=3, ids=False) sends three events without id lines, even extended."""
        extended.inject("POST", "v1/llm/completions-stream", Fault(cut_after=3, ids=False))
        async with session_for(extended) as http, http.post(STREAM, json=COMPLETION) as r:
            data, error = await read_until_broken(r)

        events = parse_sse(data).events
        assert isinstance(error, aiohttp.ClientPayloadError)
        assert [e.id for e in events] == [None, None, None]
        assert b"id:" not in data

    async def test_ids_forced(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """Fault(ids=True) gives a default-profile stream its id lines."""
        server.inject("POST", "v1/llm/completions-stream", Fault(ids=True))
        async with http.post(STREAM, json=COMPLETION) as r:
            events = parse_sse(await r.read()).events

        assert [e.id for e in events] == ["0", "1", "2", "3", "4"]

    async def test_stream_error(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """stream_error sends N events, then an error chunk, then ends cleanly."""
        server.inject(
            "POST", "v1/llm/completions-stream", Fault.stream_error(2, status=503, message="busy")
        )
        async with http.post(STREAM, json=COMPLETION) as r:
            data, error = await read_until_broken(r)

        events = parse_sse(data).events
        last = events[-1].json()
        assert error is None
        assert [e.id for e in events] == [None, None, None]
        assert last["output"] is None
        assert last["error"]["status_code"] == 503
        assert last["error"]["content"]["error"] == "busy"
        assert time.strptime(last["error"]["content"]["timestamp"], "%Y-%m-%d %H:%M:%S")

    async def test_stream_error_extended_has_id(self, extended: ReferenceServer) -> None:
        """In the extended profile the error chunk carries the next event id."""
        extended.inject("POST", "v1/llm/completions-stream", Fault.stream_error(2))
        async with session_for(extended) as http, http.post(STREAM, json=COMPLETION) as r:
            events = parse_sse(await r.read()).events

        assert [e.id for e in events] == ["0", "1", "2"]
        assert events[-1].json()["error"]["status_code"] == 500

    async def test_chat_stream_error(
        self, server: ReferenceServer, http: aiohttp.ClientSession
    ) -> None:
        """On an OpenAI chat stream the error event is OpenAI-shaped."""
        server.inject(
            "POST", "chat/completions", Fault.stream_error(1, status=429, message="later")
        )
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
        async with http.post(OPENAI + "chat/completions", json=body) as r:
            events = parse_sse(await r.read()).events

        assert events[-1].json() == {
            "error": {"message": "later", "type": "server_error", "code": 429}
        }

    @pytest.mark.parametrize("line_ending", ["\n", "\r\n", "\r"])
    async def test_split_one_byte(self, server: ReferenceServer, line_ending: str) -> None:
        """A split(1) fault writes every byte as its own chunk; the events parse the same."""
        server.inject("POST", "v1/llm/completions-stream", Fault.split(1, line_ending=line_ending))
        chunks = await raw_chunks(server, STREAM, COMPLETION)
        server.inject("POST", "v1/llm/completions-stream", Fault(line_ending=line_ending))
        whole = await raw_chunks(server, STREAM, COMPLETION)

        body = b"".join(chunks)
        events = parse_sse(body).events
        assert {len(chunk) for chunk in chunks} == {1}
        assert [e.json()["output"] for e in events] == [
            e.json()["output"] for e in parse_sse(b"".join(whole)).events
        ]
        assert len(events) == 5
        assert (line_ending * 2).encode() in body
        if line_ending != "\r\n":
            assert b"\r\n" not in body

    async def test_split_json(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """A split fault on a JSON answer keeps Content-Length and the exact body."""
        server.inject("POST", "cli/whoami/", Fault.split(7))
        async with http.post(CLI + "whoami/") as r:
            body = await r.json()

        assert r.headers["Content-Length"]
        assert body["data"]["environment"] == "reference"


class TestMalformed:
    async def test_malformed(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """malformed_json answers 200 application/json that does not parse, and acts not."""
        server.inject("POST", "v1/llm/fine-tunes", Fault.malformed_json())
        async with http.post("v1/llm/fine-tunes", json=JOB) as r:
            text = await r.text()

        assert (r.status, r.content_type) == (200, "application/json")
        with pytest.raises(ValueError):
            json.loads(text)
        assert server.state.jobs == {}


class TestConstruction:
    def test_fault_validation(self) -> None:
        """A fault with an impossible line ending is refused at construction."""
        with pytest.raises(ValueError) as raised:
            Fault(line_ending="\n\n")

        assert str(raised.value) == "line_ending must be LF, CRLF or CR, not '\\n\\n'"

    def test_inject_refuses_non_faults(self, server: ReferenceServer) -> None:
        """The inject method takes only Fault objects."""
        with pytest.raises(TypeError) as raised:
            server.inject("GET", "v1/files", "500")  # type: ignore[arg-type]

        assert str(raised.value) == "expected a Fault, got str"
        assert server.pending_faults() == 0
