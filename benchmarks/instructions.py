"""Instructions per operation, counted by callgrind: the ratios of one run, without the noise.

CPU time on a shared 2-core machine moves by 20 % between runs of the same code, which is as
much as the differences the targets are about. ``valgrind --tool=callgrind`` counts the
instructions the client process executes instead: the same count for the same code and
inputs, whatever else the machine does. Each contender's workload script runs twice under
callgrind, with a small and a large number of operations; the difference of the two totals,
divided by the difference of the sizes, is the cost of one operation with start-up, imports
and warm-up cancelled out. (Instructions are not time: a contender whose work is memory-bound
C code, such as the floors' ``json.loads``, can take longer per instruction.)

``python -m benchmarks --instructions`` adds this table to the report; it needs valgrind.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["COUNTED", "Counted", "available", "count"]

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Counted:
    """One contender of a workload whose operations are counted, and with which sizes."""

    workload: str
    module: str
    contender: str
    label: str
    floor: str | None  # the contender it is compared with (None: it is a floor)
    size_flag: str
    sizes: tuple[int, int]
    extra: tuple[str, ...] = ()


_JSON = ("--concurrency", "32", "--warmup", "300")
_STREAM = ("--warmup", "2000")
COUNTED = [
    Counted("async_json", "benchmarks.async_json", "smarter", "async completions.create",
            "aiohttp", "--calls", (300, 900), _JSON),
    Counted("async_json", "benchmarks.async_json", "aiohttp", "raw aiohttp POST",
            None, "--calls", (300, 900), _JSON),
    Counted("async_json", "benchmarks.async_json", "smarter-get", "async files.get",
            "aiohttp-get", "--calls", (300, 900), _JSON),
    Counted("async_json", "benchmarks.async_json", "aiohttp-get", "raw aiohttp GET",
            None, "--calls", (300, 900), _JSON),
    Counted("stream", "benchmarks.stream", "smarter", "completion stream, per event",
            "aiohttp", "--events", (2000, 12000), _STREAM),
    Counted("stream", "benchmarks.stream", "aiohttp", "raw aiohttp completion stream",
            None, "--events", (2000, 12000), _STREAM),
    Counted("stream", "benchmarks.stream", "smarter-chat", "chat stream, per event",
            "aiohttp-chat", "--events", (2000, 12000), _STREAM),
    Counted("stream", "benchmarks.stream", "aiohttp-chat", "raw aiohttp chat stream",
            None, "--events", (2000, 12000), _STREAM),
    Counted("stream", "benchmarks.stream", "smarter-chat-tools", "tool-call chunks, per event",
            "aiohttp-chat-tools", "--events", (2000, 12000), _STREAM),
    Counted("stream", "benchmarks.stream", "smarter-chat-tools-final",
            "tool-call chunks with final(), per event", "aiohttp-chat-tools", "--events",
            (2000, 12000), _STREAM),
    Counted("stream", "benchmarks.stream", "aiohttp-chat-tools", "raw aiohttp tool-call stream",
            None, "--events", (2000, 12000), _STREAM),
]  # fmt: skip


def available() -> bool:
    """Whether valgrind is installed."""
    return shutil.which("valgrind") is not None


def _total(counted: Counted, base_url: str, size: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        counted.module,
        "--contender",
        counted.contender,
        "--base-url",
        base_url,
        counted.size_flag,
        str(size),
        *counted.extra,
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{counted.contender}: {done.stderr.strip().splitlines()[-1:]}")
    return int(found.group(1))


def count(counted: Counted, base_url: str) -> float:
    """The instructions of one operation of *counted* (see the module docstring)."""
    small, large = counted.sizes
    return (_total(counted, base_url, large) - _total(counted, base_url, small)) / (large - small)


def table(figures: dict[str, float]) -> str:
    """The markdown table of the counts, each of ours with its ratio to its floor."""
    lines = ["| contender | instructions per operation | vs floor |", "|---|---:|---:|"]
    for counted in COUNTED:
        key = f"{counted.workload}:{counted.contender}"
        value = figures.get(key)
        if value is None:
            continue
        ratio = "1.00x"
        if counted.floor is not None:
            floor = figures.get(f"{counted.workload}:{counted.floor}")
            ratio = f"{value / floor:.2f}x" if floor else "-"
        label = f"**{counted.label}**" if counted.floor else counted.label
        lines.append(f"| {label} | {value:,.0f} | {ratio} |")
    return "\n".join(lines)
