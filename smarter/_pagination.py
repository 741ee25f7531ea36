"""Pages of list endpoints, written once for all of them (PROTOCOL.md, "Pagination").

A list body holds its items under the endpoint's own key and a ``next_cursor``: a string, or
null on the last page. A body without ``next_cursor`` (a server that does not paginate) is a
single, last page. Later pages reuse the options of the first request.

A walk over the pages ends with an error, not a loop, when the server hands out a cursor
that already led to a page, or answers ``Limits.max_empty_pages`` pages in a row without an
item but with a next cursor; it keeps a hash per cursor, not the cursors themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

from smarter._exceptions import APIError, SmarterError

__all__ = ["AsyncPage", "AsyncPaginator", "Fetch", "Items"]

T = TypeVar("T")

Items = Callable[[Any], "list[T]"]
Fetch = Callable[[str | None], Awaitable["AsyncPage[T]"]]


class AsyncPage(Generic[T]):
    """One page of a list: its items, the typed list body, and the way to the next page.

    ``async for item in page`` walks the items of this page and of every later page.

    .. versionadded:: 0.2.0
    """

    def __init__(
        self, *, body: Any, items: Items[T], fetch: Fetch[T], max_empty_pages: int = 8
    ) -> None:
        self.response: Any = body
        """The typed list body (``ListFilesResponse``, ...), unknown fields included."""
        self.data: list[T] = items(body)
        """The items of this page."""
        self._fetch = fetch
        self._max_empty = max_empty_pages
        # The walk that reached this page: the hash of each cursor that led to a page, with
        # the page's place in the walk (a server that hands out a cursor twice would
        # otherwise make every walk loop forever), and the pages in a row without an item.
        self._seen: dict[int, int] = {}
        self._place = 0
        self._empty_run = 0 if self.data else 1

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the next page, or None on the last one."""
        cursor = getattr(self.response, "next_cursor", None)
        return cursor if isinstance(cursor, str) and cursor else None

    def has_next_page(self) -> bool:
        """Whether another page follows this one."""
        return self.next_cursor is not None

    def next_page_info(self) -> dict[str, str] | None:
        """The query of the next page's request (``{"after": cursor}``), or None."""
        cursor = self.next_cursor
        return None if cursor is None else {"after": cursor}

    async def get_next_page(self) -> AsyncPage[T]:
        """Fetch the next page.

        Raises:
            SmarterError: this is the last page (check :meth:`has_next_page` first).
            APIError: the server gave a cursor that already led to an earlier page.
        """
        cursor = self.next_cursor
        if cursor is None:
            raise SmarterError("There is no next page: check has_next_page() first.")
        key = hash(cursor)
        if self._seen.get(key, self._place) < self._place:
            raise APIError(f"The server returned the page cursor {cursor[:100]!r} twice.")
        if self._empty_run >= self._max_empty:
            raise APIError(
                f"The server answered {self._empty_run} pages in a row without an item, each "
                "with a next cursor (smarter.Limits.max_empty_pages): the walk stops here."
            )
        page = await self._fetch(cursor)
        self._seen[key] = self._place
        page._seen = self._seen
        page._place = self._place + 1
        if not page.data:
            page._empty_run = self._empty_run + 1
        return page

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        """This page, then every later page, fetched as the iteration reaches it."""
        page: AsyncPage[T] = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = await page.get_next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item

    def __repr__(self) -> str:
        return f"<AsyncPage items={len(self.data)} next_cursor={self.next_cursor!r}>"


class AsyncPaginator(Generic[T]):
    """What ``list()`` returns at once: await it for the first page, iterate it for items.

    ``page = await client.files.list()`` or ``async for file in client.files.list(): ...``.

    .. versionadded:: 0.2.0
    """

    def __init__(self, fetch: Fetch[T]) -> None:
        self._fetch = fetch

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self._fetch(None).__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        first = await self._fetch(None)
        async for item in first:
            yield item
