"""Bounds on what a server may send: body size (decompressed), event size, JSON depth.

Each bound fails the call with an error that names the limit (``smarter.Limits``) instead of
growing the process without end or raising a raw ``RecursionError`` (issue 17, items 2-3).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import pickle
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import collect, run

import smarter

from .conftest import AnyClient
from .rawserver import RawServer, Request, head, serve

MIB = 1024 * 1024


def _gzip_bomb(inflated: int) -> bytes:
    """A gzip member of *inflated* zero bytes (about a thousandth of that compressed)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MIB)
    parts = [packer.compress(block) for _ in range(inflated // MIB)]
    return b"".join([*parts, packer.flush()])


async def _endless_json(request: Request, writer: asyncio.StreamWriter) -> None:
    """A chunked JSON body that never ends."""
    writer.write(head(200, content_type="application/json", transfer_encoding="chunked"))
    piece = b'"' + b"x" * 65_000 + b'", '
    writer.write(b"%x\r\n[\r\n" % 1)
    try:
        while True:
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
    except ConnectionError:
        return


async def _endless_line(request: Request, writer: asyncio.StreamWriter) -> None:
    """An event stream whose one line never ends."""
    writer.write(head(200, content_type="text/event-stream", transfer_encoding="chunked"))
    piece = b"data: " + b"y" * 65_000
    try:
        while True:
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            piece = b"y" * 65_000
    except ConnectionError:
        return


def _answers(status: int, body: bytes, content_type: str = "application/json", **more: str):  # type: ignore[no-untyped-def]
    async def handler(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(
            head(status, "X", content_type=content_type, content_length=str(len(body)), **more)
        )
        writer.write(body)
        await writer.drain()

    return handler


class TestBody:
    async def test_an_endless_body_stops_at_the_limit(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A JSON body that never ends: APIResponseValidationError naming the limit."""
        client = raw_client(raw(_endless_json).url, limits=smarter.Limits(max_response_bytes=MIB))

        with pytest.raises(smarter.APIResponseValidationError) as caught:
            await run(client.completions.create(model="m", prompt="x"))

        assert "larger than 1048576 bytes (smarter.Limits.max_response_bytes)" in str(caught.value)

    async def test_a_length_over_the_limit_is_refused_unread(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A Content-Length above the limit fails at once, before the body is read."""
        server = raw(_answers(200, b"{}" + b" " * (2 * MIB)))
        client = raw_client(server.url, limits=smarter.Limits(max_response_bytes=MIB))

        with pytest.raises(smarter.APIResponseValidationError, match="max_response_bytes"):
            await run(client.files.list())

        assert len(server.requests) == 1

    async def test_a_gzip_bomb_stops_at_the_limit(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A 64 MiB gzip of a 64 MiB-inflating body, read past the 32 MiB default: refused."""
        bomb = _gzip_bomb(64 * MIB)
        server = raw(_answers(200, bomb, content_encoding="gzip"))
        client = raw_client(server.url)

        with pytest.raises(smarter.APIResponseValidationError, match="larger than 33554432"):
            await run(client.files.list())

        assert len(bomb) < MIB

    async def test_a_small_gzip_body_is_read(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A gzip body within the limit is decompressed and structured as usual."""
        body = gzip.compress(
            json.dumps({"files": [{"id": "f", "filename": "a", "size": 1}]}).encode()
        )
        client = raw_client(raw(_answers(200, body, content_encoding="gzip")).url)

        page = await run(client.files.list())

        assert [file.id for file in page.data] == ["f"]


class TestEvents:
    async def test_a_line_without_end(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """An SSE line that never ends: APIResponseValidationError naming the limit."""
        limits = smarter.Limits(max_event_bytes=MIB)
        client = raw_client(raw(_endless_line).url, limits=limits)

        with pytest.raises(smarter.APIResponseValidationError) as caught:
            await collect(client.completions.stream(model="m", prompt="x"))

        assert "passed 1048576 bytes without ending (smarter.Limits.max_event_bytes)" in str(
            caught.value
        )


def _nested(depth: int) -> bytes:
    return (
        '{"request_id": "r", "output": {"text": "t", "num_completion_tokens": 1}, "x": '
        + "[" * depth
        + "]" * depth
        + "}"
    ).encode()


class TestDepth:
    @pytest.mark.parametrize("depth", [500, 5_000])
    async def test_a_deep_2xx_body(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient], depth: int
    ) -> None:
        """A 2xx body nested past the limit: APIResponseValidationError, no RecursionError."""
        client = raw_client(raw(_answers(200, _nested(depth))).url)

        with pytest.raises(smarter.APIResponseValidationError, match="nested deeper than 128"):
            await run(client.completions.create(model="m", prompt="x"))

    async def test_a_deep_error_body_is_kept_as_text(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A 5xx body nested 5,000 deep: an InternalServerError whose body is the text."""
        server = raw(_answers(503, _nested(5_000)))
        client = raw_client(server.url, max_retries=1)

        with pytest.raises(smarter.InternalServerError) as caught:
            await run(client.completions.create(model="m", prompt="x"))

        assert isinstance(caught.value.body, str)
        assert len(server.requests) == 2  # retried as any 503

    async def test_a_deep_event(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """An event nested past the limit: APIResponseValidationError, connection released."""
        event = b"data: " + _nested(2_000) + b"\r\n\r\n"
        server = raw(_answers(200, event, content_type="text/event-stream"))
        client = raw_client(server.url)

        with pytest.raises(smarter.APIResponseValidationError, match="nested deeper"):
            await collect(client.completions.stream(model="m", prompt="x"))

    async def test_a_deep_chat_chunk_names_the_client_limit(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A chat chunk nested past the client's own limit: the error names that limit."""
        chunk = b'{"id": "c", "choices": [], "x": [[[[[[1]]]]]]}'
        server = raw(_answers(200, b"data: " + chunk + b"\r\n\r\n", "text/event-stream"))
        client = raw_client(server.url, limits=smarter.Limits(max_json_depth=4))
        messages = [{"role": "user", "content": "x"}]

        with pytest.raises(smarter.APIResponseValidationError, match="nested deeper than 4"):
            await collect(client.chat.completions.create(model="m", messages=messages, stream=True))

    async def test_within_the_limit_copies_and_pickles(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A body nested 120 deep is structured; to_dict(), to_json() and pickle work."""
        client = raw_client(raw(_answers(200, _nested(120))).url)

        result = await run(client.completions.create(model="m", prompt="x"))

        assert pickle.loads(pickle.dumps(result)).to_dict() == result.to_dict()
        assert json.loads(result.to_json())["x"] == json.loads(_nested(120))["x"]


_MEMORY = """
import os, smarter
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
client = smarter.Client(llm_engine_url=os.environ["URL"], api_key="k", max_retries=0)
before = rss("VmRSS")
try:
    client.files.list()
except smarter.APIResponseValidationError:
    pass
print(rss("VmHWM") - before)
client.close()
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
@pytest.mark.parametrize("which", ["gzip-bomb", "endless"])
def test_memory_stays_under_64_mb(which: str) -> None:
    """A 1 GiB gzip bomb or an endless body grows the client process by under 64 MB."""
    handler = (
        _answers(200, _gzip_bomb(1024 * MIB), content_encoding="gzip")
        if which == "gzip-bomb"
        else _endless_json
    )
    with serve(handler) as server:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(_MEMORY)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            env={**os.environ, "URL": server.url},
        )

    assert int(done.stdout.strip()) < 64, done.stdout
