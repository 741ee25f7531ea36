"""The fault matrix: every fault the reference server injects, on every kind of call.

Each fault scenario of ``SCENARIOS`` is crossed with the five kinds of call (``SURFACES``:
a repeatable JSON call, a call that creates something, a stream, an upload, a list), both
clients ({async, sync}, the ``kind`` fixture) and two server profiles:

- ``smarter``, which answers like the real servers: no event ids, no ``Idempotency-Key``
  replay, no paging. A create the server may have acted on is not retried: the caller gets
  the error, which says so.
- ``extended``, which serves the protocol's extensions: a stream resumes by
  ``Last-Event-ID``, a list pages, and a create is retried (``retry_creates=True``) because
  the server replays a repeated ``Idempotency-Key``. The repeatable JSON call is the same
  against both, so it runs against ``smarter`` only (``PROFILE_SURFACES``).

A crossing that cannot happen (an in-stream error on a JSON call) is in the table as an
explicit skip with its reason, never left out silently.

Every case asserts the documented outcome (PROTOCOL.md "Retries", "Stream resume";
API.md "Timeouts and retries"):

- success after exactly the expected number of attempts (counted in ``server.requests``), or
  the exact exception class after exactly that many;
- as many waits between attempts as retries, each the server's hint or the backoff;
- promptly: the call returns within the case's time budget, well short of a hang;
- nothing duplicated: at most one fine-tune job or one stored file per logical call;
- nothing truncated: the chunks of a stream equal those of an unfaulted run of the same
  request (a prefix of them, exactly as long as expected, when the call fails); a stored
  upload holds every byte of the file from where the caller left it (a retry rewinds).

Uploads are given as open file objects. An upload by path leaks its file when an attempt
is abandoned while the file is being opened: test_regressions.py covers that.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from helpers import collect, run

import smarter
from smarter import _retry
from smarter.testing import Fault, ReferenceServer
from smarter.testing._state import StoredFile

AnyClient = smarter.AsyncClient | smarter.Client

SURFACES = ("json", "create", "stream", "upload", "list")
PROFILE_SURFACES = {"smarter": SURFACES, "extended": ("create", "stream", "upload", "list")}
CREATES = ("create", "upload")
STREAMS_ONLY = "a stream-only fault: a JSON answer has no events to cut, break or interrupt"
JSON_SPLIT_ONCE = "line endings shape event streams only; a JSON body split is the CRLF row"
NO_IDS = "the real servers' events carry no ids: resume is the extended profile's"

# The request each surface makes, as (method, route) for Fault injection and counting.
ROUTES = {
    "json": ("POST", "v1/llm/completions-sync"),
    "create": ("POST", "v1/llm/fine-tunes"),
    "stream": ("POST", "v1/llm/completions-stream"),
    "upload": ("POST", "v1/files"),
    "list": ("GET", "v1/files"),
}
PROMPT = "The quick brown fox jumps over the lazy dog"
TOKENS = 10  # events in the stream; cut points below stay inside it
UPLOAD_SIZE = 300 * 1024 + 7  # a few of the transport's 256 KiB reads, not a round number
LIST_FILES = 5  # seeded files, listed two per page: three pages, the fault on the second
LIST_LIMIT = 2

_FAST = smarter.Timeout(3.0, connect=1.0)
# Streams that end in a TCP reset are paced: events PACE seconds apart, so the client is
# waiting for each one when it arrives. A reset destroys what the client received but had
# not read yet (aiohttp raises the stored error before returning buffered bytes), which
# turns "resume after event 3" into "start again from scratch" at random: also a correct
# outcome (nothing is lost or repeated), but not the one the case pins.
PACE = 0.05


def _reset(after: int, *, ids: bool = True) -> Fault:
    """A stream cut by a TCP reset after *after* events, paced (see PACE)."""
    return Fault(cut_after=after, ids=ids, slow_body=PACE)


def _drop_after() -> Fault:
    """Act, then reset the connection; a stream's events are paced (see PACE)."""
    return Fault(drop="after", slow_body=PACE)


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One fault (or a sequence of faults) and the outcome the protocol promises.

    ``faults`` are injected on the surface's route; on the extended profile's list they hit
    the second page (a no-op ``Fault()`` takes the first). ``attempts`` counts the requests
    of the faulted call; ``expect`` is the exact exception class, or None for success. The
    fields say what the extended profile promises; ``unsure`` and ``real`` say where the
    real servers' profile differs.
    """

    fault: str
    variant: str
    faults: tuple[Fault, ...] = ()
    expect: type[Exception] | None = None
    attempts: int = 1
    timeout: smarter.Timeout = _FAST
    max_retries: int = 2
    budget: float = 3.0
    hint: float | None = None
    """The Retry-After hint every wait must equal; None: waits are the backoff."""
    delivered: int | None = None
    """Streams: how many chunks reached the caller (a prefix of the run); None: every chunk
    when the call succeeds, none when it fails."""
    last_event_ids: tuple[str | None, ...] | None = None
    """Streams: the Last-Event-ID of each attempt."""
    message: str | None = None
    """The start of the error message."""
    created: int | None = 0
    """A call that fails: the jobs or files it created (None: at most one, the server acts
    later). One for a call whose every attempt was acted on: the first created, the rest
    were replayed by ``Idempotency-Key``."""
    refused: bool = False
    """Nothing listens: the client points at a closed port."""
    skip: tuple[tuple[str, str], ...] = ()
    """(surface, reason) pairs: crossings that do not apply."""
    override: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    """(surface, ((field, value), ...)): where one surface's promise differs."""
    marks: tuple[tuple[str, Any], ...] = ()
    """(surface, mark): known library bugs on one surface (strict xfails, see the reason)."""
    unsure: tuple[type[Exception], int | None, bool] | None = None
    """When the first fault may leave a created object behind: the error it raises, what
    the first attempt created, and whether the error says the server may have acted (not
    on a 409, whose server says it did not). Against the real servers, which replay no
    ``Idempotency-Key``, such a create is not retried."""
    real: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    """Like ``override``, for the real servers' profile."""
    real_skip: tuple[tuple[str, str], ...] = ()
    """Like ``skip``, for the real servers' profile."""
    may_have_acted: bool = False
    """The error says the server may have acted (a create that was not retried)."""

    def on(self, surface: str, profile: str) -> Scenario:
        """The scenario as it applies to one surface against one profile."""
        case = self
        for name, changes in self.override:
            if name == surface:
                case = dataclasses.replace(case, **dict(changes))
        if profile != "smarter":
            return case
        if surface in CREATES and self.unsure is not None:
            error, created, says = self.unsure
            case = dataclasses.replace(
                case,
                expect=error,
                attempts=1,
                created=created,
                hint=None,
                message=None,
                may_have_acted=says,
            )
        for name, changes in self.real:
            if name == surface:
                case = dataclasses.replace(case, **dict(changes))
        return case

    def skip_reason(self, surface: str, profile: str) -> str | None:
        """Why this scenario does not apply to *surface* and *profile*, or None."""
        reason = dict(self.skip).get(surface)
        if reason is None and profile == "smarter":
            reason = dict(self.real_skip).get(surface)
        return reason


