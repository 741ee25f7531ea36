"""Files of the LLM Engine (training data): upload, list, get, content, delete.

An upload streams the file from disk in chunks (never read whole into memory; in the async
client never read on the event loop). A retried upload resends the whole body: a seekable
file object is rewound to where it stood, a non-seekable one is not retried.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smarter._files import FileTypes, MultipartForm, to_upload
from smarter.resources._base import AsyncAPIResource, check_limit, check_str, path_segment
from smarter.types.files import (
    DeleteFileResponse,
    GetFileContentResponse,
    GetFileResponse,
    ListFilesResponse,
    UploadFileResponse,
)

if TYPE_CHECKING:
    from smarter._pagination import AsyncPaginator
    from smarter._request import RequestOptions, Unpack

__all__ = ["AsyncFiles"]


class AsyncFiles(AsyncAPIResource):
    """``client.files``."""

    async def create(
        self, *, file: FileTypes, purpose: str = "fine-tune", **options: Unpack[RequestOptions]
    ) -> UploadFileResponse:
        """Upload a file.

        Args:
            file: ``bytes``, a path (``pathlib.Path``), a binary file object, or a tuple
                ``(filename, contents[, media_type])``.
            purpose: What the file is for.
            **options: ``timeout``, ``extra_headers``, ``extra_query``, and ``extra_body``
                (more form fields).
        """
        fields = {"purpose": check_str(purpose, "purpose")}
        extra = options.pop("extra_body", None) or {}
        fields.update({name: str(value) for name, value in extra.items()})
        form = MultipartForm.build(fields, "file", to_upload(file))
        return await self._call(
            "POST", "v1/files", UploadFileResponse, options, form=form, creates="files.list()"
        )

    def list(
        self, *, limit: int = 20, **options: Unpack[RequestOptions]
    ) -> AsyncPaginator[GetFileResponse]:
        """The files, *limit* per page: await it for a page, iterate it for all."""
        return self._list(
            "v1/files",
            ListFilesResponse,
            lambda body: body.files,
            options,
            query=check_limit(limit),
        )

    async def get(self, file_id: str, /, **options: Unpack[RequestOptions]) -> GetFileResponse:
        """One file's id, name and size."""
        path = f"v1/files/{path_segment(file_id, 'file_id')}"
        return await self._call("GET", path, GetFileResponse, options)

    async def content(
        self, file_id: str, /, **options: Unpack[RequestOptions]
    ) -> GetFileContentResponse:
        """One file's content, as text."""
        path = f"v1/files/{path_segment(file_id, 'file_id')}/content"
        return await self._call("GET", path, GetFileContentResponse, options)

    async def delete(
        self, file_id: str, /, **options: Unpack[RequestOptions]
    ) -> DeleteFileResponse:
        """Delete a file."""
        path = f"v1/files/{path_segment(file_id, 'file_id')}"
        return await self._call("DELETE", path, DeleteFileResponse, options)
