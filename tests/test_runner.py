"""Runs of many requests (``create_many``, ``prompt_many``) against the reference server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import collect, run

import smarter
from smarter.testing import Fault, ReferenceServer

AnyClient = smarter.AsyncClient | smarter.Client
MODEL = "example-model"
ROUTE = "v1/llm/completions-sync"


def requests(count: int, start: int = 0) -> Iterator[dict[str, Any]]:
    """Lazy completion requests with distinct prompts."""
    return (
        {"model": MODEL, "prompt": f"prompt {i}", "max_new_tokens": 3}
        for i in range(start, start + count)
    )


def prompts_answered(server: ReferenceServer) -> list[str]:
    """The prompts of the completion requests the server answered with 200, in order."""
    return [
        json.loads(entry.body)["prompt"]
        for entry in server.requests_to("POST", ROUTE)
        if entry.status == 200
    ]


def latency(server: ReferenceServer, count: int, seconds: float = 0.01) -> None:
    """Give the next *count* completions some latency, so that calls overlap."""
    server.inject("POST", ROUTE, *[Fault(delay=seconds)] * count)


class TestEveryRequestOnce:
    async def test_rate_limited_server(self, client: AnyClient, server: ReferenceServer) -> None:
        """Against 10 requests per 0.1 s, every request gets one answer, never > 4 in flight."""
        server.rate_limit(10, 0.1)
        latency(server, 400)
        outcomes = await collect(client.completions.create_many(requests(60), concurrency=4))

        assert [o.index for o in outcomes] == list(range(60))
        assert all(o.ok for o in outcomes)
        assert sorted(prompts_answered(server)) == sorted(f"prompt {i}" for i in range(60))
        assert server.limits.peak_in_flight <= 4
        assert server.limits.rejected > 0  # the limit was met, and the run got through it

    async def test_pushback_seen_and_counted(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """Every 429 the server answered is a pushback the run saw (retried ones too)."""
        server.rate_limit(5, 0.1)
        run_ = client.completions.create_many(requests(30), concurrency=8)
        outcomes = await collect(run_)

        assert (len(outcomes), all(o.ok for o in outcomes)) == (30, True)
        assert run_.stats.pushbacks == server.limits.rejected > 0

    async def test_no_retry_after_lowers_concurrency(
        self, make_client: Any, server: ReferenceServer
    ) -> None:
        """LLM Engine's own 429 (a concurrency limit, no hint) halves the run's concurrency."""
        server.limits.set_concurrency(2)
        latency(server, 200, 0.02)
        client = make_client("async")
        run_ = client.completions.create_many(requests(20), concurrency=8)
        seen: list[int] = []
        async for outcome in run_:
            seen.append(run_.stats.concurrency)
            assert outcome.ok

        assert min(seen) < 8
        assert sorted(prompts_answered(server)) == sorted(f"prompt {i}" for i in range(20))


class TestOrder:
    async def test_ordered(self, client: AnyClient, server: ReferenceServer) -> None:
        """With ordered=True the outcomes come in input order, a slow first one included."""
        server.inject("POST", ROUTE, Fault(delay=0.2))
        outcomes = await collect(client.completions.create_many(requests(10), concurrency=4))

        assert [o.index for o in outcomes] == list(range(10))

    async def test_as_completed(self, client: AnyClient, server: ReferenceServer) -> None:
        """With ordered=False a slow request of the first window comes after the quick ones."""
        # The fault goes to whichever of the first four requests reaches the server first, so
        # the slow answer is marked, not assumed to be request 0.
        server.inject("POST", ROUTE, Fault(delay=0.3, headers={"X-Test-Slow": "1"}))
        outcomes = await collect(
            client.completions.create_many(requests(10), concurrency=4, ordered=False)
        )

        slow = [o.index for o in outcomes if o.result._response_headers.get("X-Test-Slow")]
        assert sorted(o.index for o in outcomes) == list(range(10))
        assert len(slow) == 1
        assert slow[0] < 4
        assert outcomes[-1].index == slow[0]

    async def test_window_bounds_what_is_held(
        self, make_client: Any, server: ReferenceServer
    ) -> None:
        """A slow first request stops new starts once 4 x concurrency wait behind it."""
        # Request 0 or 1 takes the fault, whichever reaches the server first: the slow answer
        # is marked, and the window counted from it.
        server.inject("POST", ROUTE, Fault(delay=0.5, headers={"X-Test-Slow": "1"}))
        client = make_client("async")
        run_ = client.completions.create_many(requests(100), concurrency=2)
        got = [await run_.__anext__()]
        while not got[-1].result._response_headers.get("X-Test-Slow"):
            got.append(await run_.__anext__())
        sent_while_it_was_slow = len(server.requests_to("POST", ROUTE))
        await run_.aclose()

        slow = got[-1].index
        assert [o.index for o in got] == list(range(slow + 1))
        assert slow in (0, 1)
        assert sent_while_it_was_slow <= 16 + 2 + slow


class TestFailures:
    async def test_recorded_not_raised(self, client: AnyClient, server: ReferenceServer) -> None:
        """A refused request is an outcome with its error; the run goes on to the end."""
        server.inject("POST", ROUTE, Fault(), Fault(status=400), Fault())
        run_ = client.completions.create_many(requests(5), concurrency=1)
        outcomes = await collect(run_)

        assert [(o.index, o.ok) for o in outcomes] == [
            (0, True),
            (1, False),
            (2, True),
            (3, True),
            (4, True),
        ]
        assert isinstance(outcomes[1].error, smarter.BadRequestError)
        assert outcomes[1].result is None
        assert (run_.stats.done, run_.stats.failed) == (5, 1)

    async def test_pushback_past_the_retries_gets_more_rounds(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A request whose every retry met 429 is sent again later, not failed."""
        hint = {"retry-after-ms": "10"}
        server.inject("POST", ROUTE, *[Fault(status=429, headers=hint)] * 4)
        outcomes = await collect(client.completions.create_many(requests(1)))

        assert outcomes[0].ok
        assert len(server.requests_to("POST", ROUTE)) == 5

    async def test_hint_too_long_fails_at_once(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A Retry-After above 120 s is no pause: the request fails, the others go on."""
        server.inject("POST", ROUTE, Fault(status=429, headers={"Retry-After": "3600"}))
        outcomes = await collect(client.completions.create_many(requests(3), concurrency=1))

        assert [o.ok for o in outcomes] == [False, True, True]
        assert isinstance(outcomes[0].error, smarter.RateLimitError)


class TestBadInput:
    async def test_unknown_key_in_a_list(self, client: AnyClient, server: ReferenceServer) -> None:
        """A list with a misspelt argument is refused when the run is made, nothing sent."""
        with pytest.raises(TypeError) as caught:
            client.completions.create_many([{"model": MODEL, "promt": "hi"}])

        assert "request #0" in str(caught.value)
        assert "did you mean 'prompt'?" in str(caught.value)
        assert server.requests == []

    @pytest.mark.parametrize(
        ("settings", "error"),
        [
            ({"concurrency": 0}, ValueError),
            ({"concurrency": 2.5}, TypeError),
            ({"max_requests_per_minute": -1}, ValueError),
            ({"ordered": "yes"}, TypeError),
            ({"checkpoint": 3}, TypeError),
        ],
    )
    def test_settings(self, client: AnyClient, settings: dict[str, Any], error: type) -> None:
        """A wrong setting of the run is refused at once."""
        with pytest.raises(error):
            client.completions.create_many(requests(1), **settings)

    def test_not_an_iterable_of_requests(self, client: AnyClient) -> None:
        """A single dict (not a list of them) is refused, naming what it got."""
        with pytest.raises(TypeError, match="iterable of request dicts, not dict"):
            client.completions.create_many({"model": MODEL, "prompt": "hi"})  # type: ignore[arg-type]

    async def test_bad_request_mid_run(self, client: AnyClient, server: ReferenceServer) -> None:
        """A lazy iterable's bad item: the ones before it are handed over, then it raises."""

        def items() -> Iterator[dict[str, Any]]:
            yield from requests(3)
            yield {"model": MODEL}  # no prompt
            yield from requests(3, start=3)

        outcomes, error = await drain(client.completions.create_many(items(), concurrency=2))

        assert [o.index for o in outcomes] == [0, 1, 2]
        assert isinstance(error, TypeError)
        assert "request #3: " in str(error)
        assert "needs 'prompt'" in str(error)
        assert len(server.requests_to("POST", ROUTE)) == 3

    async def test_bad_value_is_refused_before_sending(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A value the call refuses (a str temperature) stops the run; it is never sent."""
        items = ({"model": MODEL, "prompt": "x", "temperature": t} for t in (0.1, "hot"))
        with pytest.raises(TypeError, match="request #1: temperature must be a number"):
            await collect(client.completions.create_many(items, concurrency=1))

        assert len(server.requests_to("POST", ROUTE)) == 1

    def test_stream_refused_for_chat(self, client: AnyClient) -> None:
        """create_many makes whole answers: a chat request with stream=True is refused."""
        chat = [{"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}]
        with pytest.raises(ValueError, match="leave 'stream' out"):
            client.chat.completions.create_many(chat)


async def drain(run_: Any) -> tuple[list[Any], BaseException | None]:
    """The outcomes of a run of either client until it ends, and the error it ended with."""
    got: list[Any] = []
    try:
        if hasattr(run_, "__aiter__"):
            async for outcome in run_:
                got.append(outcome)
        else:
            for outcome in run_:
                got.append(outcome)
    except Exception as exc:
        return got, exc
    return got, None


class TestMemory:
    async def test_lazy_million_is_pulled_as_needed(self, make_client: Any) -> None:
        """A million lazy requests: only about the window's worth is ever pulled."""
        pulled = 0

        def items() -> Iterator[dict[str, Any]]:
            nonlocal pulled
            for request in requests(1_000_000):
                pulled += 1
                yield request

        client = make_client("async")
        run_ = client.completions.create_many(items(), concurrency=4)
        first = [await run_.__anext__() for _ in range(5)]
        await run_.aclose()

        assert [o.index for o in first] == list(range(5))
        assert pulled <= 5 + 16 + 1

    def test_sync_run_closed_early(self, server: ReferenceServer) -> None:
        """The blocking run stops its calls when closed, and its client closes cleanly."""
        with smarter.Client(**server.client_kwargs()) as client:
            with client.completions.create_many(requests(1_000_000), concurrency=2) as run_:
                outcomes = [next(run_) for _ in range(3)]

            assert [o.index for o in outcomes] == [0, 1, 2]
            assert type(run_) is smarter.Run


class TestCheckpoint:
    async def test_rerun_sends_nothing(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """A finished run's checkpoint makes its rerun skip every request."""
        path = tmp_path / "run.jsonl"
        await collect(client.completions.create_many(requests(6), checkpoint=path))
        server.clear_requests()
        again = client.completions.create_many(requests(6), checkpoint=path)
        outcomes = await collect(again)

        assert (outcomes, again.stats.skipped, server.requests) == ([], 6, [])

    async def test_rerun_sends_only_failures_and_missing(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """A rerun sends what failed and what the first run never got to, nothing else."""
        path = tmp_path / "run.jsonl"
        server.inject("POST", ROUTE, Fault(), Fault(status=400))
        await collect(client.completions.create_many(requests(4), checkpoint=path, concurrency=1))
        server.clear_requests()
        outcomes = await collect(client.completions.create_many(requests(6), checkpoint=path))

        assert [o.index for o in outcomes] == [1, 4, 5]
        assert sorted(prompts_answered(server)) == ["prompt 1", "prompt 4", "prompt 5"]

    async def test_lines(self, client: AnyClient, tmp_path: Path) -> None:
        """Each outcome is one JSONL line: key, index, request, and result or error."""
        path = tmp_path / "run.jsonl"
        outcomes = await collect(
            client.completions.create_many(requests(2), checkpoint=path, ordered=False)
        )
        lines = [json.loads(line) for line in path.read_text().splitlines()]

        assert sorted(line["index"] for line in lines) == [0, 1]
        by_index = {line["index"]: line for line in lines}
        assert by_index[0]["request"] == {"model": MODEL, "prompt": "prompt 0", "max_new_tokens": 3}
        assert (
            by_index[0]["result"] == outcomes[[o.index for o in outcomes].index(0)].result.to_dict()
        )
        assert all(len(line["key"]) == 32 for line in lines)

    async def test_identical_requests_counted(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """The same request twice is two requests: a rerun after one of them sends the other."""
        path = tmp_path / "run.jsonl"
        same = {"model": MODEL, "prompt": "again", "max_new_tokens": 2}
        await collect(client.completions.create_many([same], checkpoint=path))
        server.clear_requests()
        outcomes = await collect(client.completions.create_many([same, same], checkpoint=path))

        assert [o.index for o in outcomes] == [1]
        assert len(server.requests_to("POST", ROUTE)) == 1


class TestOtherCalls:
    async def test_chat(self, client: AnyClient) -> None:
        """chat.completions.create_many answers every chat request."""
        chats = [
            {"model": "m", "messages": [{"role": "user", "content": f"hello {i}"}]}
            for i in range(4)
        ]
        outcomes = await collect(client.chat.completions.create_many(chats))

        assert [type(o.result).__name__ for o in outcomes] == ["ChatCompletion"] * 4

    async def test_prompt_many(self, client: AnyClient, server: ReferenceServer) -> None:
        """Each prompt of prompt_many starts a conversation of its own; the bot's is kept."""
        bot = await run(client.resources.chatbots.get(name="example"))
        await run(bot.prompt("first"))
        key = bot.session_key
        outcomes = await collect(bot.prompt_many(["a", {"message": "b"}, "c"], concurrency=2))

        sent = server.requests_to("POST", "cli/prompt/example/")[1:]
        assert [o.ok for o in outcomes] == [True, True, True]
        assert len({o.result.session_key for o in outcomes} | {key}) == 4
        assert {entry.query["new_session"] for entry in sent} == {"true"}
        assert bot.session_key == key

    async def test_prompt_is_never_repeated_after_a_503(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A prompt creates a turn: after an ambiguous 503 it is recorded, not sent again."""
        bot = await run(client.resources.chatbots.get(name="example"))
        server.inject("POST", "cli/prompt/example/", Fault(status=503))
        outcomes = await collect(bot.prompt_many(["only once"]))

        assert isinstance(outcomes[0].error, smarter.InternalServerError)
        assert len(server.requests_to("POST", "cli/prompt/example/")) == 1
