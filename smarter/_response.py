"""The HTTP response as the client saw it, kept on errors, pages and raw results."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["HTTPResponse"]


@attrs.frozen(kw_only=True, eq=False)
class HTTPResponse:
    """A finished HTTP response: status, headers and the body as bytes.

    It holds no connection: the body is read whole (or, on an error raised mid-stream, left
    out), so it is safe to keep on an exception or a page for as long as the caller likes.

    .. versionadded:: 0.2.0
    """

    method: str
    """The request method, upper case."""
    url: str
    """The full request URL."""
    status_code: int
    """The HTTP status."""
    headers: Mapping[str, str]
    """The response headers (case-insensitive mapping)."""
    content: bytes = b""
    """The response body, or ``b""`` for a stream whose body was not read."""
    request_id: str | None = None
    """``x-request-id`` of the response, else the ``X-Smarter-RequestId`` the client sent."""

    @property
    def text(self) -> str:
        """The body decoded as UTF-8, undecodable bytes replaced."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON.

        Raises:
            ValueError: the body is not JSON.
        """
        return json.loads(self.content)

    def __repr__(self) -> str:
        return f"<HTTPResponse {self.method} {self.url} [{self.status_code}]>"
