"""The transport: timeouts, foreign errors translated, bodies of any size, the pool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from helpers import collect, run

import smarter
from smarter import _retry
from smarter.testing import Fault, ReferenceServer

AnyClient = smarter.AsyncClient | smarter.Client


class TestTimeouts:
    async def test_slow_headers_time_out_promptly(
        self, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """A server slower than the timeout raises APITimeoutError after each attempt's limit."""
        client = make_client(kind, timeout=0.3, max_retries=1)
        server.inject("*", "cli/whoami/", Fault.slow(5), Fault.slow(5))
        start = time.monotonic()

        with pytest.raises(smarter.APITimeoutError) as caught:
            await run(client.whoami())

        assert 0.55 <= time.monotonic() - start < 2.5
        # asyncio.TimeoutError is TimeoutError from Python 3.11 on, its own class before.
        assert isinstance(caught.value.__cause__, (TimeoutError, asyncio.TimeoutError))
        assert len(server.requests) == 2

    async def test_per_call_timeout(self, client: AnyClient, server: ReferenceServer) -> None:
        """timeout= on one call overrides the client's for that call only."""
        server.inject("*", "cli/whoami/", *[Fault.slow(5)] * 3)
        start = time.monotonic()

        with pytest.raises(smarter.APITimeoutError):
            await run(client.whoami(timeout=0.2))

        assert time.monotonic() - start < 2.0

    async def test_timeout_then_success_is_retried(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A timed-out attempt is retried; the next answer is returned."""
        server.inject("*", "cli/whoami/", Fault.slow(5))

        who = await run(client.whoami(timeout=smarter.Timeout(0.3)))

        assert (who.environment, len(server.requests)) == ("reference", 2)

    async def test_slow_body_hits_the_read_timeout(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A body that trickles with long silences trips the read timeout."""
        server.inject("*", "cli/whoami/", *[Fault(chunk_size=8, slow_body=1.0)] * 3)
        start = time.monotonic()

        with pytest.raises(smarter.APITimeoutError):
            await run(client.whoami(timeout=smarter.Timeout(30, read=0.2)))

        assert time.monotonic() - start < 3.0

    async def test_silent_stream_times_out(
        self, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """A stream silent for longer than `read` raises APITimeoutError, not a hang."""
        client = make_client(kind, timeout=smarter.Timeout(30, read=0.3), max_retries=0)
        server.inject("POST", "v1/llm/completions-stream", Fault(slow_body=3.0))
        start = time.monotonic()

        with pytest.raises(smarter.APITimeoutError):
            await collect(client.completions.stream(model="example-model", prompt="x"))

        assert time.monotonic() - start < 2.5


class TestBodies:
    async def test_awkward_splits(self, client: AnyClient, server: ReferenceServer) -> None:
        """A JSON body arriving one byte at a time is read whole."""
        server.inject("*", "cli/whoami/", Fault(chunk_size=1))

        who = await run(client.whoami())

        assert who.user.username == "reference"

    async def test_large_body(self, client: AnyClient, server: ReferenceServer) -> None:
        """A body far over 64 KiB (aiohttp's line limit) is read whole."""
        content = b"x" * (3 * 1024 * 1024)
        uploaded = await run(client.files.create(file=content))

        got = await run(client.files.content(uploaded.id))

        assert len(got.content) == len(content)

    async def test_html_error_page(self, client: AnyClient, server: ReferenceServer) -> None:
        """A proxy's HTML error page is a status error with the page in the message."""
        server.inject("*", "*", *[Fault.html(502)] * 3)

        with pytest.raises(smarter.InternalServerError) as caught:
            await run(client.whoami())

        assert caught.value.message.startswith("Error code: 502 - <html>")
        assert len(server.requests) == 3


class TestPool:
    async def test_connections_are_reused(
        self, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """Sequential calls reuse one connection."""
        client = make_client(kind)
        for _ in range(5):
            await run(client.whoami())

        transport = getattr(client, "_async", client)._transport
        assert transport.connection_count == 1

    async def test_connection_limit(self, server: ReferenceServer) -> None:
        """connection_limit caps the connections open at once."""
        import asyncio

        async with smarter.AsyncClient(**server.client_kwargs(), connection_limit=3) as client:
            server.inject("*", "cli/whoami/", *[Fault.slow(0.1)] * 12)
            await asyncio.gather(*(client.whoami() for _ in range(12)))

            assert client._transport.connection_count <= 3
        assert len({r.headers["X-Smarter-RequestId"] for r in server.requests}) == 12

    async def test_no_sleep_switch_records(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """The test switch records delays instead of sleeping them."""
        server.inject("*", "cli/whoami/", Fault.error(503, retry_after="60"))
        start = time.monotonic()

        await run(client.whoami())

        assert _retry.testing_delays() == [60.0]
        assert time.monotonic() - start < 5
