"""Upload inputs (bytes, paths, file objects, tuples), their retries, and the multipart framing."""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import run

import smarter
from smarter._files import MultipartForm, to_upload
from smarter.testing import Fault, ReferenceServer

AnyClient = smarter.AsyncClient | smarter.Client

DATA = b"prompt,response\nhello,world\n"


def stored(server: ReferenceServer, file_id: str) -> tuple[str, str, bytes]:
    """The filename, content type and bytes the server kept for an upload."""
    entry = server.state.files[file_id]
    data = entry.data if entry.data is not None else entry.path.read_bytes()  # type: ignore[union-attr]
    return entry.filename, entry.content_type, data


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    """A small CSV file on disk."""
    path = tmp_path / "train.csv"
    path.write_bytes(DATA)
    return path


@pytest.fixture
def pipe() -> Iterator[io.BufferedReader]:
    """The read end of a pipe (not seekable) that yields DATA, then its end."""
    read_fd, write_fd = os.pipe()
    os.write(write_fd, DATA)  # far below the pipe's buffer: no writer thread needed
    os.close(write_fd)
    with open(read_fd, "rb") as reader:
        yield reader


class TestInputForms:
    async def test_bytes(self, client: AnyClient, server: ReferenceServer) -> None:
        """Bytes go as filename 'file', type application/octet-stream."""
        created = await run(client.files.create(file=DATA))

        assert stored(server, created.id) == ("file", "application/octet-stream", DATA)

    async def test_path(self, client: AnyClient, server: ReferenceServer, csv_path: Path) -> None:
        """A path goes under its base name, its type guessed from the extension."""
        created = await run(client.files.create(file=csv_path))

        assert stored(server, created.id) == ("train.csv", "text/csv", DATA)

    async def test_named_file_object(
        self, client: AnyClient, server: ReferenceServer, csv_path: Path
    ) -> None:
        """A binary file object goes under the base name of its .name."""
        with csv_path.open("rb") as handle:
            created = await run(client.files.create(file=handle))

        assert stored(server, created.id) == ("train.csv", "text/csv", DATA)

    async def test_nameless_file_object(self, client: AnyClient, server: ReferenceServer) -> None:
        """A file object without a name goes as 'file', application/octet-stream."""
        created = await run(client.files.create(file=io.BytesIO(DATA)))

        assert stored(server, created.id) == ("file", "application/octet-stream", DATA)

    async def test_file_object_from_its_position(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A file object is sent from where it stands, not from its start."""
        handle = io.BytesIO(b"skip" + DATA)
        handle.seek(4)

        created = await run(client.files.create(file=handle))

        assert stored(server, created.id)[2] == DATA

    @pytest.mark.parametrize(
        ("filename", "content_type"),
        [
            ("notes.txt", "text/plain"),
            ("data.json", "application/json"),
            ("weights.unknownext", "application/octet-stream"),
        ],
    )
    async def test_two_tuple_guesses_the_type(
        self, client: AnyClient, server: ReferenceServer, filename: str, content_type: str
    ) -> None:
        """A 2-tuple's type is guessed from its filename, else application/octet-stream."""
        created = await run(client.files.create(file=(filename, DATA)))

        assert stored(server, created.id) == (filename, content_type, DATA)

    async def test_three_tuple(self, client: AnyClient, server: ReferenceServer) -> None:
        """A 3-tuple's type is taken as given."""
        created = await run(client.files.create(file=("a.csv", DATA, "application/x-custom")))

        assert stored(server, created.id) == ("a.csv", "application/x-custom", DATA)

    async def test_tuple_of_a_path(
        self, client: AnyClient, server: ReferenceServer, csv_path: Path
    ) -> None:
        """A tuple's filename wins over the base name of the path it holds."""
        created = await run(client.files.create(file=("renamed.txt", csv_path)))

        assert stored(server, created.id) == ("renamed.txt", "text/plain", DATA)

    async def test_unicode_filename(self, client: AnyClient, server: ReferenceServer) -> None:
        """A non-ASCII filename reaches the server intact."""
        created = await run(client.files.create(file=("données.csv", DATA)))

        assert stored(server, created.id)[0] == "données.csv"

    async def test_pipe(
        self, client: AnyClient, server: ReferenceServer, pipe: io.BufferedReader
    ) -> None:
        """A non-seekable file object uploads (its fd as name does not count as a name)."""
        created = await run(client.files.create(file=pipe))

        assert stored(server, created.id) == ("file", "application/octet-stream", DATA)


class TestRefused:
    async def test_text_mode_file(
        self, client: AnyClient, server: ReferenceServer, csv_path: Path
    ) -> None:
        """A file open in text mode is a TypeError that says to open it with 'rb'."""
        with csv_path.open("r") as handle, pytest.raises(TypeError, match=r"text mode.*'rb'"):
            await run(client.files.create(file=handle))  # type: ignore[arg-type]

        assert server.requests == []

    async def test_str(self, client: AnyClient, csv_path: Path) -> None:
        """A str is refused with a hint to pass a Path or bytes."""
        with pytest.raises(TypeError, match=r"pathlib\.Path"):
            await run(client.files.create(file=str(csv_path)))  # type: ignore[arg-type]

    async def test_missing_path(self, client: AnyClient, tmp_path: Path) -> None:
        """A path to nothing is a FileNotFoundError naming it."""
        with pytest.raises(FileNotFoundError, match=r"nothing\.csv"):
            await run(client.files.create(file=tmp_path / "nothing.csv"))

    @pytest.mark.parametrize("bad", [("a",), ("a", DATA, "t", "x"), (1, DATA), ("a", DATA, 3)])
    async def test_bad_tuple(self, client: AnyClient, bad: tuple[object, ...]) -> None:
        """A tuple that is not (filename, contents[, type]) is a TypeError."""
        with pytest.raises(TypeError, match="tuple"):
            await run(client.files.create(file=bad))  # type: ignore[arg-type]

    async def test_other_type(self, client: AnyClient) -> None:
        """Anything else is a TypeError naming its type."""
        with pytest.raises(TypeError, match="int"):
            await run(client.files.create(file=42))  # type: ignore[arg-type]


class _SlowFile(io.RawIOBase):
    """A seekable file whose reads take a while, like a file on a network mount or in S3."""

    def __init__(self, data: bytes, delay: float) -> None:
        self._data = io.BytesIO(data)
        self._delay = delay

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._data.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._data.seek(offset, whence)

    def readinto(self, buffer: Any) -> int:
        time.sleep(self._delay)
        return self._data.readinto(buffer)


class TestRetries:
    async def test_slow_file_is_resent_whole(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A retry waits for the read the broken attempt left running before it rewinds."""
        data = os.urandom(2 * 256 * 1024 + 123)  # three reads of 0.3 s each
        server.inject("POST", "v1/files", Fault(delay=0.45, drop="before"))  # during the second
        retrying = client.with_options(retry_creates=True)

        created = await run(retrying.files.create(file=("data.bin", _SlowFile(data, 0.3))))

        assert (len(server.requests_to("POST", "v1/files")), stored(server, created.id)[2]) == (
            2,
            data,
        )

    async def test_pipe_is_not_retried(
        self, client: AnyClient, server: ReferenceServer, pipe: io.BufferedReader
    ) -> None:
        """A 503 on a non-seekable upload is raised at once: the server saw one attempt."""
        server.inject("POST", "v1/files", Fault.error(503))

        with pytest.raises(smarter.InternalServerError) as caught:
            await run(client.files.create(file=pipe))

        assert (caught.value.status_code, len(server.requests_to("POST", "v1/files"))) == (503, 1)
        assert server.state.files == {}

    async def test_seekable_file_is_rewound(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A retried file object is sent again from where it started: the same bytes twice."""
        handle = io.BytesIO(b"head" + DATA)
        handle.seek(4)
        server.inject("POST", "v1/files", Fault.error(429))

        created = await run(client.files.create(file=handle))

        sizes = [request.body_size for request in server.requests_to("POST", "v1/files")]
        assert (len(sizes), sizes[0] == sizes[1]) == (2, True)
        assert stored(server, created.id)[2] == DATA

    async def test_dropped_after_acting_is_not_retried(
        self, client: AnyClient, server: ReferenceServer, csv_path: Path
    ) -> None:
        """Dropped after the server stored the file: not sent again, the error says look first."""
        server.inject("POST", "v1/files", Fault.drop_after())

        with csv_path.open("rb") as handle, pytest.raises(smarter.APIConnectionError) as caught:
            await run(client.files.create(file=handle))

        assert len(server.requests_to("POST", "v1/files")) == 1
        assert len(server.state.files) == 1
        assert "check files.list() before you send it again" in str(caught.value)

    async def test_dropped_after_acting_is_stored_once_with_idempotency(
        self,
        make_extended_client: Callable[..., AnyClient],
        extended_server: ReferenceServer,
        kind: str,
        csv_path: Path,
    ) -> None:
        """With retry_creates against a server that replays Idempotency-Key: no copy."""
        server = extended_server
        client = make_extended_client(kind, retry_creates=True)
        server.inject("POST", "v1/files", Fault.drop_after())

        with csv_path.open("rb") as handle:
            created = await run(client.files.create(file=handle))

        keys = {
            request.headers["Idempotency-Key"] for request in server.requests_to("POST", "v1/files")
        }
        assert (len(server.requests_to("POST", "v1/files")), len(keys)) == (2, 1)
        assert list(server.state.files) == [created.id]
        assert stored(server, created.id) == ("train.csv", "text/csv", DATA)

    async def test_path_resent_whole(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """A retried path upload sends the whole file again."""
        path = tmp_path / "big.bin"
        data = os.urandom(300_000)
        path.write_bytes(data)
        server.inject("POST", "v1/files", Fault.error(429))

        created = await run(client.files.create(file=path))

        sizes = [request.body_size for request in server.requests_to("POST", "v1/files")]
        assert (len(sizes), sizes[0] == sizes[1], sizes[0] > len(data)) == (2, True, True)
        assert stored(server, created.id)[2] == data


class TestLargeUpload:
    async def test_twenty_megabytes_from_a_path(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """A 20 MB file arrives whole: same size, same digest."""
        path = tmp_path / "large.bin"
        block = os.urandom(1 << 20)
        with path.open("wb") as out:
            for _ in range(20):
                out.write(block)

        created = await run(client.files.create(file=path))

        entry = server.state.files[created.id]
        assert entry.size == 20 << 20
        assert hashlib.sha256(entry.path.read_bytes()).digest() == (  # type: ignore[union-attr]
            hashlib.sha256(block * 20).digest()
        )


class TestMultipartFraming:
    def test_head_and_tail(self) -> None:
        """Fields come first, then the file part with its name and type, then the end."""
        form = MultipartForm.build({"purpose": "fine-tune"}, "file", to_upload(("a.csv", DATA)))
        dash = f"--{form.boundary}\r\n"

        assert (
            form.head
            == (
                f'{dash}Content-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n'
                f'{dash}Content-Disposition: form-data; name="file"; filename="a.csv"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            ).encode()
        )
        assert form.tail == f"\r\n--{form.boundary}--\r\n".encode()

    def test_content_type_and_size(self) -> None:
        """The body's type names the boundary; its size is head + file + tail."""
        form = MultipartForm.build({}, "file", to_upload(DATA))

        assert form.content_type == f"multipart/form-data; boundary={form.boundary}"
        assert form.size == len(form.head) + len(DATA) + len(form.tail)

    def test_fresh_boundary(self) -> None:
        """Every form has its own boundary, so contents cannot collide with an old one."""
        boundaries = {MultipartForm.build({}, "f", to_upload(DATA)).boundary for _ in range(50)}

        assert len(boundaries) == 50

    def test_quotes_and_line_breaks_escaped(self) -> None:
        """A quote, CR or LF in a filename is percent-escaped, as browsers do."""
        form = MultipartForm.build({}, "file", to_upload(('a "b"\r\n.txt', DATA)))

        assert b'filename="a %22b%22%0D%0A.txt"' in form.head

    def test_unknown_size_of_a_pipe(self, pipe: io.BufferedReader) -> None:
        """A pipe's size is unknown, so the body's size is too."""
        form = MultipartForm.build({}, "file", to_upload(pipe))

        assert (form.size, form.upload.replayable) == (None, False)

    async def test_content_length_sent(
        self, client: AnyClient, server: ReferenceServer, csv_path: Path
    ) -> None:
        """A path upload of known size is sent with a Content-Length of the whole body."""
        await run(client.files.create(file=csv_path))

        request = server.requests_to("POST", "v1/files")[-1]
        assert int(request.headers["Content-Length"]) == request.body_size

    async def test_extra_body_becomes_form_fields(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """extra_body of an upload adds form fields before the file part."""
        await run(client.files.create(file=DATA, extra_body={"note": "x"}))

        # The boundary is random but always as long: the same fields make the same size.
        form = MultipartForm.build({"purpose": "fine-tune", "note": "x"}, "file", to_upload(DATA))
        assert server.requests_to("POST", "v1/files")[-1].body_size == form.size


class TestSizes:
    async def test_wrapper_whose_size_on_disk_differs(
        self, client: AnyClient, server: ReferenceServer, tmp_path: Path
    ) -> None:
        """A gzip file object uploads what it reads (sent chunked), not its size on disk."""
        import gzip

        text = b"prompt,response\n" + b"a,b\n" * 15000
        path = tmp_path / "train.csv.gz"
        path.write_bytes(gzip.compress(text))

        with gzip.open(path, "rb") as reader:
            uploaded = await run(client.files.create(file=("train.csv", reader)))

        with gzip.open(path, "rb") as again:
            size = to_upload(("x", again)).size

        assert stored(server, uploaded.id)[2] == text
        assert size is None

    def test_sizes_known_without_reading(self, csv_path: Path) -> None:
        """A file on disk and a BytesIO have a Content-Length, from where they stand."""
        with csv_path.open("rb") as handle:
            handle.read(3)
            on_disk = to_upload(handle).size
        in_memory = io.BytesIO(DATA)
        in_memory.read(5)

        assert (on_disk, to_upload(in_memory).size) == (len(DATA) - 3, len(DATA) - 5)

    @pytest.mark.parametrize(("change", "extra"), [("grows", b"more,rows\n"), ("shrinks", None)])
    async def test_file_that_changes_size_is_an_error(
        self, server: ReferenceServer, csv_path: Path, change: str, extra: bytes | None
    ) -> None:
        """A file whose size changed since it was measured fails at once, never a wrong body."""
        upload = to_upload(csv_path)
        if extra is None:
            csv_path.write_bytes(DATA[:5])
        else:
            with csv_path.open("ab") as grow:
                grow.write(extra)
        form = MultipartForm.build({"purpose": "fine-tune"}, "file", upload)

        async with smarter.AsyncClient(**server.client_kwargs()) as client:
            pipeline = client._pipeline
            request = pipeline.build("POST", "v1/files", {}, service="llm_engine", form=form)
            with pytest.raises(smarter.APIConnectionError, match="changed size"):
                await pipeline.call(request, dict)

        # Not retried: sending it again would fail the same way, after sending it all again.
        assert (server.state.files, len(server.requests_to("POST", "v1/files"))) == ({}, 1)