def _streams_only(*others: str) -> tuple[tuple[str, str], ...]:
    others = others or tuple(surface for surface in SURFACES if surface != "stream")
    return tuple((surface, STREAMS_ONLY) for surface in others)


def _status_name(status: int) -> type[smarter.APIStatusError]:
    return {
        408: smarter.APIStatusError,
        409: smarter.ConflictError,
        429: smarter.RateLimitError,
    }.get(status, smarter.InternalServerError)


def _status_scenarios() -> list[Scenario]:
    scenarios = []
    for status in (408, 409, 429, 500, 502, 503, 504):
        error = _status_name(status)
        # A 429 or a 408 says the server did not act: a create is retried. A 409 says it
        # did not either, but retrying a conflict is not safe without idempotency. Any
        # other status may hide a created object.
        unsure = None if status in (408, 429) else (error, 0, status != 409)
        scenarios += [
            Scenario(
                f"status {status}",
                "retried",
                (Fault.error(status),),
                attempts=2,
                unsure=unsure,
            ),
            Scenario(
                f"status {status}",
                "retry-after",
                (Fault.error(status, retry_after="1.5"),),
                attempts=2,
                hint=1.5,
                unsure=unsure,
            ),
            Scenario(
                f"status {status}",
                "retry-after-over-cap",
                (Fault.error(status, retry_after="600"),),
                expect=error,
                attempts=1,
                unsure=unsure,
            ),
            Scenario(
                f"status {status}",
                "exhausted",
                (Fault.error(status),) * 3,
                expect=error,
                attempts=3,
                unsure=unsure,
            ),
        ]
    return scenarios


