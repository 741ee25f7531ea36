"""Workload 4: the cost of ``import <module>`` in a fresh interpreter.

Each run starts ``python -X importtime -c "import <module>"`` and reads the cumulative time of
the top-level import from its report (microseconds, the interpreter's own clock), so the
interpreter's start-up is left out. The runner repeats it, alternating the contenders, and
takes the median. Contenders: ``smarter``, ``aiohttp`` (the floor), ``openai``, ``httpx``,
and ``smarter+aiohttp``: ``import smarter`` does not import aiohttp (the first request
does), so this one is what a program pays before its first call.
The figures are wall time on a warm page cache ("cold-ish": a new process, nothing imported).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import Any

from benchmarks._common import dispatch, parser

MODULES = {
    "smarter": ("smarter",),
    "smarter+aiohttp": ("smarter", "aiohttp"),
    "aiohttp": ("aiohttp",),
    "openai": ("openai",),
    "httpx": ("httpx",),
    "llmengine": ("llmengine",),
}


def cumulative_us(stderr: str, module: str) -> int:
    """The cumulative microseconds of *module*'s line in an ``-X importtime`` report."""
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        _, cumulative, name = line.split("|")
        if name.strip() == module:
            return int(cumulative)
    raise LookupError(f"no import line for {module!r}")


def _measure(args: argparse.Namespace) -> dict[str, Any]:
    modules = MODULES[args.contender]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    # Else `import llmengine` asks PyPI for its latest version, with no timeout.
    env["LLM_ENGINE_DISABLE_VERSION_CHECK"] = "1"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {', '.join(modules)}"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    us = sum(cumulative_us(proc.stderr, module) for module in modules)
    modules = sum(1 for line in proc.stderr.splitlines() if line.startswith("import time:")) - 1
    return {"import_us": us, "modules": modules}


main = dispatch(dict.fromkeys(MODULES, _measure))

if __name__ == "__main__":
    main(parser(__doc__.splitlines()[0]).parse_args())
