"""The benchmark runner: ``python -m benchmarks [--quick] [--only NAME,...] [--label L]``.

It starts the lean server (``benchmarks/server.py``) in its own process on a free port, then
for each workload runs every contender in a fresh process of its own, alternating them
(A B C A B C ...) for several rounds, and reports the median of each contender's figure with
its ratio to the floor (raw aiohttp or raw httpx) and to the best peer (openai-python,
requests). The markdown table is printed and written, with the raw samples as JSON, to
``benchmarks/results/<date>[-label].md`` / ``.json``, together with the machine and the
command line. No threshold is asserted: the targets table says which were met.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"

OURS, FLOOR, PEER = "ours", "floor", "peer"


@dataclass
class Contender:
    """One client in a workload: a ``--contender`` name, extra arguments, and its role."""

    key: str
    name: str
    role: str
    label: str
    args: tuple[str, ...] = ()
    floor: str | None = None  # the key of the floor this one is compared with

    def __post_init__(self) -> None:
        self.samples: list[dict[str, Any]] = []
        self.errors: list[str] = []


@dataclass
class Workload:
    """A workload script and how its figure is read."""

    name: str
    title: str
    module: str
    unit: str
    figure: Callable[[dict[str, Any]], float]
    contenders: list[Contender]
    full: tuple[str, ...]
    quick: tuple[str, ...]
    rounds: int = 5
    peer_rounds: int = 3
    notes: Callable[[Contender], str] = field(default=lambda c: "")


def _cpu_per_op_us(result: dict[str, Any]) -> float:
    return float(result["cpu"]) / result["ops"] * 1e6


def _median(contender: Contender, key: str) -> float:
    values = [float(s[key]) for s in contender.samples if key in s]
    return statistics.median(values) if values else float("nan")


def _wall_note(c: Contender) -> str:
    if not c.samples:
        return ""
    per_op = statistics.median(s["wall"] / s["ops"] * 1e6 for s in c.samples)
    return f"wall {per_op:,.1f} µs/op"


def _import_note(c: Contender) -> str:
    return f"{_median(c, 'modules'):.0f} modules" if c.samples else ""


def _upload_note(c: Contender) -> str:
    if not c.samples:
        return ""
    return (
        f"{_median(c, 'mb_per_s'):,.0f} MB/s, CPU {_median(c, 'cpu'):.2f} s, "
        f"peak from {c.samples[0].get('peak_source')}"
    )


def _scale_note(c: Contender) -> str:
    if not c.samples:
        return ""
    worst = min(c.samples, key=lambda s: (s["complete"], -s["errors"]))
    kinds = "; ".join(f"{k} x{v}" for k, v in worst["error_kinds"].items())
    return (
        f"{worst['complete']}/{worst['streams']} complete (worst round), "
        f"{sum(s['errors'] for s in c.samples)} errors, {sum(s['lost'] for s in c.samples)} lost, "
        f"wall {_median(c, 'wall'):.2f} s" + (f"; {kinds}" if kinds else "")
    )


def workloads() -> list[Workload]:
    """The six workloads, their contenders and their sizes (full and ``--quick``)."""
    return [
        Workload(
            "async_json",
            "1. async small JSON",
            "benchmarks.async_json",
            "CPU µs/call",
            _cpu_per_op_us,
            [
                Contender(
                    "smarter",
                    "smarter",
                    OURS,
                    "smarter AsyncClient completions.create",
                    floor="aiohttp",
                ),
                Contender(
                    "smarter-chat",
                    "smarter-chat",
                    OURS,
                    "smarter AsyncClient chat.completions.create",
                    floor="aiohttp",
                ),
                Contender(
                    "smarter-get",
                    "smarter-get",
                    OURS,
                    "smarter AsyncClient files.get (GET)",
                    floor="aiohttp-get",
                ),
                Contender("aiohttp", "aiohttp", FLOOR, "raw aiohttp ClientSession + json.loads"),
                Contender("aiohttp-get", "aiohttp-get", FLOOR, "raw aiohttp GET + json.loads"),
                Contender("openai-httpx", "openai-httpx", PEER, "openai AsyncOpenAI (httpx)"),
                Contender(
                    "openai-aiohttp",
                    "openai-aiohttp",
                    PEER,
                    "openai AsyncOpenAI (DefaultAioHttpClient)",
                ),
                Contender("llmengine", "llmengine", PEER, "LLM Engine client Completion.acreate"),
            ],
            full=("--calls", "5000", "--concurrency", "32", "--warmup", "300"),
            quick=("--calls", "300", "--concurrency", "32", "--warmup", "50"),
            notes=_wall_note,
        ),
        Workload(
            "blocking",
            "2. blocking small JSON",
            "benchmarks.blocking",
            "CPU µs/call",
            _cpu_per_op_us,
            [
                Contender(
                    "smarter", "smarter", OURS, "smarter Client completions.create", floor="httpx"
                ),
                Contender("httpx", "httpx", FLOOR, "raw httpx.Client + json.loads"),
                Contender("requests", "requests", PEER, "requests.Session + json.loads"),
                Contender("openai", "openai", PEER, "openai OpenAI (httpx)"),
                Contender("llmengine", "llmengine", PEER, "LLM Engine client Completion.create"),
            ],
            full=("--calls", "2000", "--warmup", "200"),
            quick=("--calls", "200", "--warmup", "20"),
            notes=_wall_note,
        ),
        Workload(
            "stream",
            "3. one long stream",
            "benchmarks.stream",
            "CPU µs/event",
            _cpu_per_op_us,
            [
                Contender(
                    "smarter",
                    "smarter",
                    OURS,
                    "smarter completions.stream() (async)",
                    floor="aiohttp",
                ),
                Contender(
                    "smarter-sync",
                    "smarter-sync",
                    OURS,
                    "smarter completions.stream() (sync Client)",
                    floor="aiohttp",
                ),
                Contender(
                    "smarter-chat",
                    "smarter-chat",
                    OURS,
                    "smarter chat.completions.create(stream=True)",
                    floor="aiohttp-chat",
                ),
                Contender(
                    "aiohttp", "aiohttp", FLOOR, "raw aiohttp, SSE split + json.loads (completions)"
                ),
                Contender(
                    "aiohttp-chat",
                    "aiohttp-chat",
                    FLOOR,
                    "raw aiohttp, SSE split + json.loads (chat)",
                ),
                Contender(
                    "smarter-chat-tools",
                    "smarter-chat-tools",
                    OURS,
                    "smarter chat stream of tool-call fragments",
                    floor="aiohttp-chat-tools",
                ),
                Contender(
                    "smarter-chat-tools-final",
                    "smarter-chat-tools-final",
                    OURS,
                    "smarter chat stream of tool-call fragments, await final()",
                    floor="aiohttp-chat-tools",
                ),
                Contender(
                    "aiohttp-chat-tools",
                    "aiohttp-chat-tools",
                    FLOOR,
                    "raw aiohttp, SSE split + json.loads (chat tool calls)",
                ),
                Contender("openai-httpx", "openai-httpx", PEER, "openai chat stream (httpx)"),
                Contender(
                    "openai-aiohttp",
                    "openai-aiohttp",
                    PEER,
                    "openai chat stream (DefaultAioHttpClient)",
                ),
                Contender("llmengine", "llmengine", PEER, "LLM Engine client stream (requests)"),
            ],
            full=("--events", "50000", "--warmup", "2000"),
            quick=("--events", "5000", "--warmup", "200"),
            notes=_wall_note,
        ),
        Workload(
            "imports",
            "4. import time",
            "benchmarks.imports",
            "ms",
            lambda r: r["import_us"] / 1000,
            [
                Contender("smarter", "smarter", OURS, "import smarter", floor="aiohttp"),
                Contender(
                    "smarter+aiohttp",
                    "smarter+aiohttp",
                    OURS,
                    "import smarter, aiohttp (before the first call)",
                    floor="aiohttp",
                ),
                Contender("aiohttp", "aiohttp", FLOOR, "import aiohttp"),
                Contender("openai", "openai", PEER, "import openai"),
                Contender("httpx", "httpx", PEER, "import httpx"),
                Contender("llmengine", "llmengine", PEER, "import llmengine"),
            ],
            full=(),
            quick=(),
            rounds=9,
            peer_rounds=9,
            notes=_import_note,
        ),
        Workload(
            "upload",
            "5. upload peak RSS growth",
            "benchmarks.upload",
            "MB",
            lambda r: r["growth_mb"],
            [
                Contender(
                    "smarter", "smarter", OURS, "smarter AsyncClient files.create", floor="aiohttp"
                ),
                Contender(
                    "smarter-sync",
                    "smarter-sync",
                    OURS,
                    "smarter Client files.create",
                    floor="aiohttp",
                ),
                Contender("aiohttp", "aiohttp", FLOOR, "raw aiohttp FormData(open file)"),
                Contender("openai", "openai", PEER, "openai AsyncOpenAI files.create"),
            ],
            full=(),
            quick=(),
            rounds=3,
            peer_rounds=1,
            notes=_upload_note,
        ),
        Workload(
            "scale",
            "6. concurrent streams",
            "benchmarks.scale",
            "CPU µs/event",
            _cpu_per_op_us,
            [
                Contender(
                    "smarter-1000",
                    "smarter",
                    OURS,
                    "smarter, connection_limit=1000",
                    ("--limit", "1000"),
                    floor="aiohttp-1000",
                ),
                Contender(
                    "smarter-100",
                    "smarter",
                    OURS,
                    "smarter, connection_limit=100 (default)",
                    ("--limit", "100"),
                    floor="aiohttp-100",
                ),
                Contender(
                    "aiohttp-1000", "aiohttp", FLOOR, "raw aiohttp, limit=1000", ("--limit", "1000")
                ),
                Contender(
                    "aiohttp-100", "aiohttp", FLOOR, "raw aiohttp, limit=100", ("--limit", "100")
                ),
            ],
            full=("--streams", "1000", "--events", "100"),
            quick=("--streams", "200", "--events", "20"),
            rounds=3,
            notes=_scale_note,
        ),
    ]


# -- processes -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def server(log: Path) -> Iterator[str]:
    """The benchmark server in its own process; yields its base URL."""
    port = _free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.server", "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; see {log}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/api/v1/"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _run_one(workload: Workload, contender: Contender, extra: list[str]) -> None:
    command = [
        sys.executable,
        "-m",
        workload.module,
        "--contender",
        contender.name,
        *contender.args,
        *extra,
    ]
    try:
        proc = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
        )
    except subprocess.TimeoutExpired:
        contender.errors.append("timed out after 300 s")
        return
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        contender.errors.append(f"exit {proc.returncode}: {tail[0][:200]}")
        return
    contender.samples.append(json.loads(lines[-1][len("RESULT ") :]))


def run_workload(workload: Workload, extra: list[str], rounds: int, peer_rounds: int) -> None:
    """Run the contenders alternately, round after round."""
    for round_ in range(rounds):
        for contender in workload.contenders:
            if contender.role == PEER and round_ >= peer_rounds:
                continue
            _run_one(workload, contender, extra)
            sample = contender.samples[-1] if contender.samples else None
            shown = f"{workload.figure(sample):,.2f} {workload.unit}" if sample else "failed"
            print(
                f"  [{workload.name} {round_ + 1}/{rounds}] {contender.key:<15} {shown}",
                file=sys.stderr,
                flush=True,
            )


# -- reporting -------------------------------------------------------------------------------


def median_figure(workload: Workload, contender: Contender) -> float:
    """The median of the contender's figures, or NaN when every run failed."""
    values = [workload.figure(s) for s in contender.samples]
    return statistics.median(values) if values else float("nan")


