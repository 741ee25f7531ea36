"""Plain settings values: timeouts, limits, the "not given" sentinel, checks of loose input.

Nothing here imports the rest of the package: these are the leaves the pipeline, the client
and the exceptions build on. Bad values raise ``TypeError`` / ``ValueError`` naming what was
wrong, before anything is sent.
"""

from __future__ import annotations

import math
import re
from typing import Final, Literal, TypeAlias

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONNECTION_LIMIT",
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "AuthScheme",
    "Limits",
    "NotGiven",
    "Timeout",
    "TimeoutTypes",
    "check_header_value",
    "check_max_retries",
    "to_timeout",
]

DEFAULT_BASE_URL: Final = "https://platform.smarter.sh/api/v1/"
DEFAULT_MAX_RETRIES: Final = 2
DEFAULT_CONNECTION_LIMIT: Final = 100

AuthScheme: TypeAlias = Literal["token", "bearer", "basic"]


class NotGiven:
    """The type of :data:`NOT_GIVEN`: "use the client's setting".

    A separate sentinel is needed because ``None`` already means something for several
    options: ``timeout=None`` is "no timeout at all".
    """

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()

# Longer than any wait asyncio can schedule is no limit that could ever fire: refuse it
# rather than fail every call later (``timeout=float("inf")`` overflowed the loop's clock).
_MAX_SECONDS: Final = 10.0 * 365 * 24 * 3600


def _check_seconds(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"Timeout {name} must be a number of seconds or None, not {value!r}")
    if math.isnan(value) or value <= 0:
        raise ValueError(f"Timeout {name} must be positive, not {value!r}")
    if value > _MAX_SECONDS:
        raise ValueError(
            f"Timeout {name} must be at most {_MAX_SECONDS:.0f} s (use None for no limit), "
            f"not {value!r}"
        )
    return float(value)


class Timeout:
    """How long a call may take.

    Args:
        total: Seconds for a whole call (one attempt), or for a stream the wait for its
            response headers. None: no limit.
        connect: Seconds to open a connection (and wait for a free one in the pool).
        read: Longest silence allowed while reading, also between two chunks of a stream;
            None: bounded by *total* only (for streams, *total* is the silence allowed).

    Example: ``Timeout(60.0, read=5.0, connect=2.0)``. Immutable and hashable.

    .. versionadded:: 0.2.0
    """

    # A plain class rather than attrs: `import smarter` stays light (benchmarks/imports.py).
    __slots__ = ("_hash", "connect", "read", "total")

    total: float | None
    connect: float | None
    read: float | None
    _hash: int

    def __init__(
        self, total: float | None, *, connect: float | None = None, read: float | None = None
    ) -> None:
        set_ = object.__setattr__
        set_(self, "total", _check_seconds("total", total))
        set_(self, "connect", _check_seconds("connect", connect))
        set_(self, "read", _check_seconds("read", read))
        # Hashed once: the transport looks its aiohttp timeout up by it on every call.
        set_(self, "_hash", hash(self._key()))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Timeout is immutable: make a new one instead of setting {name}")

    @property
    def stream_read(self) -> float | None:
        """The silence allowed between two chunks of a stream."""
        return self.read if self.read is not None else self.total

    def _key(self) -> tuple[float | None, float | None, float | None]:
        return (self.total, self.connect, self.read)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timeout):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Timeout(total={self.total!r}, connect={self.connect!r}, read={self.read!r})"

    def __reduce__(self) -> tuple[object, ...]:
        return (_timeout, self._key())


def _timeout(total: float | None, connect: float | None, read: float | None) -> Timeout:
    return Timeout(total, connect=connect, read=read)


DEFAULT_TIMEOUT: Final = Timeout(600.0, connect=5.0)

TimeoutTypes: TypeAlias = float | Timeout | None


