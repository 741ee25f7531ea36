"""What the resource modules share: the pipeline they call, and declared request bodies.

A resource method is written once, in async form, in three steps: check its arguments into a
body (a :class:`BodySpec` declares the fields of each route's body and what each takes),
build the :class:`~smarter._request.Request` through the client's pipeline, and hand it to
``call`` / ``stream`` / ``paginate``. Its blocking twin is derived in :mod:`smarter._sync`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, Final, ParamSpec, TypeVar

from smarter._fastpath import generate_body_builder
from smarter._raw import AsyncRawResponses
from smarter._request import path_segment

if TYPE_CHECKING:
    from smarter._client import AsyncClient
    from smarter._files import MultipartForm
    from smarter._pagination import AsyncPaginator, Items
    from smarter._request import Request, Service
    from smarter._stream_kind import StreamKind
    from smarter._streaming import AsyncStream

__all__ = [
    "BOOL",
    "INT",
    "JSON",
    "NUMBER",
    "OBJECT",
    "STR",
    "STRINGS",
    "AsyncAPIResource",
    "BodySpec",
    "check_limit",
    "check_str",
    "path_segment",
    "same_parameters_as",
]

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")
Resource = TypeVar("Resource", bound="AsyncAPIResource")
P = ParamSpec("P")

Check = Callable[[str, Any], Any]


class AsyncAPIResource:
    """An API resource bound to the client that sends its calls."""

    #: The service this resource's routes belong to.
    _service: ClassVar[Service] = "llm_engine"

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        self._pipeline = client._pipeline

    @property
    def with_raw_response(self: Resource) -> AsyncRawResponses[Resource]:
        """This resource's methods, each returning a :class:`~smarter.RawResponse`.

        The status, headers and request id of the response, and ``parse()``, the usual result.

        .. versionadded:: 0.3.0
        """
        return AsyncRawResponses(self)

    def _request(
        self,
        method: str,
        path: str,
        options: Mapping[str, Any],
        *,
        query: Mapping[str, object] | None = None,
        json: Mapping[str, object] | None = None,
        form: MultipartForm | None = None,
        stream: bool = False,
        creates: str | None = None,
    ) -> Request:
        return self._pipeline.build(
            method,
            path,
            options,
            service=self._service,
            query=query,
            json=json,
            form=form,
            stream=stream,
            creates=creates,
        )

    def _call(
        self,
        method: str,
        path: str,
        cast_to: type[T],
        options: Mapping[str, Any],
        *,
        query: Mapping[str, object] | None = None,
        json: Mapping[str, object] | None = None,
        form: MultipartForm | None = None,
        envelope: bool = False,
        creates: str | None = None,
    ) -> Coroutine[Any, Any, T]:
        """Build the request now (bad input fails here) and return the call to await.

        *creates*: for a call that creates something, how to check whether it did (a retry
        after a failure that leaves it unsure is refused, see ``retry_creates``).
        """
        pipeline = self._pipeline
        # Positionally: every call of every resource comes this way (see Pipeline.build).
        request = pipeline.build(
            method, path, options, self._service, query, json, form, False, creates
        )
        return pipeline.call(request, cast_to, envelope)

    def _stream(
        self,
        path: str,
        kind: StreamKind[T],
        options: Mapping[str, Any],
        *,
        query: Mapping[str, object] | None = None,
        json: Mapping[str, object] | None = None,
    ) -> AsyncStream[T]:
        request = self._request("POST", path, options, query=query, json=json, stream=True)
        return self._pipeline.stream(request, kind)

    def _list(
        self,
        path: str,
        cast_to: type[Any],
        items: Items[T],
        options: Mapping[str, Any],
        *,
        query: Mapping[str, object] | None = None,
    ) -> AsyncPaginator[T]:
        return self._pipeline.paginate(
            path, options, service=self._service, query=query, cast_to=cast_to, items=items
        )


# -- checks of the arguments of a body --------------------------------------------------------


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:37] + '...' if len(text) > 40 else text}"


def STR(name: str, value: Any) -> str:  # noqa: N802 (a check, named as the type it takes)
    """A string."""
    if isinstance(value, str):
        return value
    raise TypeError(f"{name} must be a str, not {_describe(value)}")


def INT(name: str, value: Any) -> int:  # noqa: N802
    """An integer that is not a bool."""
    if isinstance(value, int) and value.__class__ is not bool:
        return value
    raise TypeError(f"{name} must be an int, not {_describe(value)}")


def NUMBER(name: str, value: Any) -> float | int:  # noqa: N802
    """A finite int or float (NaN and infinity are no JSON)."""
    if isinstance(value, int | float) and value.__class__ is not bool:
        if math.isfinite(value):
            return value
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    raise TypeError(f"{name} must be a number, not {_describe(value)}")


def BOOL(name: str, value: Any) -> bool:  # noqa: N802
    """True or False."""
    if value is True or value is False:
        return value
    raise TypeError(f"{name} must be a bool, not {_describe(value)}")


def STRINGS(name: str, value: Any) -> list[str]:  # noqa: N802
    """A sequence of strings (not one string), sent as a list."""
    if isinstance(value, str) or not isinstance(value, Sequence | set | frozenset):
        raise TypeError(f"{name} must be a list of strings, not {_describe(value)}")
    items = list(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{name} must hold strings only, not {_describe(item)}")
    return items


def OBJECT(name: str, value: Any) -> dict[str, Any]:  # noqa: N802
    """A mapping, sent as a JSON object."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{name} must be a mapping (a JSON object), not {_describe(value)}")


