"""How a stream's events become chunks (:class:`StreamKind`), and what a stream reads from.

A resource that streams gives its stream a :class:`StreamKind`: it turns one event's data
into a typed chunk, says which event is the last, and raises :class:`InStreamError` for an
error event. The stream reads a :class:`StreamBody` that an :data:`Opener` (the pipeline)
hands it, and never sees the transport. For ``final()`` and ``text()`` a kind also makes an
:class:`Accumulator`, which folds the chunks into the stream's whole result.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from smarter._exceptions import APIConnectionError, APIError, APIResponseValidationError
from smarter._fastpath import JSONTooDeepError, loads_json

if TYPE_CHECKING:
    from smarter._response import HTTPResponse

__all__ = [
    "Accumulates",
    "Accumulator",
    "InStreamError",
    "Opener",
    "StreamBody",
    "StreamKind",
    "as_wire",
    "drain",
]

T = TypeVar("T")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class StreamBody(Protocol):
    """What a stream reads from: the body of one response (the transport's StreamResponse)."""

    head: HTTPResponse

    async def read_chunk(self) -> bytes:
        """The next bytes of the body; ``b""`` at its end."""

    def close(self) -> None:
        """Release the connection."""

    def expire(self) -> None:
        """Make the read in progress (or the next) fail as a read timeout."""


# After the final event the server ends the body at once; the connection goes back to the
# pool only once that end has been read. How long, and how many trailing bytes, to wait for
# it before closing the connection instead.
_DRAIN_TIMEOUT = 0.5
_DRAIN_LIMIT = 64 * 1024


async def drain(body: StreamBody) -> None:
    """Read what follows a stream's final event (normally just the body's end), then release.

    A connection whose body was read to its end goes back to the pool; one that still has
    bytes coming after ``_DRAIN_TIMEOUT`` or ``_DRAIN_LIMIT`` is closed.
    """

    async def read_to_end() -> None:
        left = _DRAIN_LIMIT
        while left > 0 and (data := await body.read_chunk()):
            left -= len(data)

    try:
        await asyncio.wait_for(read_to_end(), _DRAIN_TIMEOUT)
    except (APIConnectionError, asyncio.TimeoutError):
        pass  # closed below: the connection is not reused
    finally:
        body.close()


#: Opens the stream's request (again): ``open(last_event_id, after)`` where *after* is the
#: failure that ended the previous body, judged and waited for by the retry policy first.
Opener = Callable[[str | None, APIError | None], Awaitable[StreamBody]]


class InStreamError(Exception):
    """Raised by a :class:`StreamKind` for an error event; the stream gives it its class."""

    def __init__(self, message: str, status: int | None, body: object) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body


class Accumulates(Protocol[R_co]):
    """A chunk type whose stream folds into an ``R_co``: what ``final()`` returns.

    A chunk class declares it with a ``_final_result`` method that only type checkers read
    (under ``TYPE_CHECKING``); nothing calls it.
    """

    def _final_result(self) -> R_co: ...


class Accumulator(abc.ABC, Generic[T, R]):
    """Folds the chunks of one stream, in order, into its whole result."""

    @abc.abstractmethod
    def add(self, chunk: T) -> None:
        """Fold in the next chunk."""

    @abc.abstractmethod
    def text(self, chunk: T) -> str | None:
        """The text this chunk adds to the answer, if any."""

    @abc.abstractmethod
    def result(self, response: HTTPResponse | None) -> R:
        """The whole result of the chunks folded in (its request id from *response*).

        Raises:
            APIResponseValidationError: the chunks do not make a whole result.
        """


def as_wire(data: Any, response: HTTPResponse | None) -> Any:
    """The builder of a kind that folds: the event's wire dict as it is (see ``fold_wire``)."""
    return data


class StreamKind(abc.ABC, Generic[T]):
    """What the events of one kind of stream mean: chunks, keep-alives, the end, errors."""

    #: Whether a body that ends cleanly before the final event is cut short. No for LLM
    #: Engine's streams, which may have no final event (PROTOCOL.md, "How a stream ends");
    #: yes for a responses stream, whose every ending is an event (``response.completed``).
    final_event_required: ClassVar[bool] = False

    #: The deepest JSON nesting an event may have: the stream sets its call's
    #: ``Limits.max_json_depth`` here once, not each event (benchmarks/stream.py).
    max_depth: int = 128

    def fold_wire(self) -> None:
        """From now on decode events into their wire dicts: no typed chunk is built.

        ``final()`` calls it before it reads the rest: it folds the wire dicts and would drop
        the chunks at once (benchmarks/stream.py, ``smarter-chat-tools-final``). A kind that
        cannot keeps building typed chunks, which fold the same.
        """

    def accumulator(self) -> Accumulator[T, Any]:
        """A fresh :class:`Accumulator` of this kind's chunks.

        Raises:
            TypeError: chunks of this kind have no whole result.
        """
        raise TypeError(f"a stream of {type(self).__name__} has no final result")

    @abc.abstractmethod
    def decode(self, data: str, event: str, response: HTTPResponse) -> tuple[T | None, bool]:
        """The chunk an event carries (None for a keep-alive) and whether it is the last.

        Args:
            data: The event's data.
            event: The event's type (``"message"`` when it had no ``event:`` line).
            response: The response the stream is reading.

        Raises:
            InStreamError: the event reports an error.
            APIResponseValidationError: the event does not fit.
        """

    def json(self, data: str, response: HTTPResponse) -> Any:
        """The event's data as JSON, or an error naming what arrived instead."""
        try:
            return loads_json(data, self.max_depth)
        except ValueError as exc:
            raise self.not_json(data, response, exc) from exc

    @staticmethod
    def not_json(
        data: str, response: HTTPResponse, exc: ValueError | None = None
    ) -> APIResponseValidationError:
        """The error of an event whose data is not JSON (or is JSON nested too deep)."""
        what = str(exc) if isinstance(exc, JSONTooDeepError) else "not valid JSON"
        return APIResponseValidationError(
            f"A stream event is {what}: {data[:200]!r}", body=data[:1000], response=response
        )
