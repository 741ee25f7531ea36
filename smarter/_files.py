"""File inputs of uploads, and the multipart/form-data framing around them.

A file is given as ``bytes``, an ``os.PathLike``, a binary file object, or a tuple
``(filename, contents[, media_type])``. The transport streams a file in chunks between the
framing built here, each read made off the event loop by :func:`off_loop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import mimetypes
import os
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import IO, Any, TypeAlias, TypeVar

import attrs

__all__ = [
    "ChangedSizeError",
    "UploadFailedError",
    "UploadReadError",
    "FileTypes",
    "MultipartForm",
    "Upload",
    "off_loop",
    "open_off_loop",
    "to_upload",
    "when_idle",
    "write_form",
]

T = TypeVar("T")

FileContent: TypeAlias = "bytes | os.PathLike[str] | IO[bytes]"
FileTypes: TypeAlias = (
    "bytes | os.PathLike[str] | IO[bytes] | tuple[str, FileContent] | tuple[str, FileContent, str]"
)

_OCTET_STREAM = "application/octet-stream"
_READ_SIZE = 256 * 1024


def _guess_type(filename: str) -> str:
    return mimetypes.guess_type(filename, strict=False)[0] or _OCTET_STREAM


@attrs.frozen
class Upload:
    """One file to upload: where its bytes come from, and what to call it.

    Attributes:
        filename: The name sent in the part's Content-Disposition.
        content_type: The part's media type.
        data: The bytes, when the file was given as bytes.
        path: The path to open, when it was given as a path.
        stream: The open binary file object, when it was given as one.
        start: Where the file object stood when it was given (None if not seekable).
        size: The number of bytes to send, when it can be known without reading.
    """

    filename: str
    content_type: str
    data: bytes | None = None
    path: str | None = None
    stream: IO[bytes] | None = None
    start: int | None = None
    size: int | None = None

    @property
    def replayable(self) -> bool:
        """Whether a retry can send the same bytes again (a seekable file is rewound)."""
        return self.stream is None or self.start is not None


def _stream_upload(filename: str, stream: IO[bytes], content_type: str | None) -> Upload:
    if isinstance(stream, io.TextIOBase):  # type: ignore[unreachable]  # typed, but users err
        raise TypeError(f"file {filename!r} is open in text mode; open it with 'rb'")
    if getattr(stream, "closed", False):
        raise ValueError(f"file {filename!r} is closed: pass an open file")
    readable = getattr(stream, "readable", None)
    if callable(readable) and not readable():
        raise ValueError(f"file {filename!r} is not open for reading: open it with 'rb'")
    start: int | None
    try:
        start = stream.tell() if stream.seekable() else None
    except (OSError, AttributeError, ValueError):
        start = None
    return Upload(
        filename,
        content_type or _guess_type(filename),
        stream=stream,
        start=start,
        size=None if start is None else _known_size(stream, start),
    )


def _known_size(stream: IO[bytes], start: int) -> int | None:
    """The bytes ``read()`` will give, when that is known without reading them.

    Only for a file on disk (fstat) or a ``BytesIO``: a wrapper such as ``gzip.open()`` or a
    tar member has a different size on disk than what it reads, and is sent chunked instead.
    """
    if isinstance(stream, io.BytesIO):
        return stream.getbuffer().nbytes - start
    raw = getattr(stream, "raw", stream)
    if isinstance(raw, io.FileIO):
        with contextlib.suppress(OSError, ValueError):
            return os.fstat(raw.fileno()).st_size - start
    return None


def _content_upload(filename: str | None, content: Any, content_type: str | None) -> Upload:
    if isinstance(content, bytes | bytearray | memoryview):
        data = bytes(content)
        name = filename or "file"
        kind = content_type or (_guess_type(name) if filename else _OCTET_STREAM)
        return Upload(name, kind, data=data, size=len(data))
    if isinstance(content, os.PathLike):
        path = os.fspath(content)
        if not isinstance(path, str):
            path = os.fsdecode(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no file to upload at {path!r}")
        if not os.access(path, os.R_OK):
            raise PermissionError(f"the file to upload at {path!r} cannot be read")
        name = filename or os.path.basename(path)
        return Upload(
            name, content_type or _guess_type(name), path=path, size=os.path.getsize(path)
        )
    if hasattr(content, "read"):
        own_name = getattr(content, "name", None)
        name = filename or (
            os.path.basename(own_name) if isinstance(own_name, str) and own_name else "file"
        )
        return _stream_upload(name, content, content_type)
    raise TypeError(
        "file must be bytes, an os.PathLike, a binary file object or a tuple "
        f"(filename, contents[, media_type]), not {type(content).__name__}"
    )


def to_upload(file: object) -> Upload:
    """Loose input, strict value: any accepted file form becomes an :class:`Upload`."""
    if isinstance(file, tuple):
        if len(file) not in (2, 3) or not isinstance(file[0], str):
            raise TypeError("a file tuple is (filename, contents) or (filename, contents, type)")
        media_type = file[2] if len(file) == 3 else None
        if media_type is not None and not isinstance(media_type, str):
            raise TypeError("the media type of a file tuple must be a str")
        return _content_upload(file[0], file[1], media_type)
    if isinstance(file, str):
        raise TypeError(
            "file must not be a str: pass pathlib.Path(...) for a path, or bytes for contents"
        )
    return _content_upload(None, file, None)


def _quote(value: str) -> str:
    # What browsers do (WHATWG "multipart/form-data encoding"): the value stays UTF-8 and
    # only the characters that would end the quoted string or the header are escaped.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


@attrs.frozen
class MultipartForm:
    """A multipart/form-data body of text fields followed by one file.

    Attributes:
        head: Every byte before the file's contents.
        tail: Every byte after them.
        upload: The file.
        boundary: The part boundary.
    """

    head: bytes
    tail: bytes
    upload: Upload
    boundary: str

    @classmethod
    def build(cls, fields: Mapping[str, str], file_field: str, upload: Upload) -> MultipartForm:
        """Frame *fields* and *upload* (sent last, as *file_field*)."""
        boundary = "smarter-" + secrets.token_hex(16)
        dash = f"--{boundary}\r\n"
        parts = [
            f'{dash}Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        parts.append(
            f'{dash}Content-Disposition: form-data; name="{_quote(file_field)}"; '
            f'filename="{_quote(upload.filename)}"\r\n'
            f"Content-Type: {upload.content_type}\r\n\r\n"
        )
        head = "".join(parts).encode("utf-8")
        tail = f"\r\n--{boundary}--\r\n".encode("ascii")
        return cls(head, tail, upload, boundary)

    @property
    def content_type(self) -> str:
        """The Content-Type header of the whole body."""
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def size(self) -> int | None:
        """The length of the whole body, when the file's size is known."""
        if self.upload.size is None:
            return None
        return len(self.head) + self.upload.size + len(self.tail)


