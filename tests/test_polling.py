"""``_polling``: the wait loop's checks, backoff, progress, failure and timeout."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from smarter import WaitError, WaitTimeoutError
from smarter._polling import check_wait, wait_for


class Job:
    """A fake job read by the loop: its states in order, the last one repeated."""

    def __init__(self, *states: str) -> None:
        self.states = list(states)
        self.reads: list[float] = []

    async def read(self) -> str:
        """The next state, remembering when it was read."""
        self.reads.append(asyncio.get_running_loop().time())
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]


async def wait(job: Job, **arguments: Any) -> str:
    """Wait on the fake job until it is done."""
    arguments.setdefault("poll_interval", 0.01)
    arguments.setdefault("timeout", None)
    return await wait_for(
        job.read, what="job j", state=str, final=lambda s: s == "done", **arguments
    )


@pytest.mark.parametrize(
    ("interval", "timeout", "error"),
    [("1", None, TypeError), (0, None, ValueError), (1, -1, ValueError), (True, None, TypeError)],
)
def test_check_wait_refuses(interval: Any, timeout: Any, error: type) -> None:
    """A poll interval or timeout that is not a positive number is refused."""
    with pytest.raises(error):
        check_wait(interval, timeout)


async def test_backoff_grows_and_is_capped() -> None:
    """Each pause is half again as long as the one before, up to eight poll intervals."""
    job = Job(*["running"] * 9, "done")

    assert await wait(job) == "done"

    gaps = [later - earlier for earlier, later in zip(job.reads, job.reads[1:], strict=False)]
    # A pause never ends early but may end late on a busy machine: lower bounds are exact,
    # the cap is shown by the last three pauses (0.24 s capped, 0.54 s were they not).
    expected = [min(0.01 * 1.5**i, 0.08) for i in range(9)]
    assert all(gap >= pause - 0.001 for gap, pause in zip(gaps, expected, strict=True))
    assert sum(gaps[-3:]) < 0.45


async def test_progress_and_log(caplog: pytest.LogCaptureFixture) -> None:
    """on_progress sees every read; the logger says each change of state once."""
    seen: list[str] = []
    with caplog.at_level(logging.INFO, logger="smarter"):
        await wait(Job("queued", "queued", "running", "done"), on_progress=seen.append)

    assert seen == ["queued", "queued", "running", "done"]
    assert [r.getMessage().split(" after")[0] for r in caplog.records] == [
        "job j: queued",
        "job j: running",
        "job j: done",
    ]


async def test_failed_raises_wait_error() -> None:
    """A state that will never be final raises WaitError with the reason and the object."""
    with pytest.raises(WaitError, match="job j broke") as caught:
        await wait(Job("running", "broken"), failed=lambda s: "broke" if s == "broken" else None)

    assert caught.value.last == "broken"


async def test_timeout_says_what_and_where() -> None:
    """The timeout raises WaitTimeoutError naming what it waited for and its last state."""
    with pytest.raises(
        WaitTimeoutError, match=r"job j is still running after the timeout of 0.05 s"
    ):
        await wait(Job("running"), timeout=0.05)


async def test_timeout_cuts_a_slow_read() -> None:
    """A read still going at the deadline is cancelled: the wait ends on time."""

    async def slow() -> str:
        await asyncio.sleep(10)
        return "done"

    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(WaitTimeoutError, match="not read yet"):
        await wait_for(slow, what="job j", state=str, final=bool, poll_interval=1, timeout=0.05)

    assert loop.time() - started < 1
