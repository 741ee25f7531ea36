"""The retry policy: what is retried, how long the client waits, and how often it tries."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable

import pytest
from helpers import run
from hypothesis import given
from hypothesis import strategies as st

import smarter
from smarter import _retry
from smarter._exceptions import APIConnectionError
from smarter._response import HTTPResponse
from smarter._status import make_status_error
from smarter.testing import Fault, ReferenceServer

AnyClient = smarter.AsyncClient | smarter.Client

TRAINING_URL = "https://x.test/train.csv"


def _status_error(status: int, **headers: str) -> smarter.APIStatusError:
    response = HTTPResponse(
        method="GET", url="http://h/", status_code=status, headers=headers, content=b"{}"
    )
    return make_status_error(response)


class TestParseRetryAfter:
    @given(st.floats(min_value=0.001, max_value=1e6, allow_nan=False))
    def test_seconds(self, seconds: float) -> None:
        """A number of seconds, fractional or not, is read as is."""
        assert _retry.parse_retry_after({"retry-after": repr(seconds)}) == pytest.approx(seconds)

    @given(st.floats(min_value=0.001, max_value=1e9, allow_nan=False))
    def test_milliseconds_win(self, millis: float) -> None:
        """retry-after-ms is preferred over Retry-After and read in milliseconds."""
        headers = {"retry-after-ms": repr(millis), "retry-after": "999"}

        assert _retry.parse_retry_after(headers) == pytest.approx(millis / 1000)

    @given(st.integers(min_value=1, max_value=10**6))
    def test_http_date(self, ahead: int) -> None:
        """An HTTP-date is the time left until then."""
        now = 1_800_000_000.0
        date = email.utils.formatdate(now + ahead, usegmt=True)

        assert _retry.parse_retry_after({"retry-after": date}, now=now) == pytest.approx(ahead)

    @given(st.text(max_size=40))
    def test_anything_else_never_raises(self, text: str) -> None:
        """Garbage is no hint at all, never an exception."""
        hint = _retry.parse_retry_after({"retry-after": text, "retry-after-ms": text})

        assert hint is None or hint > 0

    @pytest.mark.parametrize("value", ["0", "-3", "nan", "", "soon", "Wed, 21 Oct 2015"])
    def test_not_positive_or_unparsable_is_ignored(self, value: str) -> None:
        """A hint <= 0 or unparsable is ignored."""
        assert _retry.parse_retry_after({"retry-after": value}) is None

    @pytest.mark.parametrize("value", ["inf", "1e400"])
    def test_an_infinite_hint_is_kept(self, value: str) -> None:
        """A hint too large for a float is infinite (longer than any retry waits), not none."""
        assert _retry.parse_retry_after({"retry-after": value}) == float("inf")

    def test_date_in_the_past_is_ignored(self) -> None:
        """A date already past is no hint."""
        assert _retry.parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None


class TestBackoff:
    @given(st.integers(min_value=0, max_value=2000))
    def test_bounds(self, retries_taken: int) -> None:
        """Backoff is min(0.5 * 2**n, 8) shortened by at most a quarter of jitter."""
        top = min(0.5 * 2.0 ** min(retries_taken, 64), 8.0)

        assert 0.75 * top <= _retry.backoff(retries_taken) <= top

    def test_hint_is_slept_exactly(self) -> None:
        """A hint of at most 120 s is the delay, without jitter."""
        assert _retry.retry_delay(_status_error(429, **{"retry-after": "7.5"}), 0) == 7.5


class TestShouldRetry:
    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            (400, False),
            (401, False),
            (403, False),
            (404, False),
            (422, False),
            (408, True),
            (409, True),
            (429, True),
            (500, True),
            (502, True),
            (503, True),
            (504, True),
        ],
    )
    def test_statuses(self, status: int, expected: bool) -> None:
        """408, 409, 429 and 5xx are retried; other 4xx are not."""
        assert _retry.should_retry(_status_error(status)) is expected

    def test_x_should_retry_overrides(self) -> None:
        """x-should-retry: true retries a 400, false stops a 503."""
        assert _retry.should_retry(_status_error(400, **{"x-should-retry": "true"}))
        assert not _retry.should_retry(_status_error(503, **{"x-should-retry": "false"}))

    def test_hint_above_cap_wins(self) -> None:
        """A Retry-After above 120 s means no retry, even with x-should-retry: true."""
        error = _status_error(503, **{"retry-after": "121", "x-should-retry": "true"})

        assert not _retry.should_retry(error)

    def test_connection_errors(self) -> None:
        """Connection errors are retried unless the transport said they cannot heal."""
        assert _retry.should_retry(APIConnectionError())
        assert not _retry.should_retry(APIConnectionError(retryable=False))
        assert _retry.should_retry(smarter.APITimeoutError())
        assert not _retry.should_retry(ValueError())


class TestAgainstTheServer:
    @pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
    async def test_retryable_status_then_success(
        self, client: AnyClient, server: ReferenceServer, status: int
    ) -> None:
        """Two retryable failures, then success: three attempts, one answer."""
        server.inject("*", "cli/whoami/", Fault.error(status), Fault.error(status))

        who = await run(client.whoami())

        assert (who.environment, len(server.requests)) == ("reference", 3)

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
    async def test_non_retryable_status(
        self, client: AnyClient, server: ReferenceServer, status: int
    ) -> None:
        """Other 4xx fail at once, after one attempt."""
        server.inject("*", "cli/whoami/", Fault.error(status))

        with pytest.raises(smarter.APIStatusError) as caught:
            await run(client.whoami())

        assert (caught.value.status_code, len(server.requests)) == (status, 1)

    async def test_gives_up_after_max_retries(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """max_retries=2 means three attempts, then the last error."""
        server.inject("*", "cli/whoami/", *[Fault.error(503)] * 5)

        with pytest.raises(smarter.InternalServerError):
            await run(client.whoami())

        assert len(server.requests) == 3

    @pytest.mark.parametrize("retries", [0, 1, 4])
    async def test_max_retries_per_client(
        self,
        kind: str,
        make_client: Callable[..., AnyClient],
        server: ReferenceServer,
        retries: int,
    ) -> None:
        """max_retries sets the number of retries; 0 turns them off."""
        client = make_client(kind, max_retries=retries)
        server.inject("*", "cli/whoami/", *[Fault.error(500)] * 6)

        with pytest.raises(smarter.InternalServerError):
            await run(client.whoami())

        assert len(server.requests) == retries + 1

    async def test_should_retry_header(self, client: AnyClient, server: ReferenceServer) -> None:
        """x-should-retry: true makes a 400 retried; false makes a 503 final."""
        server.inject("*", "cli/whoami/", Fault.error(400, should_retry=True))
        await run(client.whoami())
        server.clear_requests()
        server.inject("*", "cli/whoami/", Fault.error(503, should_retry=False))

        with pytest.raises(smarter.InternalServerError):
            await run(client.whoami())

        assert len(server.requests) == 1

    async def test_hint_over_cap_raises_at_once(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A 429 asking for 10 minutes is raised at once, not waited for."""
        server.inject("*", "cli/whoami/", Fault.error(429, retry_after="600"))

        with pytest.raises(smarter.RateLimitError):
            await run(client.whoami())

        assert (len(server.requests), _retry.testing_delays()) == (1, [])

    async def test_backoff_delays(self, client: AnyClient, server: ReferenceServer) -> None:
        """Without hints the delays grow from 0.5 s, each shortened by at most 25 %."""
        server.inject("*", "cli/whoami/", Fault.error(500), Fault.error(500))

        await run(client.whoami())

        first, second = _retry.testing_delays()
        assert 0.375 <= first <= 0.5
        assert 0.75 <= second <= 1.0

    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            ({"retry_after": "3"}, 3.0),
            ({"retry_after": "2.5"}, 2.5),
            ({"retry_after_ms": "1500"}, 1.5),
            ({"retry_after_ms": "250", "retry_after": "9"}, 0.25),
        ],
    )
    async def test_hints_are_honoured(
        self,
        client: AnyClient,
        server: ReferenceServer,
        headers: dict[str, str],
        expected: float,
    ) -> None:
        """Retry-After and retry-after-ms set the delay exactly."""
        server.inject("*", "cli/whoami/", Fault.error(429, **headers))  # type: ignore[arg-type]

        await run(client.whoami())

        assert _retry.testing_delays() == [expected]

    async def test_http_date_hint(self, client: AnyClient, server: ReferenceServer) -> None:
        """An HTTP-date Retry-After waits until that time."""
        date = email.utils.formatdate(time.time() + 30, usegmt=True)
        server.inject("*", "cli/whoami/", Fault.error(503, retry_after=date))

        await run(client.whoami())

        (delay,) = _retry.testing_delays()
        assert 28 <= delay <= 30

    async def test_real_sleep_is_the_hint(self, client: AnyClient, server: ReferenceServer) -> None:
        """With real sleeping, the retry comes no sooner than retry-after-ms asked."""
        _retry.set_testing(False)
        server.inject("*", "cli/whoami/", Fault.error(503, retry_after_ms="300"))

        await run(client.whoami())

        first, second = (r.time for r in server.requests)
        assert 0.3 <= second - first < 1.5

    async def test_connection_drop_is_retried(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A connection dropped before the answer is retried like a 5xx."""
        server.inject("*", "cli/whoami/", Fault.drop_before())

        who = await run(client.whoami())

        assert (who.environment, len(server.requests)) == ("reference", 2)

    @pytest.mark.parametrize(
        ("status", "attempts"),
        [(408, 2), (429, 2), (409, 1), (500, 1), (502, 1), (503, 1), (504, 1)],
    )
    async def test_a_create_is_retried_only_when_the_server_did_not_act(
        self, client: AnyClient, server: ReferenceServer, status: int, attempts: int
    ) -> None:
        """A create is retried after 408 or 429 only: other failures may hide a created job."""
        server.inject("POST", "v1/llm/fine-tunes", Fault.error(status))

        try:
            await run(client.fine_tuning.jobs.create(model="m", training_file=TRAINING_URL))
            error: smarter.SmarterError | None = None
        except smarter.SmarterError as exc:
            error = exc

        assert len(server.requests_to("POST", "v1/llm/fine-tunes")) == attempts
        assert (error is None) == (attempts == 2)
        assert (error is not None and "may have acted" in str(error)) == (status >= 500)

    async def test_x_should_retry_true_retries_a_create(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A server that says x-should-retry: true has not acted: the create is retried."""
        server.inject("POST", "v1/llm/fine-tunes", Fault.error(503, should_retry=True))

        job = await run(client.fine_tuning.jobs.create(model="m", training_file=TRAINING_URL))

        assert list(server.state.jobs) == [job.id]
        assert len(server.requests_to("POST", "v1/llm/fine-tunes")) == 2

    async def test_drop_after_the_server_acted_is_not_retried(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A create dropped after the server acted is not sent again: the error says look."""
        server.inject("POST", "v1/llm/fine-tunes", Fault.drop_after())

        with pytest.raises(smarter.APIConnectionError) as caught:
            await run(client.fine_tuning.jobs.create(model="m", training_file=TRAINING_URL))

        assert len(server.state.jobs) == 1
        assert len(server.requests_to("POST", "v1/llm/fine-tunes")) == 1
        assert "check fine_tuning.jobs.list() before you send it again" in str(caught.value)
        assert caught.value.sent is True

    @pytest.mark.parametrize("how", ["client", "call"])
    async def test_retry_creates_with_idempotency_creates_once(
        self,
        kind: str,
        make_extended_client: Callable[..., AnyClient],
        extended_server: ReferenceServer,
        how: str,
    ) -> None:
        """retry_creates=True (client or call) against a server that replays: one job."""
        server = extended_server
        client = make_extended_client(kind, **({"retry_creates": True} if how == "client" else {}))
        options: dict[str, bool] = {"retry_creates": True} if how == "call" else {}
        server.inject("POST", "v1/llm/fine-tunes", Fault.drop_after())

        job = await run(
            client.fine_tuning.jobs.create(model="m", training_file=TRAINING_URL, **options)
        )

        assert list(server.state.jobs) == [job.id]
        assert len(server.requests_to("POST", "v1/llm/fine-tunes")) == 2

    async def test_refused_connection(self, kind: str) -> None:
        """Nobody listening: APIConnectionError after the retries, the cause chained."""
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        options = {"base_url": f"http://127.0.0.1:{port}/", "api_key": "k", "max_retries": 1}
        client: AnyClient = (
            smarter.AsyncClient(**options) if kind == "async" else smarter.Client(**options)
        )
        try:
            with pytest.raises(smarter.APIConnectionError) as caught:
                await run(client.whoami())
        finally:
            await run(client.close() if isinstance(client, smarter.Client) else client.aclose())

        assert isinstance(caught.value.__cause__, OSError)
        assert len(_retry.testing_delays()) == 1


class TestObserver:
    async def test_told_of_every_retried_failure_and_awaited(self) -> None:
        """An observer set in the context sees each failure that is retried, then holds it."""
        events: list[str] = []

        class Observer:
            def failed(self, error: smarter.APIError) -> None:
                events.append(f"failed {error.status_code}")  # type: ignore[attr-defined]

            async def ready(self) -> None:
                events.append("ready")

        failures = [_status_error(429), _status_error(503)]

        async def attempt(retry_count: int) -> str:
            events.append(f"attempt {retry_count}")
            if failures:
                raise failures.pop(0)
            return "done"

        async def watched() -> str:
            _retry.watch_retries(Observer())
            return await _retry.run_with_retries(attempt, max_retries=2, label="POST x")

        import asyncio

        result = await asyncio.get_running_loop().create_task(watched())

        assert result == "done"
        assert events == [
            "attempt 0",
            "failed 429",
            "ready",
            "attempt 1",
            "failed 503",
            "ready",
            "attempt 2",
        ]

    async def test_other_contexts_unwatched(self) -> None:
        """An observer set in one task does not watch calls made in another."""
        import asyncio

        seen: list[object] = []

        async def watch() -> None:
            _retry.watch_retries(object())  # type: ignore[arg-type]

        await asyncio.get_running_loop().create_task(watch())
        seen.append(_retry._OBSERVER.get())

        assert seen == [None]