def _ratio(value: float, base: float) -> str:
    if base != base or value != value or base == 0:  # NaN or nothing to divide by
        return "-"
    return f"{value / base:.2f}x"


def _fmt(value: float) -> str:
    if value != value:
        return "failed"
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def table(results: list[Workload]) -> str:
    """The markdown table of every workload's medians and ratios."""
    lines = [
        "| workload | contender | median | vs floor | vs best peer | notes |",
        "|---|---|---:|---:|---:|---|",
    ]
    for w in results:
        figures = {c.key: median_figure(w, c) for c in w.contenders}
        peers = [figures[c.key] for c in w.contenders if c.role == PEER and c.samples]
        best_peer = min(peers) if peers else float("nan")
        floors = [c for c in w.contenders if c.role == FLOOR]
        for i, c in enumerate(w.contenders):
            floor_key = c.floor or (c.key if c.role == FLOOR else floors[0].key)
            note = w.notes(c)
            if c.errors:
                note = (note + "; " if note else "") + f"{len(c.errors)} failed: {c.errors[0]}"
            name = f"**{c.label}**" if c.role == OURS else c.label
            lines.append(
                f"| {w.title if i == 0 else ''} | {name} | {_fmt(figures[c.key])} {w.unit} "
                f"| {_ratio(figures[c.key], figures[floor_key])} "
                f"| {_ratio(figures[c.key], best_peer)} | {note} |"
            )
    return "\n".join(lines)