SCENARIOS: list[Scenario] = [
    Scenario(
        "refused connection",
        "exhausted",
        expect=smarter.APIConnectionError,
        attempts=3,
        refused=True,
    ),
    Scenario(
        "drop before response",
        "retried",
        (Fault.drop_before(),),
        attempts=2,
        unsure=(smarter.APIConnectionError, 0, True),
    ),
    Scenario(
        "drop before response",
        "exhausted",
        (Fault.drop_before(),) * 3,
        expect=smarter.APIConnectionError,
        attempts=3,
        unsure=(smarter.APIConnectionError, 0, True),
    ),
    Scenario(
        "drop after acting",
        "retried",
        (_drop_after(),),
        attempts=2,
        unsure=(smarter.APIConnectionError, 1, True),
        # The stream was written whole before the drop: the caller has every chunk.
        override=(("stream", (("attempts", 1),)),),
    ),
    Scenario(
        "drop after acting",
        "exhausted",
        (_drop_after(),) * 3,
        expect=smarter.APIConnectionError,
        attempts=3,
        created=1,
        unsure=(smarter.APIConnectionError, 1, True),
        # The stream was written whole before the drop: the caller has every chunk.
        override=(("stream", (("expect", None), ("attempts", 1))),),
    ),
    *_status_scenarios(),
    Scenario(
        "slow headers",
        "retried",
        (Fault.slow(2.0),),
        attempts=2,
        timeout=smarter.Timeout(0.5),
        budget=0.5 + 3.0,
        unsure=(smarter.APITimeoutError, None, True),
    ),
    Scenario(
        "slow headers",
        "exhausted",
        (Fault.slow(2.0),) * 2,
        expect=smarter.APITimeoutError,
        attempts=2,
        max_retries=1,
        created=None,
        timeout=smarter.Timeout(0.5),
        budget=2 * 0.5 + 3.0,
        unsure=(smarter.APITimeoutError, None, True),
    ),
    Scenario(
        "slow body",
        "within-read-timeout",
        (Fault(chunk_size=64, slow_body=0.01),),
        attempts=1,
        timeout=smarter.Timeout(5.0, read=1.0),
        budget=5.0,
    ),
    Scenario(
        "slow body",
        "past-read-timeout",
        (Fault(chunk_size=8, slow_body=1.5),),
        attempts=2,
        timeout=smarter.Timeout(5.0, read=0.3),
        budget=0.3 + 3.0,
        # The answer had begun: the server acted.
        unsure=(smarter.APITimeoutError, 1, True),
    ),
    Scenario(
        "slow body",
        "idle-stream-resumed",
        (Fault(slow_body=1.5),),
        attempts=2,
        timeout=smarter.Timeout(5.0, read=0.3),
        budget=0.3 + 3.0,
        last_event_ids=(None, "0"),
        skip=_streams_only(),
        # Without ids a stream that went quiet after its first event cannot resume.
        real=(
            ("stream", (("expect", smarter.APITimeoutError), ("attempts", 1), ("delivered", 1))),
        ),
    ),
    Scenario(
        "slow body",
        "idle-stream-exhausted",
        (Fault(slow_body=1.5),) * 3,
        expect=smarter.APITimeoutError,
        attempts=3,
        timeout=smarter.Timeout(5.0, read=0.3),
        budget=3 * 0.3 + 3.0,
        delivered=3,
        last_event_ids=(None, "0", "1"),
        skip=_streams_only(),
        # Without ids a stream that went quiet after its first event cannot resume.
        real=(
            ("stream", (("expect", smarter.APITimeoutError), ("attempts", 1), ("delivered", 1))),
        ),
    ),
    Scenario(
        "stream cut with ids",
        "before-first-event",
        (Fault.cut(0),),
        attempts=2,
        last_event_ids=(None, None),
        skip=_streams_only(),
        real_skip=(("stream", NO_IDS),),
    ),
    Scenario(
        "stream cut with ids",
        "mid-stream-reset",
        (_reset(4),),
        attempts=2,
        last_event_ids=(None, "3"),
        skip=_streams_only(),
        real_skip=(("stream", NO_IDS),),
    ),
    Scenario(
        "stream cut with ids",
        "mid-stream-clean-end",
        (Fault.cut(4, abort=False),),
        # A clean end is the end, ids or not: the real servers mark no last event.
        attempts=1,
        delivered=4,
        last_event_ids=(None,),
        skip=_streams_only(),
        real_skip=(("stream", NO_IDS),),
    ),
    Scenario(
        "stream cut with ids",
        "exhausted",
        (_reset(2),) * 3,
        expect=smarter.IncompleteStreamError,
        attempts=3,
        delivered=6,
        last_event_ids=(None, "1", "3"),
        skip=_streams_only(),
        real_skip=(("stream", NO_IDS),),
    ),
    Scenario(
        "stream cut without ids",
        "before-first-event",
        (Fault.cut(0, ids=False),),
        attempts=2,
        last_event_ids=(None, None),
        skip=_streams_only(),
    ),
    Scenario(
        "stream cut without ids",
        "mid-stream-reset",
        (_reset(4, ids=False),),
        expect=smarter.IncompleteStreamError,
        attempts=1,
        delivered=4,
        skip=_streams_only(),
    ),
    Scenario(
        "stream cut without ids",
        "mid-stream-clean-end",
        (Fault.cut(4, ids=False, abort=False),),
        # A clean end is the end: LLM Engine's TensorRT-LLM streams never set `finished`
        # and its v2 chat streams send no [DONE] (PROTOCOL.md, "How a stream ends").
        attempts=1,
        delivered=4,
        skip=_streams_only(),
    ),
    Scenario(
        "in-stream error",
        "503-before-first-event",
        (Fault.stream_error(0, 503),),
        attempts=2,
        skip=_streams_only(),
    ),
    Scenario(
        "in-stream error",
        "400-before-first-event",
        (Fault.stream_error(0, 400, "bad prompt"),),
        expect=smarter.BadRequestError,
        attempts=1,
        message="bad prompt",
        skip=_streams_only(),
    ),
    Scenario(
        "in-stream error",
        "500-mid-stream",
        (Fault.stream_error(3, 500),),
        expect=smarter.InternalServerError,
        attempts=1,
        delivered=3,
        message="Internal error occurred.",
        skip=_streams_only(),
    ),
    Scenario(
        "in-stream error",
        "429-mid-stream",
        (Fault.stream_error(3, 429, "slow down"),),
        expect=smarter.RateLimitError,
        attempts=1,
        delivered=3,
        message="slow down",
        skip=_streams_only(),
    ),
    Scenario(
        "malformed JSON",
        "200-not-json",
        (Fault.malformed_json(),),
        expect=smarter.APIResponseValidationError,
        attempts=1,
    ),
    Scenario(
        "HTML error page",
        "502-retried",
        (Fault.html(502),),
        attempts=2,
        unsure=(smarter.InternalServerError, 0, True),
    ),
    Scenario(
        "HTML error page",
        "403-final",
        (Fault.html(403),),
        expect=smarter.PermissionDeniedError,
        attempts=1,
        message="Error code: 403 - <html>",
    ),
    Scenario("awkward splits", "1-byte-crlf", (Fault.split(1, line_ending="\r\n"),)),
    *(
        Scenario(
            "awkward splits",
            f"{size}-byte-{name}",
            (Fault.split(size, line_ending=ending),),
            skip=tuple((surface, JSON_SPLIT_ONCE) for surface in SURFACES if surface != "stream"),
        )
        for size, name, ending in [
            (1, "lf", "\n"),
            (1, "cr", "\r"),
            (2, "cr", "\r"),
            (7, "crlf", "\r\n"),
        ]
    ),
]


