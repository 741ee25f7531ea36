"""The checkpoint of a run of many requests: a JSONL file, one line per outcome.

Each finished request appends one line, written and flushed before the run hands the outcome
on, so a process killed at any moment leaves every outcome it reported in the file (a power
cut may lose what the operating system had not yet written: lines are flushed, not synced).
A line is a JSON object::

    {"key": "<32 hex>", "index": 7, "request": {...}, "result": {...}}
    {"key": "<32 hex>", "index": 8, "request": {...}, "error": {"type", "message", "status_code"}}

``key`` is a stable hash of what the request asks (:func:`request_key`): the call it goes to
and its arguments, as canonical JSON. A rerun with the same file skips a request when a line
with its key holds a ``result``; failed requests are sent again. Identical requests (the same
prompt sampled twice) are told apart by count: the file must hold as many results of a key
as the input has requests with it before the next one is skipped.

Reading tolerates what a killed writer leaves: a last line cut short, a line that is not
JSON, a line of another shape. Those lines are ignored (their requests are sent again), and
the next write starts on a fresh line.

Memory: the keys of the results are kept as 64-bit integers in a sorted ``array`` (8 bytes
each, and a byte for the count of skips): about 9 MB for a million done requests.
"""

from __future__ import annotations

import array
import bisect
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any, Final

from smarter._exceptions import APIStatusError, SmarterError

__all__ = ["Checkpoint", "DoneKeys", "parse_line", "read_done", "request_key"]

_KEY_LENGTH: Final = 32
_HEX: Final = frozenset("0123456789abcdef")


def _canonical(value: Any) -> str:
    # Sorted keys, no spaces, non-JSON values by their str(): the same request hashes the
    # same in every run and every process (dicts keep insertion order; sorting removes it).
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def request_key(namespace: str, request: Mapping[str, Any]) -> str:
    """The key of *request* sent to *namespace* (``"completions"``, ``"chatbot:name"``)."""
    text = namespace + "\n" + _canonical(dict(request))
    return hashlib.sha256(text.encode()).hexdigest()[:_KEY_LENGTH]


def _short(key: str) -> int:
    return int(key[:16], 16)


def parse_line(line: str) -> tuple[str, bool] | None:
    """The key of a checkpoint line and whether it holds a result; None for a bad line.

    A line is good when it is a JSON object whose ``key`` is 32 lower-case hex digits and
    which holds either a ``result`` or an ``error``.
    """
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    key = data.get("key")
    if not isinstance(key, str) or len(key) != _KEY_LENGTH or not _HEX.issuperset(key):
        return None
    if "error" in data and data["error"] is not None:
        return key, False
    if "result" in data:
        return key, True
    return None


class DoneKeys:
    """The keys of the requests a checkpoint holds results of, compact and sorted."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._keys = array.array("Q", sorted(_short(key) for key in keys))
        self._taken = bytearray(len(self._keys))

    @classmethod
    def _of(cls, shorts: array.array[int]) -> DoneKeys:
        done = cls()
        done._keys = array.array("Q", sorted(shorts))
        done._taken = bytearray(len(done._keys))
        return done

    def __len__(self) -> int:
        return len(self._keys)

    def take(self, key: str) -> bool:
        """Whether a result of *key* is left to skip a request with (and use it up)."""
        short = _short(key)
        keys, taken = self._keys, self._taken
        position = bisect.bisect_left(keys, short)
        while position < len(keys) and keys[position] == short:
            if not taken[position]:
                taken[position] = 1
                return True
            position += 1
        return False


def read_done(path: Path) -> DoneKeys:
    """The keys of the results in the checkpoint at *path* (none when it does not exist).

    Raises:
        SmarterError: the file exists but cannot be read.
    """
    found = array.array("Q")
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                parsed = parse_line(line)
                if parsed is not None and parsed[1]:
                    found.append(_short(parsed[0]))
    except FileNotFoundError:
        return DoneKeys()
    except OSError as exc:
        raise SmarterError(f"Cannot read the checkpoint {str(path)!r}: {exc}") from exc
    return DoneKeys._of(found)


def _error(error: BaseException) -> dict[str, Any]:
    status = error.status_code if isinstance(error, APIStatusError) else None
    return {"type": type(error).__name__, "message": str(error), "status_code": status}


class Checkpoint:
    """A checkpoint file opened for appending outcomes.

    Args:
        path: The JSONL file; made if missing, appended to if not.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = None

    def load(self) -> DoneKeys:
        """The keys of the results already in the file."""
        return read_done(self.path)

    def open(self) -> None:
        """Open the file for appending, on a fresh line if a killed writer left half a line.

        Raises:
            SmarterError: the file cannot be written.
        """
        try:
            file = self.path.open("a+", encoding="utf-8")
            file.seek(0, os.SEEK_END)
            if file.tell() > 0:
                file.seek(file.tell() - 1)
                if file.read(1) != "\n":
                    file.write("\n")
        except OSError as exc:
            raise SmarterError(f"Cannot write the checkpoint {str(self.path)!r}: {exc}") from exc
        self._file = file

    def append(
        self,
        key: str,
        index: int,
        request: Mapping[str, Any],
        result: Any,
        error: BaseException | None,
    ) -> None:
        """Write the line of one outcome and flush it.

        Raises:
            SmarterError: the line could not be written.
        """
        line: dict[str, Any] = {"key": key, "index": index, "request": dict(request)}
        if error is None:
            line["result"] = result.to_dict() if hasattr(result, "to_dict") else result
        else:
            line["error"] = _error(error)
        # ASCII only: a raw U+2028 or U+0085 in a line is a line break to many JSONL readers.
        text = json.dumps(line, separators=(",", ":"), default=str)
        file = self._file
        assert file is not None, "open() first"
        try:
            file.write(text + "\n")
            file.flush()
        except OSError as exc:
            raise SmarterError(f"Cannot write the checkpoint {str(self.path)!r}: {exc}") from exc

    def close(self) -> None:
        """Close the file; idempotent."""
        file, self._file = self._file, None
        if file is not None:
            file.close()