def _find(results: list[Workload], name: str) -> Workload | None:
    return next((w for w in results if w.name == name), None)


def targets(results: list[Workload]) -> str:
    """The targets (issues 6 and 11), each with what was measured."""
    rows: list[tuple[str, str, str, bool | None]] = []

    def ratio(name: str, ours: str, base: str, goal: float, what: str) -> None:
        w = _find(results, name)
        if w is None:
            return
        by_key = {c.key: median_figure(w, c) for c in w.contenders}
        value = by_key[ours] / by_key[base]
        met = None if value != value else value <= goal
        rows.append((what, f"{value:.2f}x", f"<= {goal}x", met))

    # Issue 11's per-call goals (issue 6's were 1.3x, 1.5x, 1.0x and 1.2x).
    ratio("async_json", "smarter", "aiohttp", 1.15, "async completions.create vs raw aiohttp")
    ratio("async_json", "smarter-get", "aiohttp-get", 1.15, "async files.get vs raw aiohttp GET")
    ratio("async_json", "smarter", "openai-httpx", 0.4, "async small JSON vs openai (httpx)")
    ratio("stream", "smarter", "aiohttp", 1.15, "stream per event vs raw aiohttp")
    ratio("stream", "smarter-chat", "openai-httpx", 0.5, "chat stream per event vs openai (httpx)")
    # Issue 15: tool-call fragments, read chunk by chunk and folded by final().
    ratio(
        "stream", "smarter-chat-tools", "aiohttp-chat-tools", 1.5, "tool-call chunks vs raw aiohttp"
    )
    ratio(
        "stream",
        "smarter-chat-tools-final",
        "aiohttp-chat-tools",
        1.5,
        "tool-call chunks with final() vs raw aiohttp",
    )
    ratio("blocking", "smarter", "httpx", 0.8, "blocking call vs raw httpx.Client")
    ratio("imports", "smarter", "aiohttp", 1.0, "import smarter vs import aiohttp")
    upload = _find(results, "upload")
    if upload is not None:
        for c in upload.contenders:
            if c.role == OURS:
                worst = max((s["growth_mb"] for s in c.samples), default=float("nan"))
                met = None if worst != worst else worst < 32
                rows.append(
                    (
                        f"upload peak RSS growth, {c.label}",
                        f"{worst:.1f} MB (worst)",
                        "< 32 MB",
                        met,
                    )
                )
    scale = _find(results, "scale")
    if scale is not None:
        for c in scale.contenders:
            if c.role == OURS:
                ok = (
                    bool(c.samples)
                    and not c.errors
                    and all(s["complete"] == s["streams"] and s["errors"] == 0 for s in c.samples)
                )
                done = min((s["complete"] for s in c.samples), default=0)
                streams = c.samples[0]["streams"] if c.samples else 0
                errors = sum(s["errors"] for s in c.samples)
                rows.append(
                    (
                        f"concurrent streams, {c.label}",
                        f"{done}/{streams} complete, {errors} errors",
                        "all complete, 0 errors",
                        ok,
                    )
                )
    lines = ["| target | measured | goal | met |", "|---|---:|---|---|"]
    for what, value, goal, met in rows:
        mark = "-" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {what} | {value} | {goal} | {mark} |")
    return "\n".join(lines)


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "smarter"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' + uncommitted changes to smarter/' if dirty else ''}"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "versions": {
            name: _version(name)
            for name in (
                "smarter-api",
                "aiohttp",
                "openai",
                "httpx",
                "httpx2",
                "requests",
                "scale-llm-engine",
                "uvloop",
            )
        },
        "git": _git(),
    }