def _cases() -> list[Any]:
    cases = []
    for scenario in SCENARIOS:
        for profile, surfaces in PROFILE_SURFACES.items():
            for surface in surfaces:
                reason = scenario.skip_reason(surface, profile)
                marks = [pytest.mark.skip(reason=f"not applicable: {reason}")] if reason else []
                marks += [mark for name, mark in scenario.marks if name == surface]
                case = scenario.on(surface, profile)
                name = f"{scenario.fault.replace(' ', '_')}-{scenario.variant}-{surface}-{profile}"
                cases.append(pytest.param(case, surface, profile, marks=marks, id=name))
    return cases


@pytest.fixture
def server(profile: str) -> Iterator[ReferenceServer]:
    """A reference server of the case's profile, fresh for each case."""
    with ReferenceServer.in_thread(job_step=0.05, profile=profile) as server:
        yield server


# -- the five kinds of call --------------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    """What one call gave back: its value (ids or chunks) or its error, and its chunks."""

    value: Any = None
    error: BaseException | None = None
    chunks: list[tuple[str, bool]] = dataclasses.field(default_factory=list)


def _chunk(chunk: Any) -> tuple[str, bool]:
    return chunk.output.text, chunk.output.finished


async def _stream(client: AnyClient) -> Outcome:
    outcome = Outcome()
    stream = client.completions.stream(model="example-model", prompt=PROMPT, max_new_tokens=TOKENS)
    try:
        if isinstance(stream, smarter.Stream):
            with stream:
                for chunk in stream:
                    outcome.chunks.append(_chunk(chunk))
        else:
            async with stream:
                async for chunk in stream:
                    outcome.chunks.append(_chunk(chunk))
    except smarter.SmarterError as exc:
        outcome.error = exc
    return outcome