def JSON(name: str, value: Any) -> Any:  # noqa: N802
    """Any JSON value, sent as it is (the encoder refuses what JSON cannot carry)."""
    return value


class BodySpec:
    """The declared fields of one route's JSON body and what each takes.

    ``spec.build(prompt=prompt, top_k=top_k, ...)`` returns the body: each argument checked
    (a clear ``TypeError`` / ``ValueError`` naming it, before anything is sent), arguments
    left at None left out. ``build`` takes the declared fields only, as keywords: passing
    another name is a ``TypeError`` (a programming error), so a new parameter is never sent
    by accident.
    """

    __slots__ = ("_checks", "build")

    build: Callable[..., dict[str, Any]]

    def __init__(self, **checks: Check) -> None:
        self._checks = checks
        self.build = generate_body_builder(checks, _ACCEPT, as_is=JSON)

    @property
    def fields(self) -> frozenset[str]:
        """The names of the body's fields."""
        return frozenset(self._checks)


# What each check accepts as it is, written inline in a spec's generated ``build`` (see
# smarter._fastpath.generate_body_builder) so that the check is not called for it.
_ACCEPT: Final[dict[Check, str]] = {
    STR: "{v}.__class__ is str",
    INT: "{v}.__class__ is int",
    NUMBER: "{v}.__class__ is int",  # a float is called: NaN and infinity are refused there
    BOOL: "{v} is True or {v} is False",
}


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


def same_parameters_as(
    model: Callable[Concatenate[S, P], Any],
) -> Callable[[Callable[..., R]], Callable[Concatenate[S, P], R]]:
    """Give a method the parameters of *model* (``stream()`` takes what ``create()`` takes).

    The decorated method receives the arguments bound to *model*'s signature as keywords,
    defaults applied; a wrong argument is refused as *model* would refuse it. Its own return
    type is kept, for type checkers as for ``inspect.signature``.
    """
    signature = inspect.signature(model)

    def decorate(method: Callable[..., R]) -> Callable[Concatenate[S, P], R]:
        own = inspect.signature(method)

        def bound(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                arguments = signature.bind(self, *args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"{method.__qualname__}(): {exc}") from None
            arguments.apply_defaults()
            values = dict(arguments.arguments)
            del values[next(iter(signature.parameters))]  # self
            values.update(values.pop("options", None) or {})
            return method(self, **values)

        bound.__name__ = method.__name__
        bound.__qualname__ = method.__qualname__
        bound.__doc__ = method.__doc__
        bound.__module__ = method.__module__
        bound.__signature__ = signature.replace(  # type: ignore[attr-defined]
            return_annotation=own.return_annotation
        )
        return bound

    return decorate
