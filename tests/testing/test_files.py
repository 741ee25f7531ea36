"""File routes: multipart uploads kept in memory or spilled to disk, content, delete, list."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from smarter.testing import ReferenceServer

from .conftest import ServerFactory, session_for


def form(data: bytes | AsyncIterator[bytes], filename: str = "data.jsonl") -> aiohttp.FormData:
    """A multipart body with a file part and a purpose part."""
    # Big bytes go through a file object: aiohttp warns about raw bytes over 1 MiB.
    value = io.BytesIO(data) if isinstance(data, bytes) else data
    body = aiohttp.FormData()
    body.add_field("file", value, filename=filename, content_type="application/jsonl")
    body.add_field("purpose", "fine-tune")
    return body


async def upload(http: aiohttp.ClientSession, data: bytes, filename: str = "data.jsonl") -> str:
    """Upload bytes and return the new file id."""
    async with http.post("v1/files", data=form(data, filename)) as r:
        assert r.status == 200, await r.text()
        return str((await r.json())["id"])


class TestSmall:
    async def test_round_trip(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """A small upload is kept in memory; get, content and list show it."""
        file_id = await upload(http, b'{"prompt": "hi"}\n')
        async with http.get(f"v1/files/{file_id}") as r:
            info = await r.json()
        async with http.get(f"v1/files/{file_id}/content") as r:
            content = await r.json()
        async with http.get("v1/files") as r:
            listing = await r.json()

        stored = server.state.files[file_id]
        assert file_id.startswith("file-")
        assert info == {"id": file_id, "filename": "data.jsonl", "size": 17}
        assert content == {"id": file_id, "content": '{"prompt": "hi"}\n'}
        assert listing == {"files": [info]}
        assert (stored.purpose, stored.content_type, stored.path) == (
            "fine-tune",
            "application/jsonl",
            None,
        )
        assert server.requests[0].body == b""
        assert server.requests[0].body_size > 17

    async def test_binary_content_is_replaced(self, http: aiohttp.ClientSession) -> None:
        """Content that is not UTF-8 comes back with replacement characters."""
        file_id = await upload(http, b"ok \xff\xfe")
        async with http.get(f"v1/files/{file_id}/content") as r:
            assert (await r.json())["content"] == "ok \ufffd\ufffd"

    async def test_missing_file_part(self, http: aiohttp.ClientSession) -> None:
        """A multipart body without a file part, or a JSON body, is a 422."""
        only_purpose = aiohttp.FormData()
        only_purpose.add_field("purpose", "fine-tune")
        only_purpose.add_field("dummy", b"x", filename="x")
        async with http.post("v1/files", data=only_purpose) as r:
            first = r.status
        async with http.post("v1/files", json={"file": "x"}) as r:
            second = r.status

        assert (first, second) == (422, 422)

    async def test_delete(self, server: ReferenceServer, http: aiohttp.ClientSession) -> None:
        """DELETE forgets the file; it is a 404 afterwards."""
        file_id = await upload(http, b"x")
        async with http.delete(f"v1/files/{file_id}") as r:
            deleted = await r.json()
        async with http.get(f"v1/files/{file_id}") as r:
            after = r.status

        assert deleted == {"deleted": True}
        assert after == 404
        assert server.state.files == {}

    async def test_pages(self, extended: ReferenceServer) -> None:
        """Extended: files list in upload order, over several pages."""
        async with session_for(extended) as http:
            ids = [await upload(http, b"x", f"f{i}") for i in range(5)]
            seen: list[str] = []
            params = {"limit": "2"}
            pages = 0
            while True:
                async with http.get("v1/files", params=params) as r:
                    page = await r.json()
                pages += 1
                seen += [item["id"] for item in page["files"]]
                if not page["next_cursor"]:
                    break
                params["after"] = page["next_cursor"]

        assert (seen, pages) == (ids, 3)

    async def test_no_pages_by_default(self, http: aiohttp.ClientSession) -> None:
        """By default the list holds every file and no next_cursor; limit and after are unread."""
        ids = [await upload(http, b"x", f"f{i}") for i in range(5)]
        async with http.get("v1/files", params={"limit": "2", "after": "garbage!"}) as r:
            page = await r.json()

        assert (r.status, list(page)) == (200, ["files"])
        assert [item["id"] for item in page["files"]] == ids


class TestLarge:
    async def test_spill_to_disk(self, make_server: ServerFactory, tmp_path: Path) -> None:
        """A 10 MB upload is written to upload_dir; content reads it back; delete removes it."""
        server = await make_server(upload_dir=tmp_path)
        data = os.urandom(5 * 1024 * 1024).hex().encode()
        async with session_for(server) as http:
            file_id = await upload(http, data)
            stored = server.state.files[file_id]
            spilled = stored.path
            assert spilled is not None
            on_disk = spilled.read_bytes() == data
            assert spilled.stat().st_size == 10 * 1024 * 1024
            async with http.get(f"v1/files/{file_id}/content") as r:
                content = (await r.json())["content"]
            async with http.delete(f"v1/files/{file_id}") as r:
                assert r.status == 200

        assert stored.data is None
        assert stored.size == len(data)
        assert spilled.parent == tmp_path
        assert on_disk
        assert hashlib.sha256(content.encode()).digest() == hashlib.sha256(data).digest()
        assert not spilled.exists()

    async def test_default_upload_dir_removed_on_stop(self, make_server: ServerFactory) -> None:
        """Without upload_dir the spill files live in a temporary directory removed at stop."""
        server = await make_server()
        async with session_for(server) as http:
            file_id = await upload(http, b"y" * (2 * 1024 * 1024))
        path = server.state.files[file_id].path
        assert path is not None
        existed = path.exists()
        await server.stop()

        assert existed
        assert not path.parent.exists()

    async def test_streamed_upload_memory(self, make_server: ServerFactory, tmp_path: Path) -> None:
        """A 40 MB streamed upload raises the Python heap peak by a few MB at most."""
        server = await make_server(upload_dir=tmp_path)
        block = b"z" * (256 * 1024)
        total = 40 * 1024 * 1024

        async def blocks() -> AsyncIterator[bytes]:
            for _ in range(total // len(block)):
                yield block

        tracemalloc.start()
        try:
            baseline = tracemalloc.get_traced_memory()[0]
            async with (
                session_for(server) as http,
                http.post("v1/files", data=form(blocks())) as r,
            ):
                file_id = (await r.json())["id"]
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

        assert server.state.files[file_id].size == total
        assert peak - baseline < 8 * 1024 * 1024