async def _call(surface: str, client: AnyClient, upload: Path) -> Outcome:
    if surface == "stream":
        return await _stream(client)
    try:
        if surface == "json":
            completion = await run(
                client.completions.create(model="example-model", prompt=PROMPT, max_new_tokens=3)
            )
            return Outcome(value=completion.output.text)
        if surface == "create":
            job = await run(
                client.fine_tuning.jobs.create(model="m", training_file="https://x.test/t.csv")
            )
            return Outcome(value=job.id)
        if surface == "upload":
            with upload.open("rb") as file:
                file.read(3)  # a retry rewinds the file to where the caller left it
                return Outcome(value=(await run(client.files.create(file=file))).id)
        page = await run(client.files.list(limit=LIST_LIMIT))
        return Outcome(value=[item.id for item in await collect(page)])
    except smarter.SmarterError as exc:
        return Outcome(error=exc)


def _seed_files(server: ReferenceServer) -> list[str]:
    ids = []
    with server.state.lock:
        for index in range(LIST_FILES):
            stored = StoredFile(
                id=f"file-seed{index}",
                filename=f"seed{index}.csv",
                size=3,
                content_type="text/csv",
                purpose="fine-tune",
                created_at=time.time(),
                data=b"a,b",
            )
            server.state.files[stored.id] = stored
            ids.append(stored.id)
    return ids


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _check_delays(delays: Sequence[float], case: Scenario) -> None:
    assert len(delays) == case.attempts - 1, delays
    for retries_taken, delay in enumerate(delays):
        if case.hint is not None:
            assert delay == case.hint
        else:
            top = min(0.5 * 2**retries_taken, 8.0)
            assert 0.75 * top <= delay <= top, delays


