"""Files of the LLM Engine (training data): upload, list, get, content, delete.

An upload streams the file from disk in chunks (never read whole into memory; in the async
client never read on the event loop). A retried upload resends the whole body: a seekable
file object is rewound to where it stood, a non-seekable one is not retried.
"""

from __future__ import annotations

from collections.abc import Mapping

from smarter._client import Options
from smarter._config import NOT_GIVEN, NotGiven, TimeoutTypes
from smarter._files import FileTypes, MultipartForm, to_upload
from smarter._pagination import AsyncPaginator
from smarter._sync import SyncAPIResource, blocking
from smarter.resources._base import AsyncAPIResource, check_limit, check_str, path_segment
from smarter.types.files import (
    DeleteFileResponse,
    GetFileContentResponse,
    GetFileResponse,
    ListFilesResponse,
    UploadFileResponse,
)

__all__ = ["AsyncFiles", "Files"]


class AsyncFiles(AsyncAPIResource):
    """``client.files``."""

    async def create(
        self,
        *,
        file: FileTypes,
        purpose: str = "fine-tune",
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> UploadFileResponse:
        """Upload a file.

        Args:
            file: ``bytes``, a path (``pathlib.Path``), a binary file object, or a tuple
                ``(filename, contents[, media_type])``.
            purpose: What the file is for.
            timeout: This call's timeout, instead of the client's.
            extra_headers: More headers for this call.
            extra_query: More query parameters for this call.
            extra_body: More form fields for this call.
        """
        fields = {"purpose": check_str(purpose, "purpose")}
        fields.update({name: str(value) for name, value in (extra_body or {}).items()})
        return await self._client._call(
            "POST",
            "files",
            form=MultipartForm.build(fields, "file", to_upload(file)),
            cast_to=UploadFileResponse,
            options=Options(timeout, extra_headers, extra_query),
        )

    def list(
        self,
        *,
        limit: int = 20,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> AsyncPaginator[GetFileResponse]:
        """The files, *limit* per page: await it for a page, iterate it for all."""
        return self._client._list(
            "files",
            query=check_limit(limit),
            cast_to=ListFilesResponse,
            items=lambda body: body.files,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )

    async def get(
        self,
        file_id: str,
        /,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> GetFileResponse:
        """One file's id, name and size."""
        return await self._client._call(
            "GET",
            f"files/{path_segment(file_id, 'file_id')}",
            cast_to=GetFileResponse,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )

    async def content(
        self,
        file_id: str,
        /,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> GetFileContentResponse:
        """One file's content, as text."""
        return await self._client._call(
            "GET",
            f"files/{path_segment(file_id, 'file_id')}/content",
            cast_to=GetFileContentResponse,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )

    async def delete(
        self,
        file_id: str,
        /,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> DeleteFileResponse:
        """Delete a file."""
        return await self._client._call(
            "DELETE",
            f"files/{path_segment(file_id, 'file_id')}",
            cast_to=DeleteFileResponse,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )


class Files(SyncAPIResource[AsyncFiles]):
    """``client.files``."""

    create = blocking(AsyncFiles.create)
    list = blocking(AsyncFiles.list)
    get = blocking(AsyncFiles.get)
    content = blocking(AsyncFiles.content)
    delete = blocking(AsyncFiles.delete)
