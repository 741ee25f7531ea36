"""Stream resume: cut at random points, the caller still sees every chunk exactly once.

PROTOCOL.md "Stream resume": when a stream whose events carry ids breaks, the client
reconnects with ``Last-Event-ID`` (counting against ``max_retries``), so the caller sees every
chunk exactly once, in order. No real server sends event ids, so this module runs against
the reference server's ``extended`` profile. API.md "Timeouts": ``read`` is the longest
silence allowed between two chunks of a stream; ``total`` bounds only the wait for its
headers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import smarter
from smarter.testing import Fault, ReferenceServer

AnyClient = smarter.AsyncClient | smarter.Client

FAULT_KIND = "stream cut with ids"

PROMPT = "Once upon a time in a quiet harbor town"
TOKENS = 24
# Events are paced so that the client reads each one as it arrives: a TCP reset destroys
# bytes received but not yet read, which would make the resume point vary from run to run
# (still correct, but not the exact Last-Event-ID this test pins).
PACE = 0.01


@pytest.fixture
def server() -> Iterator[ReferenceServer]:
    """The ``extended`` profile: its events carry ids, so a broken stream resumes."""
    with ReferenceServer.in_thread(job_step=0.05, profile="extended") as server:
        yield server


async def _chunks(stream: Any) -> tuple[list[tuple[str, bool]], BaseException | None]:
    got: list[tuple[str, bool]] = []
    try:
        if isinstance(stream, smarter.Stream):
            with stream:
                for chunk in stream:
                    got.append((chunk.output.text, chunk.output.finished))
        else:
            async with stream:
                async for chunk in stream:
                    got.append((chunk.output.text, chunk.output.finished))
    except smarter.SmarterError as exc:
        return got, exc
    return got, None


def _stream(client: AnyClient, **options: Any) -> Any:
    return client.completions.stream(
        model="example-model", prompt=PROMPT, max_new_tokens=TOKENS, **options
    )


@pytest.mark.parametrize("seed", range(6))
async def test_three_random_cuts_resume(
    kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer, seed: int
) -> None:
    """Three breaks at random points: three resumes, every chunk once, in order."""
    rng = random.Random(seed)
    reference, error = await _chunks(_stream(make_client(kind)))
    assert error is None
    points = sorted(rng.sample(range(1, TOKENS), 3))
    afters = [b - a for a, b in zip([0, *points], points, strict=False)]
    server.clear_requests()
    server.inject(
        "POST",
        "v1/llm/completions-stream",
        *(Fault(cut_after=a, slow_body=PACE) for a in afters),
    )
    client = make_client(kind, max_retries=3)

    got, error = await _chunks(_stream(client))

    sent = server.requests_to("POST", "v1/llm/completions-stream")
    assert (error, got) == (None, reference)
    assert [r.headers.get("Last-Event-ID") for r in sent] == [None, *(str(p - 1) for p in points)]
    assert [r.headers["X-Smarter-Retry-Count"] for r in sent] == ["0", "1", "2", "3"]
    assert len({r.headers["X-Smarter-RequestId"] for r in sent}) == 1


async def test_idle_stream_times_out_promptly(
    kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
) -> None:
    """A stream silent for longer than `read` raises APITimeoutError after the read limit."""
    reference, _ = await _chunks(_stream(make_client(kind)))
    client = make_client(kind, timeout=smarter.Timeout(60, read=0.3), max_retries=0)
    server.inject("POST", "v1/llm/completions-stream", Fault(slow_body=30.0))
    start = time.monotonic()

    got, error = await _chunks(_stream(client))

    assert type(error) is smarter.APITimeoutError
    assert 0.25 <= time.monotonic() - start < 2.0
    assert got == reference[:1]


async def test_resumed_idle_stream_times_out_after_the_budget(
    kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
) -> None:
    """A stream that goes silent again after each resume gives up after max_retries."""
    client = make_client(kind, timeout=smarter.Timeout(60, read=0.3), max_retries=2)
    server.inject("POST", "v1/llm/completions-stream", *[Fault(slow_body=30.0)] * 3)
    start = time.monotonic()

    got, error = await _chunks(_stream(client))

    assert type(error) is smarter.APITimeoutError
    assert time.monotonic() - start < 3 * 0.3 + 2.0
    assert len(got) == 3  # one more chunk per attempt, none repeated
    assert len(server.requests) == 3


async def test_total_does_not_cut_a_lively_stream(
    kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
) -> None:
    """A stream that keeps talking may outlast `total`: total bounds only its headers."""
    reference, _ = await _chunks(_stream(make_client(kind)))
    client = make_client(kind, timeout=smarter.Timeout(0.4, read=2.0), max_retries=0)
    server.inject("POST", "v1/llm/completions-stream", Fault(slow_body=0.03))
    start = time.monotonic()

    got, error = await _chunks(_stream(client))

    assert (error, got) == (None, reference)
    assert time.monotonic() - start > 0.4
