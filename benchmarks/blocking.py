"""Workload 2: small JSON calls from blocking code, one after another.

``--calls`` sequential calls (default 2,000) after ``--warmup`` calls, each posting a small
JSON body and decoding the ~250-byte JSON answer:

- ``smarter``: ``Client.completions.create()`` (the sync facade over the async core);
- ``httpx``: the floor, ``httpx.Client.post()`` + ``json.loads()``, as many headers, the
  body encoded per call;
- ``requests``: ``requests.Session.post()`` + ``json.loads()``;
- ``openai``: ``OpenAI.chat.completions.create()``;
- ``llmengine``: the LLM Engine client's ``Completion.create()`` (requests, no session).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from benchmarks._common import (
    API_KEY,
    MESSAGES,
    MODEL,
    PROMPT,
    RAW_HEADERS,
    Clock,
    completion_body,
    dispatch,
    parser,
    smarter_options,
)


def _drive(call: Callable[[], Any], args: argparse.Namespace) -> dict[str, Any]:
    for _ in range(args.warmup):
        call()
    clock = Clock()
    with clock.measure():
        for _ in range(args.calls):
            call()
    return clock.result(ops=args.calls)


def _smarter(args: argparse.Namespace) -> dict[str, Any]:
    import smarter

    with smarter.Client(**smarter_options(args.base_url)) as client:
        create = client.completions.create
        return _drive(lambda: create(model=MODEL, prompt=PROMPT), args)


def _httpx(args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    url = args.base_url + "llm/completions-sync?model_endpoint_name=" + MODEL
    with httpx.Client() as client:

        def call() -> Any:
            response = client.post(url, content=completion_body(), headers=RAW_HEADERS)
            response.raise_for_status()
            return json.loads(response.content)

        return _drive(call, args)


def _requests(args: argparse.Namespace) -> dict[str, Any]:
    import requests

    url = args.base_url + "llm/completions-sync?model_endpoint_name=" + MODEL
    with requests.Session() as session:

        def call() -> Any:
            response = session.post(url, data=completion_body(), headers=RAW_HEADERS)
            response.raise_for_status()
            return json.loads(response.content)

        return _drive(call, args)


def _openai(args: argparse.Namespace) -> dict[str, Any]:
    import openai

    with openai.OpenAI(base_url=args.base_url, api_key=API_KEY) as client:
        create = client.chat.completions.create
        return _drive(lambda: create(model=MODEL, messages=MESSAGES), args)  # type: ignore[arg-type]


def _llmengine(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks._common import llmengine_completion

    completion = llmengine_completion(args.base_url)
    return _drive(lambda: completion.create(model=MODEL, prompt=PROMPT), args)


main = dispatch(
    {
        "smarter": _smarter,
        "httpx": _httpx,
        "requests": _requests,
        "openai": _openai,
        "llmengine": _llmengine,
    }
)

if __name__ == "__main__":
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=200)
    main(p.parse_args())
