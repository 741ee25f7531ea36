"""The parts of a request made per call: the call's id (``smarter._request.new_id``)."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from smarter._request import new_id


def _is_uuid4(text: str) -> bool:
    parsed = uuid.UUID(text)
    return str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_ids_are_random_uuid4_and_never_repeat() -> None:
    """Ids across several batches are distinct version-4 UUIDs in their canonical text."""
    ids = [new_id() for _ in range(1_000)]

    assert all(_is_uuid4(text) for text in ids)
    assert len(set(ids)) == len(ids)
    # Every random digit varies, each from its own random source: no column copied twice.
    columns = [{text[c] for text in ids} for c in range(36)]
    assert [len(seen) for seen in columns].count(16) == 30
    assert columns[19] == set("89ab")
    assert len({tuple(text[c] for text in ids) for c in range(36) if len(columns[c]) == 16}) == 30


def test_threads_never_share_an_id() -> None:
    """Eight threads drawing at once (refilling the batch together) get distinct ids."""
    drawn: list[list[str]] = [[] for _ in range(8)]
    start = threading.Barrier(len(drawn))

    def draw(into: list[str]) -> None:
        start.wait()
        into.extend(new_id() for _ in range(2_000))

    threads = [threading.Thread(target=draw, args=(into,)) for into in drawn]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every = [text for into in drawn for text in into]
    assert len(set(every)) == len(every) == 16_000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_draws_its_own_ids() -> None:
    """A child forked with ids left in the parent's batch does not send the parent's next id."""
    new_id()  # the batch is drawn and mostly unused
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, new_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)

    assert _is_uuid4(child)
    assert child != new_id()
