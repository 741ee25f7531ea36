"""``client.request()``: any route of a service, with the client's auth, retries and errors.

The escape hatch for a route the client does not know yet (the platform renamed its routes
in June 2026): the call is built and attempted by the client's own
:class:`~smarter._pipeline.Pipeline`, so it has the service's URL and key, the retries (a
``POST`` or ``PATCH`` counted as a call that creates something) and the errors of any other
call, and its answer is structured by the converter into ``cast_to``: the JSON object by
default, or a class of :mod:`smarter.types` (which then keeps ``_request_id`` and
``_response_headers``), or an attrs class or TypedDict of the caller's. ``cast_to`` is
checked before anything is sent: a type the converter cannot build is a ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

from smarter._request import RequestOptions, Service, Unpack, check_route

if TYPE_CHECKING:
    from smarter._pipeline import Pipeline

__all__ = ["AnyRoute"]

T = TypeVar("T")


class AnyRoute:
    """The ``request()`` method of :class:`~smarter.AsyncClient` (its blocking twin is derived)."""

    _pipeline: Pipeline

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        service: Service = "platform",
        json: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        **options: Unpack[RequestOptions],
    ) -> dict[str, Any]: ...
    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        service: Service = "platform",
        json: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        cast_to: type[T],
        **options: Unpack[RequestOptions],
    ) -> T: ...
    async def request(
        self,
        method: str,
        path: str,
        *,
        service: Service = "platform",
        json: Mapping[str, object] | None = None,
        query: Mapping[str, object] | None = None,
        cast_to: Any = dict,
        **options: Unpack[RequestOptions],
    ) -> Any:
        """Call any route of a service, with the client's URL, key, retries and errors.

        ``POST`` and ``PATCH`` count as calls that create something: retried only where the
        server provably did not act, unless ``retry_creates=True``.

        Args:
            method: ``"GET"``, ``"POST"``, ``"PUT"``, ``"PATCH"`` or ``"DELETE"``.
            path: The route, relative to the service's base URL (``"cli/version/"``).
            service: ``"platform"``, ``"llm_engine"`` or ``"openai"``.
            json: The JSON body.
            query: Query parameters (None values left out).
            cast_to: What to build from the JSON answer: ``dict`` (the default), ``list``,
                ``object`` (any JSON value), a class of :mod:`smarter.types`, or an attrs
                class or TypedDict of yours.
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``extra_body``,
                ``retry_creates``.

        Raises:
            ValueError: an unknown method or service, or a path that is not relative.
            APIResponseValidationError: the answer does not fit *cast_to*.

        .. versionadded:: 0.3.0
        """
        verb, path = check_route(method, path, service)
        from smarter._converter import check_structurable

        check_structurable(cast_to)
        pipeline = self._pipeline
        creates = "what it changes" if verb in ("POST", "PATCH") else None
        request = pipeline.build(
            verb, path, options, service=service, json=json, query=query, creates=creates
        )
        return await pipeline.call(request, cast_to)
