"""LLM Engine v1 file routes: upload (multipart, streamed), list, get, content, delete.

An upload is read part by part and chunk by chunk, never whole: up to 1 MiB stays in
memory, a larger file is written to the server's upload directory as it arrives, so a
200 MB upload costs the server a couple of megabytes of memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import BinaryIO

from aiohttp import BodyPartReader, web

from smarter.testing._http import CONTEXT, ApiError, Invalid, json_response, paginate
from smarter.testing._state import StoredFile, new_id

__all__ = ["IN_MEMORY_LIMIT", "routes"]

IN_MEMORY_LIMIT = 1024 * 1024
_READ_CHUNK = 256 * 1024


class _Spool:
    """Bytes kept in memory up to ``IN_MEMORY_LIMIT``, then on disk; writes off the loop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self._buffer = bytearray()
        self._file: BinaryIO | None = None

    @property
    def spilled(self) -> bool:
        return self._file is not None

    async def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._buffer += chunk
        if len(self._buffer) > IN_MEMORY_LIMIT:
            if self._file is None:
                self._file = await asyncio.to_thread(self.path.open, "wb")
            await self._flush()

    async def _flush(self) -> None:
        if self._file is not None and self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            await asyncio.to_thread(self._file.write, data)

    async def finish(self) -> bytes | None:
        """Close the spill file; returns the bytes when everything fit in memory."""
        if self._file is None:
            return bytes(self._buffer)
        await self._flush()
        await asyncio.to_thread(self._file.close)
        return None

    async def discard(self) -> None:
        """Drop a partial upload, spill file included."""
        if self._file is not None:
            await asyncio.to_thread(self._file.close)
            await asyncio.to_thread(self.path.unlink, missing_ok=True)
        self._buffer.clear()


def _missing_file() -> ApiError:
    invalid = Invalid()
    invalid.add(("body", "file"), "field required", "value_error.missing")
    return ApiError(422, "field required", detail=invalid.errors)


async def _receive(part: BodyPartReader, path: Path) -> tuple[bytes | None, int]:
    spool = _Spool(path)
    try:
        while chunk := await part.read_chunk(_READ_CHUNK):
            await spool.write(chunk)
        return await spool.finish(), spool.size
    except BaseException:
        await asyncio.shield(spool.discard())
        raise


async def create_file(request: web.Request) -> web.Response:
    """``POST files`` (multipart: parts ``file`` and ``purpose``) -> ``{"id": "file-..."}``."""
    context = request.app[CONTEXT]
    if not request.content_type.startswith("multipart/"):
        raise _missing_file()
    file_id = new_id("file-")
    path = context.upload_dir / f"{file_id}.bin"
    received: tuple[bytes | None, int] | None = None
    filename = "file"
    content_type = "application/octet-stream"
    purpose = "fine-tune"
    reader = await request.multipart()
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                await part.release()
            elif part.name == "file" and received is None:
                filename = part.filename or filename
                content_type = part.headers.get("Content-Type", content_type)
                received = await _receive(part, path)
            elif part.name == "purpose":
                purpose = await part.text()
            else:
                await part.release()
    except ValueError as exc:
        # aiohttp's multipart reader says ValueError for a broken boundary or part.
        raise ApiError(400, f"Malformed multipart body: {exc}") from exc
    if received is None:
        raise _missing_file()
    data, size = received
    stored = StoredFile(
        id=file_id,
        filename=filename,
        size=size,
        content_type=content_type,
        purpose=purpose,
        created_at=time.time(),
        data=data,
        path=None if data is not None else path,
    )
    with context.state.lock:
        context.state.files[file_id] = stored
    return json_response({"id": file_id})


def _file(request: web.Request) -> StoredFile:
    file_id = request.match_info["file_id"]
    stored = request.app[CONTEXT].state.files.get(file_id)
    if stored is None:
        raise ApiError(404, f"File {file_id!r} was not found.")
    return stored


async def list_files(request: web.Request) -> web.Response:
    """``GET files``: files in upload order."""
    files = list(request.app[CONTEXT].state.files.values())
    return json_response(paginate(request, "files", files, StoredFile.public))


async def get_file(request: web.Request) -> web.Response:
    """``GET files/{file_id}``."""
    return json_response(_file(request).public())


async def file_content(request: web.Request) -> web.Response:
    """``GET files/{file_id}/content`` -> ``{"id", "content"}`` (UTF-8, errors replaced)."""
    stored = _file(request)
    data = stored.data
    if data is None:
        assert stored.path is not None
        data = await asyncio.to_thread(stored.path.read_bytes)
    return json_response({"id": stored.id, "content": data.decode("utf-8", errors="replace")})


async def delete_file(request: web.Request) -> web.Response:
    """``DELETE files/{file_id}``: forgets the file and removes its spill file."""
    context = request.app[CONTEXT]
    stored = _file(request)
    with context.state.lock:
        context.state.files.pop(stored.id, None)
    if stored.path is not None:
        with contextlib.suppress(OSError):
            await asyncio.to_thread(stored.path.unlink, missing_ok=True)
    return json_response({"deleted": True})


def routes(base: str) -> list[web.RouteDef]:
    """The route table under ``base`` (``"/api/v1/"``)."""
    return [
        web.post(base + "files", create_file),
        web.get(base + "files", list_files),
        web.get(base + "files/{file_id}", get_file),
        web.get(base + "files/{file_id}/content", file_content),
        web.delete(base + "files/{file_id}", delete_file),
    ]
