"""Pages of list endpoints: both forms, cursors, reused options, and servers that do not page.

No real server pages (LLM Engine's lists answer every item at once): the paging tests run
against the reference server's ``extended`` profile, and ``TestServerWithoutCursor`` against
the default one, which answers like the real servers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from helpers import bound_client, collect, run

import smarter
from smarter._pagination import AsyncPage, AsyncPaginator
from smarter.testing import Fault, ReferenceServer
from smarter.types import GetFileResponse, ListFilesResponse

AnyClient = smarter.AsyncClient | smarter.Client


@pytest.fixture
def server() -> Iterator[ReferenceServer]:
    """The ``extended`` profile, whose lists page by ``limit`` and ``after``."""
    with ReferenceServer.in_thread(profile="extended") as server:
        yield server


async def upload(client: AnyClient, count: int) -> list[str]:
    """Upload ``count`` small files; their ids, in upload order."""
    return [(await run(client.files.create(file=b"x" * n))).id for n in range(1, count + 1)]


def ids(items: list[GetFileResponse]) -> list[str]:
    """The ids of some files."""
    return [item.id for item in items]


class TestAsyncForm:
    async def test_list_returns_a_paginator_at_once(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """list() returns an AsyncPaginator without sending anything."""
        client = make_client("async")

        paginator = client.files.list(limit=2)

        assert (type(paginator), server.requests) == (AsyncPaginator, [])

    async def test_pages_one_by_one(self, make_client: Callable[..., AnyClient]) -> None:
        """Awaiting list() gives the first page; get_next_page() the next, three in all."""
        client = make_client("async")
        uploaded = await upload(client, 5)

        first = await client.files.list(limit=2)
        second = await first.get_next_page()
        third = await second.get_next_page()

        assert [type(page) for page in (first, second, third)] == [AsyncPage] * 3
        assert [ids(page.data) for page in (first, second, third)] == [
            uploaded[0:2],
            uploaded[2:4],
            uploaded[4:5],
        ]
        assert [page.has_next_page() for page in (first, second, third)] == [True, True, False]
        assert [page.next_page_info() for page in (first, second, third)] == [
            {"after": first.response.next_cursor},
            {"after": second.response.next_cursor},
            None,
        ]
        assert isinstance(first.response, ListFilesResponse)
        assert first.response.files == first.data

    async def test_last_page_has_no_next(self, make_client: Callable[..., AnyClient]) -> None:
        """get_next_page() on the last page raises SmarterError."""
        client = make_client("async")
        await upload(client, 1)
        page = await client.files.list(limit=2)

        with pytest.raises(smarter.SmarterError, match="no next page"):
            await page.get_next_page()

    async def test_iter_pages(self, make_client: Callable[..., AnyClient]) -> None:
        """iter_pages() walks this page and every later one."""
        client = make_client("async")
        uploaded = await upload(client, 5)
        first = await client.files.list(limit=2)

        pages = [page async for page in first.iter_pages()]

        assert ([len(page.data) for page in pages], pages[0] is first) == ([2, 2, 1], True)
        assert [item.id for page in pages for item in page.data] == uploaded

    async def test_async_for_over_the_paginator(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """``async for`` over list() walks every item of every page, one request per page."""
        client = make_client("async")
        uploaded = await upload(client, 5)

        items = [item async for item in client.files.list(limit=2)]

        assert ids(items) == uploaded
        assert len(server.requests_to("GET", "v1/files")) == 3

    async def test_break_fetches_no_more(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """Breaking out of ``async for`` after the first item fetches no further page."""
        client = make_client("async")
        uploaded = await upload(client, 5)

        async for item in client.files.list(limit=2):
            first = item
            break
        after = await client.files.get(uploaded[4])

        assert (first.id, after.id, len(server.requests_to("GET", "v1/files"))) == (
            uploaded[0],
            uploaded[4],
            1,
        )

    async def test_async_for_over_a_page(self, make_client: Callable[..., AnyClient]) -> None:
        """``async for`` over a later page walks it and the pages after it."""
        client = make_client("async")
        uploaded = await upload(client, 5)
        second = await (await client.files.list(limit=2)).get_next_page()

        assert ids([item async for item in second]) == uploaded[2:]


class TestSyncForm:
    async def test_pages_one_by_one(self, make_client: Callable[..., AnyClient]) -> None:
        """list() is the first SyncPage; get_next_page() the next, three in all."""
        client = make_client("sync")
        uploaded = await upload(client, 5)

        first = client.files.list(limit=2)
        second = first.get_next_page()
        third = second.get_next_page()

        assert [type(page) for page in (first, second, third)] == [smarter.SyncPage] * 3
        assert [ids(page.data) for page in (first, second, third)] == [
            uploaded[0:2],
            uploaded[2:4],
            uploaded[4:5],
        ]
        assert [page.has_next_page() for page in (first, second, third)] == [True, True, False]
        assert (first.next_page_info(), third.next_page_info()) == (
            {"after": first.response.next_cursor},
            None,
        )
        assert isinstance(second.response, ListFilesResponse)

    async def test_iterating_a_page_walks_everything(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """``for item in page`` walks every item of every page."""
        client = make_client("sync")
        uploaded = await upload(client, 5)

        items = list(client.files.list(limit=2))

        assert ids(items) == uploaded
        assert len(server.requests_to("GET", "v1/files")) == 3

    async def test_iter_pages(self, make_client: Callable[..., AnyClient]) -> None:
        """iter_pages() yields this page and every later one."""
        client = make_client("sync")
        await upload(client, 5)

        pages = list(client.files.list(limit=2).iter_pages())

        assert [len(page.data) for page in pages] == [2, 2, 1]

    async def test_last_page_has_no_next(self, make_client: Callable[..., AnyClient]) -> None:
        """get_next_page() on the last page raises SmarterError."""
        client = make_client("sync")

        page = client.files.list()

        with pytest.raises(smarter.SmarterError, match="no next page"):
            page.get_next_page()


class TestOptionsReused:
    async def test_headers_and_query(self, client: AnyClient, server: ReferenceServer) -> None:
        """Every page is asked with the first call's extra headers, extra query and limit."""
        await upload(client, 5)

        await collect(
            await run(
                client.files.list(
                    limit=2, extra_headers={"X-Trace": "t1"}, extra_query={"tag": "q"}
                )
            )
        )

        requests = server.requests_to("GET", "v1/files")
        afters = [request.query.get("after") for request in requests]
        assert [
            (r.headers.get("X-Trace"), r.query.get("tag"), r.query["limit"]) for r in requests
        ] == [("t1", "q", "2")] * 3
        assert ([after is None for after in afters], len(set(afters))) == ([True, False, False], 3)

    async def test_cursor_is_the_previous_pages(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """The after of each later request is the next_cursor of the page before it."""
        await upload(client, 5)
        first = await run(client.files.list(limit=2))
        second = await run(first.get_next_page())

        requests = server.requests_to("GET", "v1/files")
        assert [request.query.get("after") for request in requests] == [
            None,
            first.next_page_info()["after"],
        ]
        assert second.next_page_info() != first.next_page_info()

    async def test_extra_query_after_starts_the_walk(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A caller's extra_query after= starts the walk; the cursors carry it forward."""
        await upload(client, 7)
        first = await run(client.files.list(limit=2))
        start = first.next_page_info()["after"]
        expected = ids(await collect(await run(first.get_next_page())))

        seen = await collect(await run(client.files.list(limit=2, extra_query={"after": start})))

        afters = [request.query["after"] for request in server.requests_to("GET", "v1/files")[-3:]]
        assert ids(seen) == expected
        assert (len(seen), afters[0], len(set(afters))) == (5, start, 3)

    async def test_timeout(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer, kind: str
    ) -> None:
        """A later page is bound by the first call's timeout."""
        client = make_client(kind, max_retries=0)
        await upload(client, 3)
        first = await run(client.files.list(limit=2, timeout=0.3))
        server.inject("GET", "v1/files", Fault.slow(1.0))

        with pytest.raises(smarter.APITimeoutError):
            await run(first.get_next_page())

    async def test_new_request_id_per_page(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """Each page is its own call: its own request id, retry count 0."""
        await upload(client, 3)

        await collect(await run(client.files.list(limit=2)))

        requests = server.requests_to("GET", "v1/files")
        assert len({request.headers["X-Smarter-RequestId"] for request in requests}) == 2
        assert [request.headers["X-Smarter-Retry-Count"] for request in requests] == ["0", "0"]


class TestServerWithoutCursor:
    async def test_one_page(self, kind: str) -> None:
        """The real servers' list (no next_cursor) is a single, last page of every item."""
        with ReferenceServer.in_thread() as server:
            async with bound_client(kind, server) as client:
                uploaded = await upload(client, 5)
                page = await run(client.files.list(limit=2))
                items = await collect(page)

            assert (ids(page.data), page.has_next_page(), page.next_page_info()) == (
                uploaded,
                False,
                None,
            )
            assert (ids(items), len(server.requests_to("GET", "v1/files"))) == (uploaded, 1)
            assert "next_cursor" not in page.response.model_fields_set


class TestCursorLoop:
    async def test_repeated_cursor_is_an_error(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A server that hands out the same cursor twice makes iteration fail, not loop."""
        item = {"id": "file-1", "filename": "f", "size": 1}
        body = {"files": [item], "next_cursor": "again"}
        server.inject("GET", "v1/files", *[Fault(status=200, body=body)] * 3)

        with pytest.raises(smarter.APIError, match="twice"):
            await collect(await run(client.files.list()))


class TestLimit:
    @pytest.mark.parametrize("limit", [0, 101, -1, True, 2.0, "5"])
    @pytest.mark.parametrize("resource", ["files", "models", "fine_tuning.jobs"])
    async def test_outside_range(
        self, client: AnyClient, server: ReferenceServer, limit: object, resource: str
    ) -> None:
        """A limit that is not an int from 1 to 100 is a ValueError naming limit."""
        target: object = client
        for name in resource.split("."):
            target = getattr(target, name)

        with pytest.raises(ValueError, match="limit"):
            await run(target.list(limit=limit))  # type: ignore[attr-defined]

        assert server.requests == []

    @pytest.mark.parametrize("limit", [1, 100])
    async def test_bounds_accepted(
        self, client: AnyClient, server: ReferenceServer, limit: int
    ) -> None:
        """1 and 100 are valid page sizes."""
        await run(client.files.list(limit=limit))

        assert server.requests_to("GET", "v1/files")[-1].query["limit"] == str(limit)
