"""The error tree: a class per status, and the message of every error body shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import run
from hypothesis import given
from hypothesis import strategies as st

import smarter
from smarter._status import error_message
from smarter.testing import Fault, ReferenceServer

AnyClient = smarter.AsyncClient | smarter.Client

texts = st.text(min_size=1, max_size=60)


class TestErrorMessage:
    @given(texts, st.text(max_size=20), st.one_of(st.integers(400, 599), st.text(max_size=3)))
    def test_smarter_cli_shape(self, description: str, error_class: str, status: Any) -> None:
        """Shape 1: error.description (Smarter cli/)."""
        body = {"error": {"description": description, "errorClass": error_class, "status": status}}

        assert error_message(403, json.dumps(body).encode())[0] == description

    @given(texts, st.integers(400, 599))
    def test_status_code_message_shape(self, message: str, status: int) -> None:
        """Shape 2: error.message next to error.status_code."""
        body = {"error": {"status_code": status, "message": message}}

        assert error_message(status, json.dumps(body).encode())[0] == message

    @given(texts)
    def test_error_string_shape(self, message: str) -> None:
        """Shape 3: error is the message."""
        assert error_message(500, json.dumps({"error": message}).encode())[0] == message

    @given(texts)
    def test_detail_string_shape(self, detail: str) -> None:
        """Shape 4: detail is the message (LLM Engine)."""
        assert error_message(404, json.dumps({"detail": detail}).encode())[0] == detail

    @given(st.lists(texts, min_size=1, max_size=4))
    def test_detail_list_shape(self, messages: list[str]) -> None:
        """Shape 4: FastAPI 422 details, their messages joined by '; '."""
        detail = [{"loc": ["body", "x"], "msg": m, "type": "value_error"} for m in messages]

        assert error_message(422, json.dumps({"detail": detail}).encode())[0] == "; ".join(messages)

    @given(texts)
    def test_message_shape(self, message: str) -> None:
        """Shape 5: a top-level message."""
        assert error_message(403, json.dumps({"message": message}).encode())[0] == message

    @given(
        st.one_of(
            st.binary(max_size=2000).filter(lambda b: not b.strip().startswith(b"{")),
            st.dictionaries(
                st.text(max_size=8).filter(lambda k: k not in ("error", "detail", "message")),
                st.integers(),
                max_size=3,
            ).map(lambda d: json.dumps(d).encode()),
        ),
        st.integers(400, 599),
    )
    def test_anything_else(self, content: bytes, status: int) -> None:
        """Shape 6: anything else is 'Error code: <status> - ' and its first 500 characters."""
        text = content.decode("utf-8", errors="replace").strip()[:500]
        expected = f"Error code: {status} - {text}" if text else f"Error code: {status}"

        assert error_message(status, content)[0] == expected

    def test_html_page(self) -> None:
        """A proxy's HTML page gives the status and the page's start."""
        message, body = error_message(502, b"<html><h1>502 Bad Gateway</h1></html>")

        assert message == "Error code: 502 - <html><h1>502 Bad Gateway</h1></html>"
        assert body == "<html><h1>502 Bad Gateway</h1></html>"

    def test_empty_body(self) -> None:
        """An empty body gives just the status."""
        assert error_message(503, b"") == ("Error code: 503", None)

    def test_order_of_shapes(self) -> None:
        """error.description wins over detail and message."""
        body = {"error": {"description": "first"}, "detail": "second", "message": "third"}

        assert error_message(400, json.dumps(body).encode())[0] == "first"


class TestStatusClasses:
    @pytest.mark.parametrize(
        ("status", "cls"),
        [
            (400, smarter.BadRequestError),
            (401, smarter.AuthenticationError),
            (403, smarter.PermissionDeniedError),
            (404, smarter.NotFoundError),
            (409, smarter.ConflictError),
            (418, smarter.APIStatusError),
            (422, smarter.UnprocessableEntityError),
            (429, smarter.RateLimitError),
            (500, smarter.InternalServerError),
            (503, smarter.InternalServerError),
            (599, smarter.InternalServerError),
        ],
    )
    async def test_class_per_status(
        self, client: AnyClient, server: ReferenceServer, status: int, cls: type[Exception]
    ) -> None:
        """Each status raises its class, carrying status, response, body and request id."""
        server.inject("*", "*", *[Fault.error(status, should_retry=False)])

        with pytest.raises(smarter.APIStatusError) as caught:
            await run(client.whoami())

        error = caught.value
        assert type(error) is cls
        assert (error.status_code, error.response.status_code) == (status, status)
        # The platform sends no x-request-id: the id is the call's own.
        assert error.request_id == server.requests[-1].headers["X-Smarter-RequestId"]
        assert isinstance(error.body, dict)

    async def test_wrong_key(self, kind: str, server: ReferenceServer) -> None:
        """A wrong API key is an AuthenticationError, and the key is in no message."""
        options = {**server.client_kwargs(), "api_key": "sk-wrong-secret"}
        client: AnyClient = (
            smarter.AsyncClient(**options) if kind == "async" else smarter.Client(**options)
        )
        try:
            with pytest.raises(smarter.AuthenticationError) as caught:
                await run(client.files.get("x"))
        finally:
            await run(client.close() if isinstance(client, smarter.Client) else client.aclose())

        assert "sk-wrong-secret" not in str(caught.value) + repr(caught.value)

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ({"error": {"description": "d", "errorClass": "X", "status": "403"}}, "d"),
            ({"error": {"status_code": 403, "message": "m"}}, "m"),
            ({"error": "e"}, "e"),
            ({"detail": "nope"}, "nope"),
            ({"detail": [{"loc": ["a"], "msg": "x", "type": "t"}, {"msg": "y"}]}, "x; y"),
            ({"message": "Forbidden."}, "Forbidden."),
            ("<html>Forbidden</html>", "Error code: 403 - <html>Forbidden</html> (POST {url})"),
        ],
    )
    async def test_every_body_shape(
        self, client: AnyClient, server: ReferenceServer, body: Any, expected: str
    ) -> None:
        """The message comes from whichever shape the server used; non-JSON names the URL."""
        content_type = "text/html" if isinstance(body, str) else None
        server.inject("*", "*", Fault.error(403, body=body, content_type=content_type))

        with pytest.raises(smarter.PermissionDeniedError) as caught:
            await run(client.whoami())

        expected = expected.format(url=server.url + "cli/whoami/")
        assert caught.value.message == str(caught.value) == expected

    async def test_route_error_shapes(self, client: AnyClient) -> None:
        """The reference server's own error shapes all give readable messages."""
        with pytest.raises(smarter.NotFoundError) as llm:
            await run(client.models.get("no-such-model"))
        with pytest.raises(smarter.NotFoundError) as cli:
            await run(client.resources.chatbots.get(name="no-such-bot"))
        with pytest.raises(smarter.UnprocessableEntityError) as invalid:
            await run(client.completions.create(model="example-model", prompt="x", temperature=3))

        assert "no-such-model" in llm.value.message
        assert "no-such-bot" in cli.value.message
        assert "temperature" in invalid.value.message

    async def test_malformed_success_body(self, client: AnyClient, server: ReferenceServer) -> None:
        """A 2xx that is not JSON is an APIResponseValidationError, not retried."""
        server.inject("*", "*", Fault.malformed_json())

        with pytest.raises(smarter.APIResponseValidationError) as caught:
            await run(client.whoami())

        assert (caught.value.status_code, len(server.requests)) == (200, 1)
        assert caught.value.request_id is not None

    def test_tree(self) -> None:
        """The classes form the documented tree."""
        assert issubclass(smarter.APITimeoutError, smarter.APIConnectionError)
        assert issubclass(smarter.IncompleteStreamError, smarter.APIConnectionError)
        assert issubclass(smarter.APIConnectionError, smarter.APIError)
        assert issubclass(smarter.APIResponseValidationError, smarter.APIError)
        assert issubclass(smarter.RateLimitError, smarter.APIStatusError)
        assert issubclass(smarter.APIError, smarter.SmarterError)
        assert smarter.NotFoundError.__module__ == "smarter"