@pytest.fixture(scope="module")
def upload_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file of a size no chunking divides evenly."""
    path = tmp_path_factory.mktemp("upload") / "train.jsonl"
    path.write_bytes(os.urandom(UPLOAD_SIZE))
    return path


@pytest.mark.parametrize(("case", "surface", "profile"), _cases())
async def test_fault(
    case: Scenario,
    surface: str,
    profile: str,
    kind: str,
    server: ReferenceServer,
    make_client: Callable[..., AnyClient],
    upload_file: Path,
) -> None:
    """The fault gives the documented outcome: right attempts, class, speed, data."""
    seeded = _seed_files(server) if surface == "list" else []
    paged = surface == "list" and server.profile.paginate
    base_url = f"http://127.0.0.1:{_closed_port()}/" if case.refused else None
    client = make_client(
        kind,
        # The refused case points every service at the closed port.
        **({"llm_engine_url": base_url} if base_url else {}),
        timeout=case.timeout,
        max_retries=case.max_retries,
        retry_creates=server.profile.idempotency,
    )
    reference = await _stream(make_client(kind)) if surface == "stream" else Outcome()
    assert reference.error is None
    server.clear_requests()
    _retry.set_testing(True)  # forget the delays of the reference run
    method, route = ROUTES[surface]
    if case.faults:
        server.inject(method, route, *(((Fault(),) if paged else ()) + case.faults))

    start = time.monotonic()
    outcome = await _call(surface, client, upload_file)
    elapsed = time.monotonic() - start

    assert elapsed < case.budget, f"took {elapsed:.2f} s"
    if case.expect is None:
        assert outcome.error is None, repr(outcome.error)
    else:
        assert type(outcome.error) is case.expect, repr(outcome.error)
        assert outcome.error.request_id or case.refused  # type: ignore[union-attr]
        if case.message is not None:
            assert str(outcome.error).startswith(case.message), str(outcome.error)
        assert ("may have acted" in str(outcome.error)) == case.may_have_acted, outcome.error
    _check_delays(_retry.testing_delays(), case)
    sent = server.requests_to(method, route)
    if paged and not case.refused:
        # The first page, then the attempts at the second, then (on success) the third.
        pages_after = 1 if case.expect is None else 0
        assert len(sent) == 1 + case.attempts + pages_after
    else:
        assert len(sent) == (0 if case.refused else case.attempts)
    if case.last_event_ids is not None and server.profile.event_ids:
        assert tuple(r.headers.get("Last-Event-ID") for r in sent) == case.last_event_ids
    elif not server.profile.event_ids:
        assert [r.headers.get("Last-Event-ID") for r in sent] == [None] * len(sent)

    _check_created(case, surface, outcome, server, seeded, upload_file)
    if surface == "list":
        assert outcome.value == (seeded if case.expect is None else None)
    if surface == "stream":
        delivered = case.delivered
        if delivered is None:
            delivered = len(reference.chunks) if case.expect is None else 0
        assert outcome.chunks == reference.chunks[:delivered]
    if surface == "json" and case.expect is None:
        assert outcome.value


def _check_created(
    case: Scenario,
    surface: str,
    outcome: Outcome,
    server: ReferenceServer,
    seeded: list[str],
    upload_file: Path,
) -> None:
    """Exactly the objects the call promises, each whole; none from a call that creates none."""
    jobs = list(server.state.jobs)
    uploads = {key: stored for key, stored in server.state.files.items() if key not in seeded}
    if surface not in CREATES:
        assert (jobs, list(uploads)) == ([], [])
        return
    if case.expect is None:
        created = [outcome.value]
    else:
        assert case.created is None or len(jobs) + len(uploads) == case.created
        created = jobs[:1] + list(uploads)[:1]
    assert jobs == (created if surface == "create" else [])
    assert list(uploads) == (created if surface == "upload" else [])
    for stored in uploads.values():
        assert stored.data == upload_file.read_bytes()[3:]