def sizes(results: list[Workload], quick: bool, upload_mb: int) -> str:
    """What each workload did, as the arguments of its script."""
    lines = []
    for w in results:
        args = " ".join(w.quick if quick else w.full)
        if w.name == "upload":
            args = f"a {upload_mb} MB file"
        elif w.name == "imports":
            args = "`python -X importtime -c 'import <module>'` per run"
        rounds = 1 if quick else w.rounds
        peers = 1 if quick else min(w.rounds, w.peer_rounds)
        lines.append(
            f"- {w.title}: `{w.module}` {args}; {rounds} rounds"
            + (f" ({peers} for peers)" if peers != rounds else "")
        )
    return "\n".join(lines)


def report(
    results: list[Workload], info: dict[str, Any], command: str, quick: bool, upload_mb: int
) -> str:
    """The whole markdown report."""
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    return "\n".join(
        [
            f"# smarter benchmarks{' (--quick)' if quick else ''}: {info['date']}",
            "",
            f"- command: `{command}`",
            f"- machine: {info['cores']} cores, {info['cpu']}, {info['python']}, "
            f"{info['platform']}",
            f"- versions: {versions}; smarter at {info['git']}",
            f"- took {info['seconds']:.0f} s. Figures are medians over alternating rounds, each "
            "contender in a fresh process; CPU time is the client process's own (all its threads), "
            "measured around the workload after a warm-up. Lower is better everywhere. "
            "The server is `benchmarks/server.py` (aiohttp.web on uvloop) in its own process; "
            "the clients run on the default asyncio loop.",
            "",
            sizes(results, quick, upload_mb),
            "",
            table(results),
            "",
            "## Targets (issues 6 and 11)",
            "",
            targets(results),
            "",
        ]
    )


