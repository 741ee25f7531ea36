"""``chat.completions.parse``: structured outputs into attrs classes, TypedDicts and schemas."""

from __future__ import annotations

import enum
import json
from typing import Any, Literal, TypedDict

import attrs
import pytest
from helpers import run

import smarter
from smarter.testing import Fault, ReferenceServer
from smarter.testing._openai_answers import instance
from smarter.types import ParsedChatCompletion

from .conftest import AnyClient, body_of, last_request

ROUTE = "chat/completions"
MODEL = "gpt-test"
MESSAGES = [{"role": "user", "content": "A reading for Oban please"}]


class Unit(enum.Enum):
    C = "c"
    F = "f"


@attrs.frozen
class Place:
    city: str
    country: str


@attrs.frozen
class Reading:
    """A weather reading."""

    where: Place
    temperature: float
    unit: Unit
    note: str | None = None
    tags: list[str] = attrs.Factory(list)


class Movie(TypedDict):
    title: str
    year: int
    genre: Literal["drama", "comedy"]


def completion(**message: Any) -> dict[str, Any]:
    """A chat.completion body of one assistant message."""
    finish_reason = message.pop("finish_reason", "stop")
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, **message},
                "finish_reason": finish_reason,
            }
        ],
    }


class TestParse:
    async def test_attrs_class(self, client: AnyClient, server: ReferenceServer) -> None:
        """The class's strict schema is sent and the reply structured into the class."""
        result = await run(
            client.chat.completions.parse(model=MODEL, messages=MESSAGES, response_format=Reading)
        )

        message = result.choices[0].message
        sent = body_of(last_request(server, "POST", ROUTE))["response_format"]
        assert isinstance(result, ParsedChatCompletion)
        assert (sent["type"], sent["json_schema"]["name"], sent["json_schema"]["strict"]) == (
            "json_schema",
            "Reading",
            True,
        )
        assert isinstance(message.parsed, Reading)
        assert isinstance(message.parsed.where, Place)
        assert isinstance(message.parsed.unit, Unit)
        assert attrs.asdict(message.parsed, value_serializer=_enum_value) == json.loads(
            message.content
        )

    async def test_typeddict(self, client: AnyClient) -> None:
        """A TypedDict reply is the dict, checked against its keys and types."""
        result = await run(
            client.chat.completions.parse(model=MODEL, messages=MESSAGES, response_format=Movie)
        )

        parsed = result.choices[0].message.parsed
        assert parsed == json.loads(result.choices[0].message.content)
        assert (type(parsed["year"]), parsed["genre"] in ("drama", "comedy")) == (int, True)

    async def test_schema_dict(self, client: AnyClient, server: ReferenceServer) -> None:
        """A JSON schema dict is sent as the format's schema; parsed is the JSON value."""
        schema = {"type": "object", "properties": {"depth": {"type": "integer"}}}

        result = await run(
            client.chat.completions.parse(model=MODEL, messages=MESSAGES, response_format=schema)
        )

        sent = body_of(last_request(server, "POST", ROUTE))["response_format"]
        assert sent == {
            "type": "json_schema",
            "json_schema": {"name": "response", "schema": schema},
        }
        assert result.choices[0].message.parsed == instance(schema, f"{MESSAGES[0]['content']}\n0")

    async def test_refusal(self, client: AnyClient, server: ReferenceServer) -> None:
        """A refusal leaves parsed None and message.refusal set, as in openai-python."""
        server.inject("POST", ROUTE, Fault(status=200, body=completion(refusal="Not that.")))

        result = await run(
            client.chat.completions.parse(model=MODEL, messages=MESSAGES, response_format=Reading)
        )

        message = result.choices[0].message
        assert (message.parsed, message.refusal, message.content) == (None, "Not that.", None)

    async def test_reply_that_does_not_fit_names_the_field(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """A reply of the wrong shape is an APIResponseValidationError naming the field."""
        reply = {"where": {"city": "Oban", "country": 44}, "temperature": 9, "unit": "c"}
        body = completion(content=json.dumps({**reply, "note": None, "tags": []}))
        server.inject("POST", ROUTE, Fault(status=200, body=body))

        with pytest.raises(smarter.APIResponseValidationError) as caught:
            await run(
                client.chat.completions.parse(
                    model=MODEL, messages=MESSAGES, response_format=Reading
                )
            )

        assert caught.value.message == (
            "The reply of choices[0] does not fit Reading: $.where.country: expected str, "
            "got int 44"
        )

    @pytest.mark.parametrize(
        ("message", "expected"),
        [
            ({"content": "{not json"}, "is not valid JSON"),
            ({"content": '{"title": "Ju', "finish_reason": "length"}, "cut at the token limit"),
            ({"content": "", "finish_reason": "content_filter"}, "stopped by the content filter"),
        ],
    )
    async def test_replies_that_cannot_be_parsed(
        self, client: AnyClient, server: ReferenceServer, message: dict[str, Any], expected: str
    ) -> None:
        """No JSON, or an answer cut by the token limit or the filter, is a validation error."""
        server.inject("POST", ROUTE, Fault(status=200, body=completion(**message)))

        with pytest.raises(smarter.APIResponseValidationError, match=expected):
            await run(
                client.chat.completions.parse(model=MODEL, messages=MESSAGES, response_format=Movie)
            )

    @pytest.mark.parametrize(
        ("response_format", "expected"),
        [
            (str, "must be an attrs class, a TypedDict or a JSON schema"),
            (attrs.make_class("Bad", {"when": attrs.field(type=bytes)}), r"Bad\.when"),
        ],
    )
    async def test_bad_formats_refused_before_sending(
        self, client: AnyClient, server: ReferenceServer, response_format: Any, expected: str
    ) -> None:
        """A format with no JSON schema is a TypeError, and nothing is sent."""
        with pytest.raises(TypeError, match=expected):
            await run(
                client.chat.completions.parse(
                    model=MODEL, messages=MESSAGES, response_format=response_format
                )
            )

        assert server.requests == []

    async def test_tools_are_sent_and_calls_leave_parsed_none(self, client: AnyClient) -> None:
        """With tools, a reply that calls one has tool_calls and parsed None."""
        tools = [{"type": "function", "function": {"name": "get_tides"}}]

        result = await run(
            client.chat.completions.parse(
                model=MODEL,
                messages=[{"role": "user", "content": "get_tides"}],
                response_format=Movie,
                tools=tools,
            )
        )

        message = result.choices[0].message
        assert (message.parsed, message.tool_calls[0].function.name) == (None, "get_tides")


def _enum_value(_: Any, __: Any, value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value
