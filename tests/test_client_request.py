"""``client.request()``: any route, with the client's URLs, keys, retries and errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

import attrs
import pytest
from helpers import run

import smarter
from smarter.testing import Fault, ReferenceServer
from smarter.types import GetFileResponse

AnyClient = smarter.AsyncClient | smarter.Client


class FileRow(TypedDict):
    id: str
    filename: str
    size: int


@attrs.frozen
class Listing:
    files: list[FileRow]


class TestRequest:
    async def test_default_is_the_json_dict(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """Without cast_to, the answer's JSON object, sent with the service's URL and key."""
        result = await run(client.request("GET", "v1/files", service="llm_engine"))

        sent = server.requests_to("GET", "v1/files")[-1]
        assert result == {"files": []}
        assert sent.headers["Authorization"].startswith("Basic ")

    async def test_post_a_body_to_the_platform(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A POST sends its JSON body and query; the platform's envelope comes back whole."""
        result = await run(client.request("post", "cli/whoami/", json={"a": 1}, query={"q": "x"}))

        sent = server.requests_to("POST", "cli/whoami/")[-1]
        assert (sent.body, sent.query.get("q")) == (b'{"a":1}', "x")
        assert sent.headers["Authorization"].startswith("Token ")
        assert set(result) >= {"data", "api"}

    async def test_cast_to_types(self, client: AnyClient) -> None:
        """cast_to takes result classes, the caller's attrs classes and TypedDicts, object."""
        uploaded = await run(client.files.create(file=b"a\n"))
        path = f"v1/files/{uploaded.id}"

        as_result = await run(
            client.request("GET", path, service="llm_engine", cast_to=GetFileResponse)
        )
        listing = await run(
            client.request("GET", "v1/files", service="llm_engine", cast_to=Listing)
        )
        anything = await run(client.request("GET", path, service="llm_engine", cast_to=object))

        assert (type(as_result), as_result.id, as_result._response_headers is not None) == (
            GetFileResponse,
            uploaded.id,
            True,
        )
        assert listing.files[0]["id"] == uploaded.id
        assert anything == as_result.to_dict()

    async def test_answer_that_does_not_fit(self, client: AnyClient) -> None:
        """An answer that does not fit cast_to is an APIResponseValidationError naming where."""
        with pytest.raises(smarter.APIResponseValidationError, match=r"list: \$: expected list"):
            await run(client.request("GET", "v1/files", service="llm_engine", cast_to=list))

    async def test_errors_and_retries_as_any_call(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A GET is retried after a 503 like any call; a 404 raises NotFoundError."""
        server.inject("GET", "v1/files", Fault(status=503))
        result = await run(client.request("GET", "v1/files", service="llm_engine"))

        with pytest.raises(smarter.NotFoundError):
            await run(client.request("GET", "v1/nowhere", service="llm_engine"))
        assert (result, len(server.requests_to("GET", "v1/files"))) == ({"files": []}, 2)

    async def test_post_counts_as_a_create(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A POST is not retried after a 500 (the server may have acted), unless asked."""
        server.inject("POST", "cli/whoami/", Fault(status=500), Fault(status=500))

        with pytest.raises(smarter.InternalServerError, match="may have acted"):
            await run(client.request("POST", "cli/whoami/"))
        retried = await run(client.request("POST", "cli/whoami/", retry_creates=True))

        assert (len(server.requests_to("POST", "cli/whoami/")), "data" in retried) == (3, True)

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            ({"method": "FETCH", "path": "v1/files"}, "method must be one of"),
            ({"method": "GET", "path": "https://evil.example/x"}, "relative to the base URL"),
            ({"method": "GET", "path": "//evil.example/x"}, "relative to the base URL"),
            ({"method": "GET", "path": "/"}, "relative to the base URL"),
            ({"method": "GET", "path": "v1/files", "service": "mail"}, "service must be one of"),
        ],
    )
    async def test_bad_routes_are_refused(
        self, client: AnyClient, server: ReferenceServer, arguments: dict[str, Any], message: str
    ) -> None:
        """A bad method, service or non-relative path is a ValueError; nothing is sent."""
        with pytest.raises(ValueError, match=message):
            await run(client.request(**arguments))

        assert server.requests == []

    async def test_unbuildable_cast_to(self, client: AnyClient, server: ReferenceServer) -> None:
        """A cast_to the converter cannot build is a TypeError before sending."""
        with pytest.raises(TypeError, match="cannot be built from JSON"):
            await run(client.request("GET", "v1/files", service="llm_engine", cast_to=int | str))

        assert server.requests == []


async def test_twin_is_derived(make_client: Callable[..., AnyClient]) -> None:
    """Client.request is blocking(AsyncClient.request): same docstring, same parameters."""
    client = make_client("sync")

    assert client.request.__wrapped__ is smarter.AsyncClient.request  # type: ignore[attr-defined]
