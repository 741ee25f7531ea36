"""Workload 5: peak memory growth of a large file upload (``files.create(file=Path(...))``).

The runner makes the file (``--file``, 200 MB by default) in a temporary directory. In a
fresh process the contender opens its client and uploads a small file first (so the pool,
the executor threads and every lazy import exist), then the peak resident set size is reset
(``/proc/self/clear_refs``; without it, ``ru_maxrss`` is used) and the big file is uploaded.
The figure is the peak RSS during the upload minus the RSS before it. Contenders:
``smarter`` (``AsyncClient``), ``smarter-sync`` (``Client``), ``aiohttp`` (the floor:
``FormData`` with an open file) and ``openai`` (``AsyncOpenAI.files.create``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
from collections.abc import Awaitable, Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from benchmarks._common import API_KEY, Clock, dispatch, parser, smarter_options


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def _reset_peak() -> bool:
    with suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM, the peak RSS, to the current RSS
        return True
    return False


class _Meter:
    """Peak RSS growth and CPU time of the ``with meter:`` block."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.clock = Clock()
        self.answer: Any = None

    def __enter__(self) -> _Meter:
        gc.collect()
        self.before_rss = _status_kb("VmRSS")
        self.before_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.reset = _reset_peak()
        self._measure = self.clock.measure()
        self._measure.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._measure.__exit__(None, None, None)
        self.after_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.peak = _status_kb("VmHWM") if self.reset else self.after_max

    def result(self) -> dict[str, Any]:
        return self.clock.result(
            ops=1,
            growth_mb=max(0, self.peak - self.before_rss) / 1024,
            maxrss_growth_mb=max(0, self.after_max - self.before_max) / 1024,
            rss_before_mb=self.before_rss / 1024,
            peak_source="VmHWM" if self.reset else "ru_maxrss",
            mb_per_s=self.size / 1e6 / self.clock.wall,
            answer=str(self.answer)[:80],
        )


async def _run_async(
    create: Callable[[Path], Awaitable[Any]], small: Path, big: Path
) -> dict[str, Any]:
    await create(small)
    with _Meter(big.stat().st_size) as meter:
        meter.answer = await create(big)
    return meter.result()


def _small(args: argparse.Namespace) -> Path:
    path = Path(args.file).with_name(f"small-{os.getpid()}.bin")
    path.write_bytes(b"x" * 1024)
    return path


def _smarter(args: argparse.Namespace) -> dict[str, Any]:
    import smarter

    async def main() -> dict[str, Any]:
        async with smarter.AsyncClient(**smarter_options(args.base_url)) as client:
            return await _run_async(
                lambda p: client.files.create(file=p), _small(args), Path(args.file)
            )

    return asyncio.run(main())


def _smarter_sync(args: argparse.Namespace) -> dict[str, Any]:
    import smarter

    with smarter.Client(**smarter_options(args.base_url)) as client:
        client.files.create(file=_small(args))
        big = Path(args.file)
        with _Meter(big.stat().st_size) as meter:
            meter.answer = client.files.create(file=big)
        return meter.result()


def _aiohttp(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    async def main() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:

            async def create(path: Path) -> Any:
                with path.open("rb") as f:
                    form = aiohttp.FormData()
                    form.add_field("purpose", "fine-tune")
                    form.add_field("file", f, filename=path.name)
                    headers = {"Authorization": f"Token {API_KEY}"}
                    async with session.post(
                        args.base_url + "files", data=form, headers=headers
                    ) as response:
                        return await response.json()

            return await _run_async(create, _small(args), Path(args.file))

    return asyncio.run(main())


def _openai(args: argparse.Namespace) -> dict[str, Any]:
    import openai

    async def main() -> dict[str, Any]:
        async with openai.AsyncOpenAI(base_url=args.base_url, api_key=API_KEY) as client:
            return await _run_async(
                lambda p: client.files.create(file=p, purpose="fine-tune"),
                _small(args),
                Path(args.file),
            )

    return asyncio.run(main())


main = dispatch(
    {"smarter": _smarter, "smarter-sync": _smarter_sync, "aiohttp": _aiohttp, "openai": _openai}
)

if __name__ == "__main__":
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--file", required=True)
    main(p.parse_args())
