"""Results of the ``files`` routes."""

import attrs

from smarter.types._base import BaseModel, publish

__all__ = [
    "UploadFileResponse",
    "GetFileResponse",
    "GetFileContentResponse",
    "ListFilesResponse",
    "DeleteFileResponse",
]


@attrs.frozen(kw_only=True)
class UploadFileResponse(BaseModel):
    """Response object for uploading a file.

    .. versionadded:: 0.2.0
    """

    id: str
    """ID of the uploaded file."""


@attrs.frozen(kw_only=True)
class GetFileResponse(BaseModel):
    """Response object for retrieving a file.

    .. versionadded:: 0.2.0
    """

    id: str
    """ID of the requested file."""
    filename: str
    """File name."""
    size: int
    """Length of the file, in bytes."""


@attrs.frozen(kw_only=True)
class GetFileContentResponse(BaseModel):
    """Response object for retrieving a file's content.

    .. versionadded:: 0.2.0
    """

    id: str
    """ID of the requested file."""
    content: str
    """File content."""


@attrs.frozen(kw_only=True)
class ListFilesResponse(BaseModel):
    """Response object for listing files.

    .. versionadded:: 0.2.0
    """

    files: list[GetFileResponse]
    """List of file IDs, names, and sizes."""
    next_cursor: str | None = None
    """The cursor of the next page, or None on the last page."""


@attrs.frozen(kw_only=True)
class DeleteFileResponse(BaseModel):
    """Response object for deleting a file.

    .. versionadded:: 0.2.0
    """

    deleted: bool
    """Whether deletion was successful."""


publish(globals())