def to_timeout(value: TimeoutTypes) -> Timeout:
    """Loose input, strict value: a number of seconds or None becomes a :class:`Timeout`."""
    if isinstance(value, Timeout):
        return value
    if value is None:
        return Timeout(None)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(
            f"timeout must be a number of seconds, a smarter.Timeout or None, "
            f"not {type(value).__name__}"
        )
    return Timeout(value)


_MIB: Final = 1024 * 1024


class Limits:
    """Bounds on what a server may send, each a clear error when passed.

    Args:
        max_response_bytes: The largest body a call reads (after decompression), 32 MiB by
            default: a larger one (or one that never ends) fails with
            :class:`~smarter.APIResponseValidationError` instead of filling the memory.
        max_event_bytes: The largest event (or line) of a stream, 8 MiB by default.
        max_json_depth: The deepest nesting of arrays and objects in a JSON body or event,
            128 by default (Python's own JSON parser fails near 1,000, and results nested
            past a few hundred cannot be copied or pickled).
        max_empty_pages: How many pages in a row may bring no item while pointing to a next
            page before a walk over the pages gives up, 8 by default.

    Example: ``AsyncClient(limits=Limits(max_response_bytes=256 * 1024 * 1024))``, for
    ``files.content()`` of a large file. Immutable.

    .. versionadded:: 0.3.0
    """

    __slots__ = ("max_empty_pages", "max_event_bytes", "max_json_depth", "max_response_bytes")

    max_response_bytes: int
    max_event_bytes: int
    max_json_depth: int
    max_empty_pages: int

    def __init__(
        self,
        *,
        max_response_bytes: int = 32 * _MIB,
        max_event_bytes: int = 8 * _MIB,
        max_json_depth: int = 128,
        max_empty_pages: int = 8,
    ) -> None:
        for name, value in (
            ("max_response_bytes", max_response_bytes),
            ("max_event_bytes", max_event_bytes),
            ("max_json_depth", max_json_depth),
            ("max_empty_pages", max_empty_pages),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be 1 or more, not {value}")
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Limits is immutable: make a new one instead of setting {name}")

    def _key(self) -> tuple[int, int, int, int]:
        return (
            self.max_response_bytes,
            self.max_event_bytes,
            self.max_json_depth,
            self.max_empty_pages,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Limits):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Limits(max_response_bytes={self.max_response_bytes}, "
            f"max_event_bytes={self.max_event_bytes}, max_json_depth={self.max_json_depth}, "
            f"max_empty_pages={self.max_empty_pages})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (_limits, self._key())


def _limits(response: int, event: int, depth: int, pages: int) -> Limits:
    return Limits(
        max_response_bytes=response,
        max_event_bytes=event,
        max_json_depth=depth,
        max_empty_pages=pages,
    )


DEFAULT_LIMITS: Final = Limits()


def check_max_retries(value: object) -> int:
    """Validate ``max_retries``: a non-negative int (``math.inf`` is not supported)."""
    if value is None:
        raise TypeError(
            "max_retries cannot be None: pass 0 to turn retries off, or an int such as "
            f"{DEFAULT_MAX_RETRIES} (the default)"
        )
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_retries must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"max_retries must be 0 or more, not {value}")
    return value


# Control characters but tab; and in a name also the separators of RFC 9110's token.
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_BAD_NAME = re.compile(r'[\x00-\x20\x7f"(),/:;<=>?@\[\\\]{}]')


def check_header_value(name: object, value: object) -> str:
    """Refuse header names and values that could split or corrupt a request.

    A name must be a non-empty token without separators; a value a str without control
    characters (tab aside). The value is not echoed in the error: it may be a secret.
    """
    if not isinstance(name, str) or not name or _BAD_NAME.search(name):
        raise ValueError(f"invalid header name {name!r}")
    if not isinstance(value, str):
        raise TypeError(f"header {name!r} must be a str, not {type(value).__name__}")
    if _BAD_VALUE.search(value):
        raise ValueError(f"header {name!r} contains a control character (CR, LF, NUL, ...)")
    return value
