"""What a careless caller does: two readers, unsendable values, failing files, a closed session.

Issue 17, items 4-6 and 9-11.

Values are refused before anything is sent (``TypeError`` / ``ValueError`` naming the
argument); what goes wrong once a request is on its way is a ``SmarterError``.
"""

from __future__ import annotations

import asyncio
import io
import math
import threading
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from helpers import run

import smarter

from .conftest import AnyClient
from .rawserver import RawServer, Request, head

pytestmark = pytest.mark.timeout(30)

CHUNK = b'data: {"output": {"text": "x", "finished": false}}\r\n\r\n'
LAST = b'data: {"output": {"text": "y", "finished": true}}\r\n\r\n'


async def _slow_stream(request: Request, writer: asyncio.StreamWriter) -> None:
    """A stream of two chunks, the second after 0.3 s."""
    writer.write(head(200, content_type="text/event-stream", content_length=str(len(CHUNK + LAST))))
    writer.write(CHUNK)
    await writer.drain()
    await asyncio.sleep(0.3)
    writer.write(LAST)
    await writer.drain()


async def _files(request: Request, writer: asyncio.StreamWriter) -> None:
    """Answer any upload with a file id."""
    body = b'{"id": "file-1", "filename": "f", "size": 1}'
    writer.write(head(200, content_type="application/json", content_length=str(len(body))))
    writer.write(body)
    await writer.drain()


class TestOneReader:
    async def test_a_second_task_is_refused(self, raw: Callable[..., RawServer]) -> None:
        """Two tasks iterating one stream: one POST; the second reader gets a SmarterError."""
        server = raw(_slow_stream)
        async with smarter.AsyncClient(llm_engine_url=server.url, api_key="k") as client:
            stream = client.completions.stream(model="m", prompt="x")

            async def read() -> list[str]:
                return [chunk.output.text async for chunk in stream]

            outcomes = await asyncio.gather(read(), read(), return_exceptions=True)

        refused = [o for o in outcomes if isinstance(o, smarter.SmarterError)]
        assert [o for o in outcomes if isinstance(o, list)] == [["x", "y"]]
        assert len(refused) == 1
        assert "one reader" in str(refused[0])
        assert len(server.requests) == 1

    def test_a_second_thread_is_refused(self, raw: Callable[..., RawServer]) -> None:
        """Two threads iterating one blocking stream: one POST, no chunk delivered twice."""
        server = raw(_slow_stream)
        outcomes: list[object] = []
        with smarter.Client(llm_engine_url=server.url, api_key="k", max_retries=0) as client:
            stream = client.completions.stream(model="m", prompt="x")

            def read() -> None:
                try:
                    outcomes.append([chunk.output.text for chunk in stream])
                except Exception as exc:
                    outcomes.append(exc)

            threads = [threading.Thread(target=read) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(10)

        texts = [o for o in outcomes if isinstance(o, list)]
        assert sum(len(t) for t in texts) == 2, outcomes
        assert all(isinstance(o, (list, smarter.SmarterError)) for o in outcomes), outcomes
        assert len(server.requests) == 1


class TestValues:
    @pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
    async def test_non_finite_numbers_are_refused(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient], value: float
    ) -> None:
        """NaN and infinities, as arguments or in extra_body: ValueError, nothing sent."""
        server = raw(_files)
        client = raw_client(server.url)

        with pytest.raises(ValueError, match="temperature"):
            await run(client.completions.create(model="m", prompt="x", temperature=value))
        with pytest.raises(ValueError, match="JSON"):
            await run(client.completions.create(model="m", prompt="x", extra_body={"v": value}))

        assert server.requests == []

    def test_an_infinite_timeout_is_refused(self) -> None:
        """timeout=inf: a ValueError at once (it overflowed the loop's clock on every call)."""
        with pytest.raises(ValueError, match="Timeout total must be at most"):
            smarter.Client(api_key="k", timeout=math.inf)
        with pytest.raises(ValueError, match="Timeout read"):
            smarter.Timeout(10, read=math.inf)

    def test_a_password_in_the_url_is_refused_unshown(self) -> None:
        """user:pw in base_url: a ValueError naming the setting that never shows the password."""
        with pytest.raises(ValueError, match="base_url must not hold a user name") as caught:
            smarter.AsyncClient(base_url="http://user:s3cret@host/api/v1/", api_key="k")

        assert "s3cret" not in str(caught.value)

    @pytest.mark.parametrize("key", ["", "k\x01y", "k\ny"])
    def test_an_empty_or_broken_key_is_refused(self, key: str) -> None:
        """api_key="" or one holding a control character: a ValueError naming api_key."""
        with pytest.raises(ValueError, match="api_key") as caught:
            smarter.Client(api_key=key)

        assert "\x01" not in str(caught.value)

    @pytest.mark.parametrize("value", ["a\x01b", "a\x7fb", "a\rb"])
    def test_a_header_with_a_control_character_is_refused(self, value: str) -> None:
        """default_headers holding a control character: a ValueError naming the header."""
        with pytest.raises(ValueError, match="X-Bad"):
            smarter.Client(api_key="k", default_headers={"X-Bad": value})


class TestUploads:
    async def test_a_closed_file_is_refused_before_sending(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A closed file object: a ValueError before anything is sent."""
        server = raw(_files)
        client = raw_client(server.url)
        closed = io.BytesIO(b"data")
        closed.close()

        with pytest.raises(ValueError, match="closed"):
            await run(client.files.create(file=closed))

        assert server.requests == []

    async def test_an_unreadable_path_is_refused_before_sending(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient], tmp_path: Path
    ) -> None:
        """A path that cannot be read: an error naming it, nothing sent."""
        server = raw(_files)
        client = raw_client(server.url)
        missing = tmp_path / "gone.jsonl"

        with pytest.raises((FileNotFoundError, PermissionError), match=r"gone\.jsonl"):
            await run(client.files.create(file=missing))

        assert server.requests == []

    async def test_a_file_failing_mid_read_is_not_retried(
        self, raw: Callable[..., RawServer], raw_client: Callable[..., AnyClient]
    ) -> None:
        """A file whose read fails during the upload: a SmarterError saying so, sent once."""

        class Failing(io.RawIOBase):
            def readable(self) -> bool:
                return True

            def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
                raise OSError("disk on fire")

        server = raw(_files)
        client = raw_client(server.url, max_retries=3)

        with pytest.raises(smarter.SmarterError, match="disk on fire") as caught:
            await run(client.files.create(file=io.BufferedReader(Failing())))

        assert not isinstance(caught.value, smarter.APITimeoutError)
        assert len(server.requests) <= 1


class TestOwnSession:
    async def test_a_session_closed_under_the_client(self, raw: Callable[..., RawServer]) -> None:
        """The caller's own http_session closed: APIConnectionError saying so, not RuntimeError."""
        session = aiohttp.ClientSession()
        client = smarter.AsyncClient(
            llm_engine_url=raw(_files).url, api_key="k", http_session=session
        )
        await session.close()

        with pytest.raises(smarter.APIConnectionError, match="session") as caught:
            await client.files.get("file-1")

        assert "closed" in str(caught.value)
        await client.aclose()
