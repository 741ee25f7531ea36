"""The HTTP response as the client saw it, kept on errors, pages and raw results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from smarter._fastpath import loads_json

if TYPE_CHECKING:
    from smarter._request import Request

__all__ = ["HTTPResponse"]


class HTTPResponse:
    """A finished HTTP response: status, headers and the body as bytes.

    It holds no connection: the body is read whole (or, on an error raised mid-stream, left
    out), so it is safe to keep on an exception or a page for as long as the caller likes.

    Attributes:
        method: The request method, upper case.
        url: The full request URL (a ``str``).
        status_code: The HTTP status.
        headers: The response headers (a case-insensitive mapping).
        content: The response body, or ``b""`` for a stream whose body was not read.
        request_id: ``x-request-id`` of the response, else the ``X-Smarter-RequestId`` the
            client sent.
        request: The request this answers (None when made by hand).

    .. versionadded:: 0.2.0
    """

    # A plain slotted class (not attrs): one is made per call (benchmarks/async_json.py).
    __slots__ = ("_url", "content", "headers", "method", "request", "request_id", "status_code")

    # Not keyword-only: the transport makes one per call, and seven keywords cost twice
    # the whole __init__ (benchmarks/async_json.py).
    def __init__(  # noqa: PLR0917 (positional: see the comment above)
        self,
        method: str,
        url: object,
        status_code: int,
        headers: Mapping[str, str],
        content: bytes = b"",
        request_id: str | None = None,
        request: Request | None = None,
    ) -> None:
        self.method = method
        self._url = url
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.request_id = request_id
        self.request = request

    @property
    def url(self) -> str:
        """The full request URL (the last one, after redirects)."""
        # Kept as given (a yarl.URL from the transport) and turned into text when read: most
        # responses are never asked (benchmarks/async_json.py).
        return str(self._url)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8, undecodable bytes replaced."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON.

        Raises:
            ValueError: the body is not JSON, or nested deeper than the call's limits allow.
        """
        request = self.request
        return loads_json(self.content, request.limits.max_json_depth if request else 128)

    def __repr__(self) -> str:
        return f"<HTTPResponse {self.method} {self.url} [{self.status_code}]>"
