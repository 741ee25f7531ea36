"""Frozen settings of a client: timeouts, the "not given" sentinel, environment lookup."""

from __future__ import annotations

import math
import os
from typing import Final, Literal, TypeAlias

import attrs

from smarter._exceptions import SmarterError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONNECTION_LIMIT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "AuthScheme",
    "NotGiven",
    "Timeout",
    "TimeoutTypes",
    "check_header_value",
    "check_max_retries",
    "env_api_key",
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


def _check_seconds(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"Timeout {name} must be a number of seconds or None, not {value!r}")
    if math.isnan(value) or value <= 0:
        raise ValueError(f"Timeout {name} must be positive, not {value!r}")
    return float(value)


@attrs.frozen(init=False)
class Timeout:
    """How long a call may take.

    Args:
        total: Seconds for a whole call (one attempt), or for a stream the wait for its
            response headers. None: no limit.
        connect: Seconds to open a connection (and wait for a free one in the pool).
        read: Longest silence allowed while reading, also between two events of a
            stream; None: bounded by *total* only (for streams, *total* is the silence
            allowed).

    Example: ``Timeout(60.0, read=5.0, connect=2.0)``.

    .. versionadded:: 0.2.0
    """

    total: float | None
    connect: float | None
    read: float | None

    def __init__(
        self, total: float | None, *, connect: float | None = None, read: float | None = None
    ) -> None:
        self.__attrs_init__(
            _check_seconds("total", total),
            _check_seconds("connect", connect),
            _check_seconds("read", read),
        )

    @property
    def stream_read(self) -> float | None:
        """The silence allowed between two chunks of a stream."""
        return self.read if self.read is not None else self.total


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


def check_header_value(name: object, value: object) -> str:
    """Refuse header names and values that could split a request (CR, LF, NUL)."""
    if not isinstance(name, str) or not name or any(c in name for c in "\r\n\0:"):
        raise ValueError(f"invalid header name {name!r}")
    if not isinstance(value, str):
        raise TypeError(f"header {name!r} must be a str, not {type(value).__name__}")
    if any(c in value for c in "\r\n\0"):
        # The value is not echoed: it may be a secret.
        raise ValueError(f"header {name!r} contains a CR, LF or NUL character")
    return value


def env_api_key(api_key: str | None) -> str:
    """The API key given, else ``SMARTER_API_KEY``; a clear error when there is none."""
    if api_key is None:
        api_key = os.environ.get("SMARTER_API_KEY") or None
    if api_key is None:
        raise SmarterError(
            "No API key: pass api_key=... to the client or set the SMARTER_API_KEY "
            "environment variable."
        )
    if not isinstance(api_key, str):
        raise TypeError(f"api_key must be a str, not {type(api_key).__name__}")
    if any(c in api_key for c in "\r\n\0"):
        raise ValueError("api_key contains a CR, LF or NUL character")
    return api_key
