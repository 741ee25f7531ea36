"""What the resource modules share: the client they call and request-body helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from smarter._client import path_segment

if TYPE_CHECKING:
    from smarter._client import AsyncClient

__all__ = ["AsyncAPIResource", "check_limit", "omit_none", "path_segment"]


class AsyncAPIResource:
    """An API resource bound to the client that sends its calls."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client


def omit_none(**fields: Any) -> dict[str, Any]:
    """A request body of the arguments that were given: None means "leave it out"."""
    return {name: value for name, value in fields.items() if value is not None}


def check_limit(limit: object) -> Mapping[str, int]:
    """The query of a page size, refusing what the server would refuse."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
        raise ValueError(f"limit must be an int from 1 to 100, not {limit!r}")
    return {"limit": limit}


def check_str(value: object, name: str) -> str:
    """A required string argument, or a clear error naming it."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty str, not {value!r}")
    return value
