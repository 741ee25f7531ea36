"""The file results."""

from __future__ import annotations

from typing import Any

import pytest

from smarter._converter import structure
from smarter.types import (
    BaseModel,
    DeleteFileResponse,
    GetFileContentResponse,
    GetFileResponse,
    ListFilesResponse,
    UploadFileResponse,
)

FILE = {"id": "file-7F3dk29", "filename": "train.jsonl", "size": 20480}
CASES: list[tuple[type[BaseModel], dict[str, Any], BaseModel]] = [
    (UploadFileResponse, {"id": "file-7F3dk29"}, UploadFileResponse(id="file-7F3dk29")),
    (GetFileResponse, FILE, GetFileResponse(id="file-7F3dk29", filename="train.jsonl", size=20480)),
    (
        GetFileContentResponse,
        {"id": "file-7F3dk29", "content": '{"prompt": "Hi", "response": "Hello"}\n'},
        GetFileContentResponse(
            id="file-7F3dk29", content='{"prompt": "Hi", "response": "Hello"}\n'
        ),
    ),
    (
        ListFilesResponse,
        {
            "files": [FILE, {"id": "file-2", "filename": "val.jsonl", "size": 0}],
            "next_cursor": "file-2",
        },
        ListFilesResponse(
            files=[
                GetFileResponse(id="file-7F3dk29", filename="train.jsonl", size=20480),
                GetFileResponse(id="file-2", filename="val.jsonl", size=0),
            ],
            next_cursor="file-2",
        ),
    ),
    (DeleteFileResponse, {"deleted": False}, DeleteFileResponse(deleted=False)),
]


@pytest.mark.parametrize(
    ("cls", "body", "expected"), CASES, ids=["upload", "get", "content", "list", "delete"]
)
class TestWire:
    def test_structure(
        self, cls: type[BaseModel], body: dict[str, Any], expected: BaseModel
    ) -> None:
        """The body structures to the expected object, field by field."""
        assert expected == structure(body, cls)

    def test_to_dict(self, cls: type[BaseModel], body: dict[str, Any], expected: BaseModel) -> None:
        """``to_dict()`` gives the body back exactly."""
        assert body == structure(body, cls).to_dict()

    def test_unknown_fields(
        self, cls: type[BaseModel], body: dict[str, Any], expected: BaseModel
    ) -> None:
        """An unknown field is kept in ``to_dict()`` and readable as an attribute."""
        extended = {**body, "purpose": "fine-tune"}

        obj = structure(extended, cls)

        assert (extended, "fine-tune") == (obj.to_dict(), obj.purpose)


class TestListFiles:
    def test_last_page(self) -> None:
        """``next_cursor: null`` is set and None; a body without it is a last page too."""
        null = structure({"files": [], "next_cursor": None}, ListFilesResponse)
        absent = structure({"files": []}, ListFilesResponse)
        expected = ((None, {"files", "next_cursor"}), (None, {"files"}))

        assert expected == (
            (null.next_cursor, null.model_fields_set),
            (absent.next_cursor, absent.model_fields_set),
        )

    def test_unknown_fields_of_items(self) -> None:
        """Unknown fields of each item are kept on the item."""
        body = {"files": [{**FILE, "created_at": 1767600000}]}
        expected = (1767600000, body)

        page = structure(body, ListFilesResponse)

        assert expected == (page.files[0].created_at, page.to_dict())
