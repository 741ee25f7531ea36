"""What every workload script shares: the command line, the clock, and the result line.

A workload script runs one contender in its own process and prints one line
``RESULT {json}`` on stdout; the runner (``benchmarks/run.py``) collects those lines. The CPU
time is the process's own (every thread of it: the sync client's loop thread counts), taken
with ``time.process_time()`` around the measured part only, after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

API_KEY = "sk-bench-0123456789"
MODEL = "example-model"
PROMPT = "Hello, World!"
MESSAGES = [{"role": "user", "content": PROMPT}]

# The headers a hand-rolled aiohttp/httpx/requests call sends: as many as smarter sends
# (Accept, User-Agent, two client ids, Authorization, request id, retry count, idempotency
# key, Content-Type), with constant values.
RAW_HEADERS = {
    "Accept": "application/json",
    "User-Agent": "bench-raw/1.0",
    "X-Client": "raw",
    "X-Client-Version": "1.0",
    "Authorization": f"Token {API_KEY}",
    "X-Request-Id": "00000000-0000-4000-8000-000000000000",
    "X-Retry-Count": "0",
    "Idempotency-Key": "00000000-0000-4000-8000-000000000001",
    "Content-Type": "application/json",
}


def completion_body() -> bytes:
    """The JSON body of a completion, built and encoded per call as any client must."""
    body = {
        "prompt": PROMPT,
        "max_new_tokens": 20,
        "temperature": 0.2,
        "return_token_log_probs": False,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def parser(description: str) -> argparse.ArgumentParser:
    """The arguments every workload script takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--contender", required=True)
    p.add_argument("--base-url", default="http://127.0.0.1:8089/api/v1/")
    return p


class Clock:
    """CPU and wall time of the ``with clock.measure():`` block."""

    cpu = 0.0
    wall = 0.0
    utime = 0.0
    stime = 0.0

    @contextmanager
    def measure(self) -> Iterator[None]:
        before = resource.getrusage(resource.RUSAGE_SELF)
        cpu, wall = time.process_time(), time.perf_counter()
        yield
        self.wall = time.perf_counter() - wall
        self.cpu = time.process_time() - cpu
        after = resource.getrusage(resource.RUSAGE_SELF)
        self.utime = after.ru_utime - before.ru_utime
        self.stime = after.ru_stime - before.ru_stime

    def result(self, **extra: Any) -> dict[str, Any]:
        return {
            "cpu": self.cpu,
            "wall": self.wall,
            "utime": self.utime,
            "stime": self.stime,
            **extra,
        }


def emit(result: dict[str, Any]) -> None:
    """Print the result line the runner reads."""
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


def dispatch(contenders: dict[str, Callable[[argparse.Namespace], dict[str, Any]]]) -> Any:
    """A ``main(args)`` that runs the contender named on the command line and emits its result."""

    def run(args: argparse.Namespace) -> None:
        try:
            fn = contenders[args.contender]
        except KeyError:
            sys.exit(f"unknown contender {args.contender!r}; one of {sorted(contenders)}")
        emit(fn(args))

    return run


def smarter_options(base_url: str) -> dict[str, str]:
    """The arguments that point a ``smarter`` client's three services at the benchmark server.

    The server answers every route under ``/api/v1/``: the platform's, LLM Engine's (whose
    root is then ``/api/``, as ``v1/llm/...`` is joined to it) and the OpenAI-compatible ones.
    """
    return {
        "base_url": base_url,
        "api_key": API_KEY,
        "llm_engine_url": base_url.removesuffix("v1/"),
        "openai_base_url": base_url,
    }


def llmengine_completion(base_url: str) -> Any:
    """The LLM Engine client's ``Completion`` class, pointed at the benchmark server.

    It joins ``v1/llm/...`` to its base path, so the base is ours without its ``v1/``.
    """
    import os

    os.environ["LLM_ENGINE_DISABLE_VERSION_CHECK"] = "1"  # no PyPI request at import
    os.environ["SCALE_API_KEY"] = API_KEY
    from llmengine import Completion, api_engine

    api_engine.set_base_path(base_url.removesuffix("v1/"))
    return Completion
