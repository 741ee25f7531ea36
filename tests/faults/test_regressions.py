"""Regression tests of the library bugs the fault matrix found, one focused test each.

- aiohttp resent a dropped GET, PUT or DELETE once by itself, outside ``max_retries``
  (``ClientSession._retry_connection``, now switched off on the client's sessions).
- An upload by path cancelled while its file was being opened left the file open.
"""

from __future__ import annotations

import asyncio
import builtins
import gc
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import run

import smarter
import smarter._files
from smarter.testing import Fault, ReferenceServer

AnyClient = smarter.AsyncClient | smarter.Client

FAULT_KIND = "regressions"


@pytest.mark.parametrize(
    ("method", "route", "call"),
    [
        ("GET", "v1/files/*", lambda c: c.files.get("file-x")),
        ("PUT", "v1/llm/fine-tunes/*/cancel", lambda c: c.fine_tuning.jobs.cancel("ft-x")),
        ("DELETE", "v1/files/*", lambda c: c.files.delete("file-x")),
    ],
    ids=["GET", "PUT", "DELETE"],
)
@pytest.mark.parametrize("max_retries", [0, 2])
async def test_dropped_idempotent_request_is_sent_max_retries_plus_one_times(
    kind: str,
    make_client: Callable[..., AnyClient],
    server: ReferenceServer,
    method: str,
    route: str,
    call: Callable[[AnyClient], Any],
    max_retries: int,
) -> None:
    """A connection dropped every time: exactly max_retries + 1 requests, counted 0, 1, ..."""
    client = make_client(kind, max_retries=max_retries)
    server.inject(method, route, *[Fault.drop_before()] * 10)

    with pytest.raises(smarter.APIConnectionError):
        await run(call(client))

    counts = [r.headers["X-Smarter-Retry-Count"] for r in server.requests_to(method, route)]
    assert counts == [str(n) for n in range(max_retries + 1)]


async def test_cancelled_upload_closes_its_file(
    kind: str,
    make_client: Callable[..., AnyClient],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An upload abandoned while its file is being opened still closes the file."""
    path = tmp_path / "train.jsonl"
    path.write_bytes(b'{"prompt": "a", "response": "b"}\n' * 100)
    client = make_client(kind, max_retries=0, timeout=0.2)
    real_open = builtins.open
    opened: list[Any] = []

    def slow_open(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)  # a slow disk: the attempt's timeout strikes during the open
        opened.append(real_open(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(smarter._files, "open", slow_open, raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(smarter.APITimeoutError):
            await run(client.files.create(file=path))
        # The worker thread finishes its open, then the abandoned file is closed: wait for
        # that (not a fixed time), so that the check below is never made too early.
        deadline = time.monotonic() + 10
        while not (opened and opened[0].closed) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        gc.collect()

    assert len(opened) == 1
    assert opened[0].closed
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []
