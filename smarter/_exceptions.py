"""The error tree of ``smarter``.

::

    SmarterError
     ├─ ManifestError             a manifest that cannot be sent (also a ValueError)
     ├─ ManifestApplyError        manifests applied in part: .applied, .failed, .remaining
     ├─ APIError                  .message, .body, .request_id
     │   ├─ APIConnectionError    the transport error chained as __cause__
     │   │   ├─ APITimeoutError
     │   │   └─ IncompleteStreamError
     │   ├─ APIResponseValidationError
     │   └─ APIStatusError        .status_code, .response, .request_id
     │       ├─ BadRequestError 400      ├─ AuthenticationError 401
     │       ├─ PermissionDeniedError 403├─ NotFoundError 404
     │       ├─ ConflictError 409        ├─ UnprocessableEntityError 422
     │       ├─ RateLimitError 429       └─ InternalServerError >= 500
     └─ WaitError                 a wait ended without what it waited for; .last
         └─ WaitTimeoutError      its timeout passed (also a TimeoutError)

No exception of aiohttp, asyncio, cattrs or tenacity reaches a caller except as the
``__cause__`` of one of these.

An error about a call is made with its :class:`~smarter._request.Request` (directly, or
through the response it answers) and is redacted as it is made: its message, body and
response never hold the API key, whatever the server echoed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

from smarter._response import HTTPResponse

if TYPE_CHECKING:
    from smarter._request import Request

__all__ = [
    "SmarterError",
    "ManifestError",
    "ManifestApplyError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "IncompleteStreamError",
    "APIResponseValidationError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "BlockingClientWarning",
    "WaitError",
    "WaitTimeoutError",
    "may_have_acted",
]


class SmarterError(Exception):
    """The base of every error this library raises.

    .. versionadded:: 0.2.0
    """


class BlockingClientWarning(RuntimeWarning):
    """A blocking :class:`~smarter.Client` call was made while this thread runs an event loop.

    The call blocks the loop for as long as it takes: every other task of that loop (the
    other requests of a web service, a stream's reader) stops until it returns. Use
    :class:`~smarter.AsyncClient` in async code. Not issued in a Jupyter kernel, where
    blocking a cell is expected.

    .. versionadded:: 0.3.0
    """


class ManifestError(SmarterError, ValueError):
    """A manifest that cannot be sent: not YAML or JSON, or without what every manifest has.

    Raised before anything is sent. The message names the file (or ``<string>``) and the
    line where the manifest starts or the problem is.

    Attributes:
        source: The file (``<string>`` for text, ``<dict>`` for a mapping).
        line: The 1-based line, when known.
        column: The 1-based column, when known.

    .. versionadded:: 0.3.0
    """

    def __init__(
        self, problem: str, *, source: str, line: int | None = None, column: int | None = None
    ) -> None:
        where = source
        if line is not None:
            where += f", line {line}"
            if column is not None:
                where += f", column {column}"
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.line = line
        self.column = column


class ManifestApplyError(SmarterError):
    """Applying several manifests stopped at the first that failed; the rest were not sent.

    Attributes:
        applied: The :class:`~smarter.types.ApplyResult` of each manifest applied before.
        failed: The manifest that failed (a :class:`~smarter.types.Manifest`).
        error: Why: the :class:`APIError` of its apply (also the ``__cause__``).
        remaining: The manifests not sent.

    .. versionadded:: 0.3.0
    """

    def __init__(
        self,
        message: str,
        *,
        applied: list[Any],
        failed: Any,
        error: APIError,
        remaining: list[Any],
    ) -> None:
        super().__init__(message)
        self.applied = applied
        self.failed = failed
        self.error = error
        self.remaining = remaining


class APIError(SmarterError):
    """An error about one API call.

    Attributes:
        message: What went wrong, in words.
        body: The decoded error body (JSON if it parsed, else text), or None.
        request_id: The request id of the call, for support requests.
        request: The request of the call (method, URL, headers, ...), or None.
    """

    def __init__(
        self,
        message: str,
        *,
        body: object | None = None,
        request: Request | None = None,
        request_id: str | None = None,
    ) -> None:
        if request is not None:
            message = request.redact(message)
            body = request.redact_value(body)
            if request_id is None:
                request_id = request.request_id
        super().__init__(message)
        self.message = message
        self.body = body
        self.request = request
        self.request_id = request_id

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, request_id={self.request_id!r})"


class APIConnectionError(APIError):
    """The server could not be reached, or the connection broke before the answer was whole.

    Attributes:
        sent: Whether the request may have reached the server (False: the connection was
            never made, so the server cannot have acted).
    """

    def __init__(
        self,
        message: str = "Connection error.",
        *,
        request: Request | None = None,
        request_id: str | None = None,
        retryable: bool = True,
        sent: bool = True,
    ) -> None:
        if sent and request is not None and request.creates is not None:
            message = f"{message} {may_have_acted(request)}"
        super().__init__(message, request=request, request_id=request_id)
        # A bad certificate or an invalid URL will not heal on a retry.
        self._retryable = retryable
        self.sent = sent


class APITimeoutError(APIConnectionError):
    """The call, the wait for the response, or the silence inside a stream took too long."""

    def __init__(
        self,
        message: str = "Request timed out.",
        *,
        request: Request | None = None,
        request_id: str | None = None,
        sent: bool = True,
    ) -> None:
        super().__init__(message, request=request, request_id=request_id, sent=sent)


class IncompleteStreamError(APIConnectionError):
    """A stream ended before its final event and could not be resumed."""

    def __init__(
        self,
        message: str = "The stream ended early.",
        *,
        request: Request | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message, request=request, request_id=request_id, retryable=False, sent=False
        )


class APIResponseValidationError(APIError):
    """A successful response whose body does not fit the type it should have.

    Attributes:
        response: The HTTP response, when the body came from one.
        status_code: Its status, or None.
    """

    def __init__(
        self,
        message: str,
        *,
        body: object | None = None,
        response: HTTPResponse | None = None,
        request: Request | None = None,
        request_id: str | None = None,
    ) -> None:
        if response is not None:
            request = request or response.request
            request_id = request_id or response.request_id
        super().__init__(message, body=body, request=request, request_id=request_id)
        self.response = _redacted(response)
        self.status_code = response.status_code if response is not None else None


class APIStatusError(APIError):
    """The server answered with a status of 400 or more.

    Attributes:
        status_code: The HTTP status (for an in-stream error, the status it carried).
        response: The HTTP response (status, headers, body).
    """

    def __init__(
        self,
        message: str,
        *,
        response: HTTPResponse,
        body: object | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            body=body,
            request=response.request,
            request_id=request_id if request_id is not None else response.request_id,
        )
        self.response = _redacted(response)
        self.status_code = status_code if status_code is not None else response.status_code
        # Set when the answer says retrying cannot help (a missing object answered with 503).
        self._permanent = False
        # Set when the server has no such route or kind (another generation of the API), as
        # opposed to no such object.
        self._unknown_route = False

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status_code={self.status_code}, "
            f"request_id={self.request_id!r})"
        )


def may_have_acted(request: Request) -> str:
    """What an error of a call that creates something adds: the server may have acted."""
    return (
        f"The server may have acted on {request.label} before this failure: check "
        f"{request.creates} before you send it again (retry_creates=True retries such calls)."
    )


@overload
def _redacted(response: HTTPResponse) -> HTTPResponse: ...
@overload
def _redacted(response: None) -> None: ...
def _redacted(response: HTTPResponse | None) -> HTTPResponse | None:
    """*response*, or a copy whose body no longer holds a secret its request carried."""
    if response is None or response.request is None or not response.content:
        return response
    text = response.text
    clean = response.request.redact(text)
    if clean == text:
        return response
    return HTTPResponse(
        method=response.method,
        url=response.url,
        status_code=response.status_code,
        headers=response.headers,
        content=clean.encode(),
        request_id=response.request_id,
        request=response.request,
    )


class BadRequestError(APIStatusError):
    """400: the request was malformed."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, unknown or inactive."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such thing."""


class ConflictError(APIStatusError):
    """409: the resource is busy or in the wrong state (retried)."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well-formed but its values were refused."""


class RateLimitError(APIStatusError):
    """429: too many requests (retried, honouring ``Retry-After``)."""


class InternalServerError(APIStatusError):
    """500 and above: the server failed (retried)."""


class WaitError(SmarterError):
    """A wait (``wait()``, ``wait_until_ready()``) ended without what it waited for.

    Every call it made succeeded: the object it polled reached a state it will not leave
    (a model endpoint whose deployment failed). Nothing was sent after that state was seen.

    Attributes:
        last: The last object the wait read (a job, a model endpoint), or None.

    .. versionadded:: 0.3.0
    """

    def __init__(self, message: str, *, last: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.last = last


class WaitTimeoutError(WaitError, TimeoutError):
    """A wait's ``timeout`` passed before the object it polled reached a final state.

    Not an :class:`APITimeoutError`: every call answered in time; the job or endpoint is
    just still going (``last`` says where it was). It is also a built-in ``TimeoutError``.

    .. versionadded:: 0.3.0
    """