def _instructions(base_url: str, names: set[str]) -> dict[str, float]:
    """The callgrind counts of the contenders of the chosen workloads that have them."""
    from benchmarks import instructions

    if not instructions.available():
        print("valgrind is not installed: no instruction counts", file=sys.stderr)
        return {}
    counts: dict[str, float] = {}
    for counted in instructions.COUNTED:
        if counted.workload in names:
            print(f"  [instructions] {counted.label} ...", file=sys.stderr, flush=True)
            counts[f"{counted.workload}:{counted.contender}"] = instructions.count(
                counted, base_url
            )
    return counts


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write the report."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="a small version for CI smoke")
    parser.add_argument("--only", default="", help="comma-separated workloads to run")
    parser.add_argument("--rounds", type=int, default=None, help="rounds instead of the defaults")
    parser.add_argument("--label", default="", help="appended to the result file names")
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    parser.add_argument("--upload-mb", type=int, default=None, help="size of the upload (200)")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions per call and per event with callgrind (needs valgrind)",
    )
    args = parser.parse_args(argv)

    chosen = workloads()
    if args.only:
        names = set(args.only.split(","))
        unknown = names - {w.name for w in chosen}
        if unknown:
            parser.error(f"unknown workloads {sorted(unknown)}; from {[w.name for w in chosen]}")
        chosen = [w for w in chosen if w.name in names]

    started = time.monotonic()
    now = datetime.datetime.now(datetime.timezone.utc)
    command = shlex.join(
        ["python", "-m", "benchmarks", *(argv if argv is not None else sys.argv[1:])]
    )
    upload_mb = args.upload_mb or (16 if args.quick else 200)
    with tempfile.TemporaryDirectory(prefix="smarter-bench-") as tmp:
        big = Path(tmp) / "upload.bin"
        if any(w.name == "upload" for w in chosen):
            block = os.urandom(1 << 20)
            with big.open("wb") as f:
                for _ in range(upload_mb):
                    f.write(block)
        with server(Path(tmp) / "server.log") as base_url:
            for w in chosen:
                print(f"{w.title} ...", file=sys.stderr, flush=True)
                extra = ["--base-url", base_url, *(w.quick if args.quick else w.full)]
                if w.name == "upload":
                    extra += ["--file", str(big)]
                rounds = args.rounds or (1 if args.quick else w.rounds)
                peer_rounds = min(rounds, 1 if args.quick else w.peer_rounds)
                run_workload(w, extra, rounds, peer_rounds)
            counts = _instructions(base_url, {w.name for w in chosen}) if args.instructions else {}

    info = {
        **machine(),
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": time.monotonic() - started,
    }
    text = report(chosen, info, command, args.quick, upload_mb)
    if counts:
        from benchmarks.instructions import table as instruction_table

        text += (
            "\n## Instructions per operation (callgrind)\n\n"
            "Deterministic counts of the client process (benchmarks/instructions.py): the same "
            "for the same code, whatever the machine's load. Instructions are not time.\n\n"
            + instruction_table(counts)
            + "\n"
        )
    print(text)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    stem = (
        now.strftime("%Y-%m-%d")
        + ("-quick" if args.quick else "")
        + (f"-{args.label}" if args.label else "")
    )
    (args.output_dir / f"{stem}.md").write_text(text)
    raw = {
        "command": command,
        "machine": info,
        "quick": args.quick,
        "upload_mb": upload_mb,
        "workloads": {
            w.name: {
                c.key: {
                    "label": c.label,
                    "role": c.role,
                    "median": median_figure(w, c),
                    "unit": w.unit,
                    "samples": c.samples,
                    "errors": c.errors,
                }
                for c in w.contenders
            }
            for w in chosen
        },
    }
    raw["instructions"] = counts
    (args.output_dir / f"{stem}.json").write_text(json.dumps(raw, indent=2) + "\n")
    print(f"\nwritten to {args.output_dir / stem}.md and .json", file=sys.stderr)
    return 0