async def open_off_loop(path: str) -> IO[bytes]:
    """Open a file in the executor; if cancelled meanwhile, close it once it is open."""
    loop = asyncio.get_running_loop()
    opening: asyncio.Future[IO[bytes]] = loop.run_in_executor(None, open, path, "rb")
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        # The worker thread opens the file whatever happens here: nobody else would close it.
        opening.add_done_callback(_close_opened)
        raise


def _close_opened(opening: asyncio.Future[IO[bytes]]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result().close()


# The executor call still running on each file object, by id: a cancelled upload attempt
# cannot stop a read in a worker thread, and the next attempt must not rewind the file
# while that read still moves it on (it would send the file without its first chunk).
_BUSY: dict[int, asyncio.Future[Any]] = {}


async def off_loop(stream: IO[bytes], fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)``, a read or seek of *stream*, in the executor.

    It waits first for any such call an earlier, cancelled attempt left running on *stream*;
    if this one is cancelled, its call runs on to its end and the next one waits for it.
    """
    loop = asyncio.get_running_loop()
    key = id(stream)
    busy = _BUSY.get(key)
    if busy is not None and busy.get_loop() is loop:
        await asyncio.wait([busy])
    work: asyncio.Future[T] = loop.run_in_executor(None, fn, *args)
    _BUSY[key] = work
    work.add_done_callback(functools.partial(_idle, key))
    return await asyncio.shield(work)


def _idle(key: int, work: asyncio.Future[Any]) -> None:
    if _BUSY.get(key) is work:
        del _BUSY[key]
    if not work.cancelled():
        work.exception()  # seen: the attempt that asked for it may be gone


def when_idle(stream: IO[bytes], fn: Callable[[], object]) -> None:
    """Call *fn* (a close) now, or once the call :func:`off_loop` left running on *stream* ends."""
    busy = _BUSY.get(id(stream))
    if busy is None:
        fn()
    else:
        busy.add_done_callback(lambda _: fn())


class UploadFailedError(Exception):
    """The file of an upload failed us while it was sent: retrying would fail the same way."""


class ChangedSizeError(UploadFailedError):
    """A file's size is not what the request announced (raised inside the transport's writer)."""


class UploadReadError(UploadFailedError):
    """The file of an upload could not be opened or read while it was sent."""


async def write_form(form: MultipartForm, write: Callable[[bytes], Awaitable[None]]) -> None:
    """Write a multipart body with *write*: the file in chunks read in the executor.

    A file given by path is opened (and closed) here; a file object is rewound to where it
    stood first, so that a retry sends it whole again.
    """
    upload = form.upload
    await write(form.head)
    if upload.data is not None:
        await write(upload.data)
    else:
        try:
            if upload.path is not None:
                stream: IO[bytes] = await open_off_loop(upload.path)
            else:
                assert upload.stream is not None
                stream = upload.stream
                if upload.start is not None:
                    await off_loop(stream, stream.seek, upload.start)
        except (OSError, ValueError) as exc:
            raise UploadReadError(f"{upload.filename!r} could not be read: {exc}") from exc
        try:
            await _copy(stream, write, upload.size, upload.filename)
        finally:
            if upload.path is not None:
                when_idle(stream, stream.close)
    await write(form.tail)


async def _copy(
    stream: IO[bytes],
    write: Callable[[bytes], Awaitable[None]],
    size: int | None,
    filename: str,
) -> None:
    """Send a file in chunks read in the executor: exactly *size* bytes when it is known.

    The Content-Length announced *size*: a file that grew or shrank since would send a body
    of the wrong length, whose surplus the server would read as the next request.
    """
    left = size
    while left is None or left > 0:
        want = _READ_SIZE if left is None else min(_READ_SIZE, left)
        try:
            chunk = await off_loop(stream, stream.read, want)
        except (OSError, ValueError) as exc:  # a vanished mount, a file closed meanwhile
            raise UploadReadError(f"{filename!r} could not be read: {exc}") from exc
        if not chunk:
            break
        await write(chunk)
        if left is not None:
            left -= len(chunk)
    grew = left == 0 and bool(await off_loop(stream, stream.read, 1))
    if left or grew:
        raise ChangedSizeError(
            f"{filename!r} changed size while it was uploaded (expected {size} bytes)"
        )
