"""Raw responses: ``client.<resource>.with_raw_response.<method>(...)`` -> :class:`RawResponse`.

The method runs as usual (arguments, retries, errors, post-processing: the same code path)
while the pipeline records the HTTP response it answers with (:func:`capturing`, a context
variable read once per JSON call). The result is a :class:`RawResponse`: status, headers and
request id of that response, its body, and ``parse()``, what the method returns. For a
stream, the stream is opened first, so its status and headers are known; ``parse()`` is the
open stream. The blocking client derives its form from this one (``smarter._blocking``).

openai-python reads the body lazily (``parse()`` structures it); here the method already
did, so a body that does not fit its type raises from the call, as it would without
``with_raw_response``.
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from smarter._pagination import AsyncPaginator
from smarter._streaming import AsyncStream

if TYPE_CHECKING:
    from smarter._response import HTTPResponse

__all__ = ["AsyncRawResponses", "RawResponse", "call_raw", "capturing"]

R = TypeVar("R")
A = TypeVar("A")

#: The responses a ``with_raw_response`` call received, in order; None outside one.
capturing: contextvars.ContextVar[list[HTTPResponse] | None] = contextvars.ContextVar(
    "smarter_raw_responses", default=None
)


class RawResponse(Generic[R]):
    """The HTTP response of a call, with what the call returns (:meth:`parse`).

    Attributes:
        http_response: The :class:`~smarter.HTTPResponse` (status, headers, body).

    .. versionadded:: 0.3.0
    """

    __slots__ = ("_parsed", "http_response")

    def __init__(self, http_response: HTTPResponse, parsed: R) -> None:
        self.http_response = http_response
        self._parsed = parsed

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        return self.http_response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers (case-insensitive): ``x-ratelimit-remaining-requests``..."""
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        """``x-request-id`` of the response, else the ``X-Smarter-RequestId`` sent."""
        return self.http_response.request_id

    @property
    def content(self) -> bytes:
        """The body (``b""`` for a stream: read it through :meth:`parse`)."""
        return self.http_response.content

    @property
    def text(self) -> str:
        """The body as text."""
        return self.http_response.text

    def parse(self) -> R:
        """What the method returns: the typed result, the open stream, the first page."""
        return self._parsed

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}] {type(self._parsed).__name__}>"


async def call_raw(method: Callable[..., Any], args: Any, kwargs: Any) -> RawResponse[Any]:
    """Call a resource method and return its result with the response it came from."""
    responses: list[HTTPResponse] = []
    token = capturing.set(responses)
    try:
        value = method(*args, **kwargs)
        if isinstance(value, AsyncStream):
            await value  # opened: its status and headers are known
            if value.response is not None:
                responses.append(value.response)
        elif isinstance(value, AsyncPaginator):
            value = await value  # the first page
        elif inspect.isawaitable(value):
            value = await value
    finally:
        capturing.reset(token)
    if not responses:  # pragma: no cover - every method of a resource sends a request
        raise TypeError(f"{getattr(method, '__qualname__', method)} sent no request")
    return RawResponse(responses[-1], value)


class AsyncRawResponses(Generic[A]):
    """``resource.with_raw_response``: the resource's methods, returning :class:`RawResponse`.

    ``await client.files.with_raw_response.get("file-1")``; sub-resources too:
    ``client.chat.with_raw_response.completions.create(...)``.

    .. versionadded:: 0.3.0
    """

    __slots__ = ("_resource",)

    def __init__(self, resource: A) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._resource, name)
        raw = getattr(value, "with_raw_response", None)
        if isinstance(raw, AsyncRawResponses):
            return raw
        if not callable(value):
            raise AttributeError(f"{type(self._resource).__name__}.{name} is not a method")  # noqa: TRY004

        def call(*args: Any, **kwargs: Any) -> Awaitable[RawResponse[Any]]:
            return call_raw(value, args, kwargs)

        call.__name__ = name
        call.__doc__ = value.__doc__
        return call

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._resource!r}>"
