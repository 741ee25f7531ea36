"""``files``: create, get, content, delete and list, with both clients.

The input forms of an upload and its multipart framing are tested in ``tests/test_files.py``.
"""

from __future__ import annotations

import pytest
from helpers import collect, run

import smarter
from smarter import _converter
from smarter.testing import Fault, ReferenceServer
from smarter.types import (
    DeleteFileResponse,
    GetFileContentResponse,
    GetFileResponse,
    UploadFileResponse,
)

from .conftest import AnyClient, client_request_id, last_request

DATA = b"prompt,response\nhello,world\n"


class TestCreate:
    async def test_stored(self, client: AnyClient, server: ReferenceServer) -> None:
        """The upload is stored under the returned id with its name, type, size and purpose."""
        created = await run(client.files.create(file=("train.csv", DATA)))

        stored = server.state.files[created.id]
        assert isinstance(created, UploadFileResponse)
        assert created.id.startswith("file-")
        assert (stored.filename, stored.content_type, stored.size, stored.purpose) == (
            "train.csv",
            "text/csv",
            len(DATA),
            "fine-tune",
        )
        assert stored.data == DATA

    async def test_purpose(self, client: AnyClient, server: ReferenceServer) -> None:
        """purpose= is sent as its own form field."""
        created = await run(client.files.create(file=DATA, purpose="assistants"))

        assert server.state.files[created.id].purpose == "assistants"

    async def test_request(self, client: AnyClient, server: ReferenceServer) -> None:
        """An upload is one multipart POST to files with an Idempotency-Key."""
        await run(client.files.create(file=DATA))

        request = last_request(server, "POST", "v1/files")
        assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
        assert len(request.headers["Idempotency-Key"]) == 36

    async def test_request_id(self, bare_client: AnyClient, bare_server: ReferenceServer) -> None:
        """_request_id is the id of the response (the X-Smarter-RequestId sent)."""
        created = await run(bare_client.files.create(file=DATA))

        assert created._request_id == client_request_id(bare_server, "POST", "v1/files")


class TestReadBack:
    async def test_get(self, client: AnyClient) -> None:
        """get() gives the id, name and size of an upload."""
        created = await run(client.files.create(file=("a.csv", DATA)))

        got = await run(client.files.get(created.id))

        assert isinstance(got, GetFileResponse)
        assert (got.id, got.filename, got.size) == (created.id, "a.csv", len(DATA))
        assert got.to_dict() == {"id": created.id, "filename": "a.csv", "size": len(DATA)}
        assert _converter.structure(got.to_dict(), GetFileResponse) == got

    async def test_content_round_trip(self, client: AnyClient) -> None:
        """content() gives back the uploaded text."""
        text = "prompt,response\nnaïve,café ☕\n"
        created = await run(client.files.create(file=("u.csv", text.encode())))

        content = await run(client.files.content(created.id))

        assert isinstance(content, GetFileContentResponse)
        assert (content.id, content.content) == (created.id, text)

    async def test_delete(self, client: AnyClient, server: ReferenceServer) -> None:
        """delete() says deleted=True; afterwards get() raises NotFoundError."""
        created = await run(client.files.create(file=DATA))

        deleted = await run(client.files.delete(created.id))

        with pytest.raises(smarter.NotFoundError, match=created.id) as caught:
            await run(client.files.get(created.id))
        assert isinstance(deleted, DeleteFileResponse)
        assert (deleted.deleted, created.id in server.state.files) == (True, False)
        assert caught.value.status_code == 404

    async def test_id_is_one_path_segment(self, client: AnyClient, server: ReferenceServer) -> None:
        """An id of '../admin' reaches files/..%2Fadmin, never another route."""
        with pytest.raises(smarter.NotFoundError):
            await run(client.files.content("../admin"))

        assert server.requests[-1].path == "v1/files/..%2Fadmin/content"

    async def test_unknown_fields_kept(self, client: AnyClient, server: ReferenceServer) -> None:
        """An unknown field of a file is kept and readable."""
        body = {"id": "file-1", "filename": "a", "size": 1, "purpose": "fine-tune"}
        server.inject("GET", "v1/files/*", Fault(status=200, body=body))

        got = await run(client.files.get("file-1"))

        assert (got.purpose, got.to_dict(), got.model_fields_set) == (
            "fine-tune",
            body,
            {"id", "filename", "size"},
        )


class TestList:
    async def test_every_file(self, client: AnyClient, server: ReferenceServer) -> None:
        """list() walks every upload, in upload order."""
        ids = [(await run(client.files.create(file=bytes([n]) * n))).id for n in range(1, 6)]

        files = await collect(client.files.list(limit=2))

        assert [(item.id, item.size) for item in files] == list(zip(ids, range(1, 6), strict=True))
        assert all(isinstance(item, GetFileResponse) for item in files)

    async def test_limit_in_query(self, client: AnyClient, server: ReferenceServer) -> None:
        """The page size is sent as limit, 20 by default."""
        await run(client.files.list())
        await run(client.files.list(limit=7))

        assert [dict(request.query) for request in server.requests_to("GET", "v1/files")] == [
            {"limit": "20"},
            {"limit": "7"},
        ]
