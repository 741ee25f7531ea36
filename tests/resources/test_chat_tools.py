"""``chat.completions.create``: tools, tool calls, and the OpenAI parameters, on both clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from helpers import collect, run

from smarter.testing import ReferenceServer
from smarter.testing._openai_answers import instance

from .conftest import AnyClient, body_of, last_request

ROUTE = "chat/completions"
MODEL = "gpt-test"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["c", "f"]},
            },
            "required": ["city", "unit"],
        },
    },
}
TIDES = {
    "type": "function",
    "function": {"name": "get_tides", "parameters": {"type": "object", "properties": {}}},
}
TOOLS = [WEATHER, TIDES]


def ask(text: str) -> list[dict[str, Any]]:
    """A conversation of one user message."""
    return [{"role": "user", "content": text}]


class TestToolCalls:
    async def test_a_named_tool_is_called(self, client: AnyClient) -> None:
        """The fake model calls the tool the prompt names: typed, arguments fitting its schema."""
        result = await run(
            client.chat.completions.create(
                model=MODEL, messages=ask("Use get_weather for Oban"), tools=TOOLS
            )
        )

        choice = result.choices[0]
        call = choice.message.tool_calls[0]
        assert (choice.finish_reason, choice.message.content, len(choice.message.tool_calls)) == (
            "tool_calls",
            None,
            1,
        )
        assert (call.type, call.function.name, call.id[:5]) == ("function", "get_weather", "call_")
        arguments = json.loads(call.function.arguments)
        assert (set(arguments), arguments["unit"] in ("c", "f")) == ({"city", "unit"}, True)

    async def test_parallel_calls(self, client: AnyClient) -> None:
        """Every named tool is called; parallel_tool_calls=False keeps the first."""
        prompt = ask("get_weather and get_tides please")
        both = await run(client.chat.completions.create(model=MODEL, messages=prompt, tools=TOOLS))
        one = await run(
            client.chat.completions.create(
                model=MODEL, messages=prompt, tools=TOOLS, parallel_tool_calls=False
            )
        )

        assert [c.function.name for c in both.choices[0].message.tool_calls] == [
            "get_weather",
            "get_tides",
        ]
        assert [c.function.name for c in one.choices[0].message.tool_calls] == ["get_weather"]

    @pytest.mark.parametrize(
        ("tool_choice", "expected"),
        [
            ("none", None),
            ("auto", None),
            ("required", ["get_weather"]),
            ({"type": "function", "function": {"name": "get_tides"}}, ["get_tides"]),
        ],
    )
    async def test_tool_choice(
        self, client: AnyClient, server: ReferenceServer, tool_choice: Any, expected: Any
    ) -> None:
        """tool_choice is sent; a prompt naming no tool calls one only when required or named."""
        result = await run(
            client.chat.completions.create(
                model=MODEL, messages=ask("Hello there"), tools=TOOLS, tool_choice=tool_choice
            )
        )

        calls = result.choices[0].message.tool_calls
        assert (None if calls is None else [c.function.name for c in calls]) == expected
        assert body_of(last_request(server, "POST", ROUTE))["tool_choice"] == tool_choice

    async def test_round_trip_answers_in_text(self, client: AnyClient) -> None:
        """The assistant's tool calls and the tool's answer sent back get a text answer."""
        first = await run(
            client.chat.completions.create(
                model=MODEL, messages=ask("get_weather in Oban"), tools=TOOLS
            )
        )
        call = first.choices[0].message.tool_calls[0]
        conversation = [
            *ask("get_weather in Oban"),
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [call.to_dict()],
            },
            {"role": "tool", "tool_call_id": call.id, "content": '{"temperature": 12}'},
        ]

        second = await run(
            client.chat.completions.create(model=MODEL, messages=conversation, tools=TOOLS)
        )

        assert (second.choices[0].finish_reason, second.choices[0].message.tool_calls) == (
            "stop",
            None,
        )
        assert second.choices[0].message.content

    async def test_streamed_calls_fold_into_the_plain_answer(self, client: AnyClient) -> None:
        """The tool-call fragments of a stream fold (final()) into the non-streamed message."""
        options: dict[str, Any] = {"model": MODEL, "messages": ask("get_weather, get_tides")}
        plain = await run(client.chat.completions.create(**options, tools=TOOLS))
        stream = client.chat.completions.create(**options, tools=TOOLS, stream=True)

        result = await run(stream.final())

        assert result.choices[0].message == plain.choices[0].message
        assert result.choices[0].finish_reason == "tool_calls"

    async def test_streamed_fragments(self, client: AnyClient) -> None:
        """A call streams as a header fragment (id, type, name) and argument fragments."""
        chunks = await collect(
            client.chat.completions.create(
                model=MODEL, messages=ask("get_tides"), tools=TOOLS, stream=True
            )
        )

        fragments = [c.choices[0].delta.tool_calls[0] for c in chunks[1:-1]]
        assert (fragments[0].id[:5], fragments[0].type, fragments[0].function.name) == (
            "call_",
            "function",
            "get_tides",
        )
        assert {(f.index, f.id, f.function.name) for f in fragments[1:]} == {(0, None, None)}
        assert "".join(f.function.arguments for f in fragments) == "{}"

    async def test_llm_engine_v2(
        self, kind: str, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """LLM Engine's v2 chat (no null keys, no [DONE]) folds tool calls just the same."""
        engine = make_client(kind, openai_base_url=server.llm_engine_url + "v2/")
        options: dict[str, Any] = {"model": MODEL, "messages": ask("get_weather"), "tools": TOOLS}

        plain = await run(engine.chat.completions.create(**options))
        streamed = await run(engine.chat.completions.create(**options, stream=True).final())

        assert streamed.choices[0].message.tool_calls == plain.choices[0].message.tool_calls
        assert plain.choices[0].message.tool_calls[0].function.name == "get_weather"


class TestParameters:
    async def test_all_are_sent(self, client: AnyClient, server: ReferenceServer) -> None:
        """Every parameter reaches the body as given (tuples as lists)."""
        await run(
            client.chat.completions.create(
                model=MODEL,
                messages=ask("hi"),
                tools=(WEATHER,),
                tool_choice="auto",
                parallel_tool_calls=True,
                top_p=0.5,
                seed=42,
                n=2,
                user="user-7",
                logprobs=True,
                top_logprobs=2,
                max_completion_tokens=3,
            )
        )

        sent = body_of(last_request(server, "POST", ROUTE))
        assert {key: sent[key] for key in sent if key not in ("model", "messages")} == {
            "tools": [WEATHER],
            "tool_choice": "auto",
            "parallel_tool_calls": True,
            "top_p": 0.5,
            "seed": 42,
            "n": 2,
            "user": "user-7",
            "logprobs": True,
            "top_logprobs": 2,
            "max_completion_tokens": 3,
        }

    async def test_logprobs_and_n(self, client: AnyClient) -> None:
        """Log probabilities come back typed per token, with alternatives; n choices."""
        result = await run(
            client.chat.completions.create(
                model=MODEL,
                messages=ask("hi"),
                n=2,
                logprobs=True,
                top_logprobs=2,
                max_completion_tokens=3,
            )
        )

        tokens = result.choices[1].logprobs.content
        assert [choice.index for choice in result.choices] == [0, 1]
        assert "".join(token.token for token in tokens) == result.choices[1].message.content
        assert [len(token.top_logprobs) for token in tokens] == [2, 2, 2]
        assert all(token.logprob < 0 for token in tokens)

    async def test_stream_options_usage(self, client: AnyClient) -> None:
        """include_usage ends the stream with a chunk of no choices and the usage."""
        chunks = await collect(
            client.chat.completions.create(
                model=MODEL,
                messages=ask("hi"),
                max_tokens=2,
                stream=True,
                stream_options={"include_usage": True},
            )
        )

        assert (chunks[-1].choices, chunks[-1].usage.completion_tokens) == ([], 2)

    @pytest.mark.parametrize(
        ("arguments", "error", "message"),
        [
            ({"tools": {"type": "function"}}, TypeError, "tools must be a list of tools"),
            (
                {"tools": [{"function": {}}]},
                TypeError,
                r"tools\[0\] must be a mapping with a 'type'",
            ),
            ({"tools": [{"type": "function", "function": {"name": "a b"}}]}, ValueError, "1 to 64"),
            ({"tool_choice": "sometimes"}, ValueError, "tool_choice must be one of"),
            ({"tool_choice": 3}, TypeError, "tool_choice must be"),
            ({"parallel_tool_calls": "yes"}, TypeError, "parallel_tool_calls must be a bool"),
            ({"top_p": 1.5}, ValueError, "top_p must be from 0 to 1"),
            ({"n": 0}, ValueError, "n must be from 1 to 128"),
            ({"seed": 1.5}, TypeError, "seed must be an int"),
            ({"user": 7}, TypeError, "user must be a str"),
            ({"top_logprobs": 3}, ValueError, "top_logprobs needs logprobs=True"),
            ({"logprobs": True, "top_logprobs": 21}, ValueError, "from 0 to 20"),
            ({"stream_options": {"include_usage": True}}, ValueError, "needs stream=True"),
            ({"response_format": dict}, TypeError, r"chat\.completions\.parse\(\)"),
        ],
    )
    async def test_bad_arguments_are_refused_before_sending(
        self,
        client: AnyClient,
        server: ReferenceServer,
        arguments: dict[str, Any],
        error: type[Exception],
        message: str,
    ) -> None:
        """A wrong tool, tool_choice or parameter is a TypeError/ValueError; nothing is sent."""
        with pytest.raises(error, match=message):
            await run(client.chat.completions.create(model=MODEL, messages=ask("hi"), **arguments))

        assert server.requests == []


def test_arguments_fit_the_schema() -> None:
    """The fake model's arguments are an instance of the function's parameters schema."""
    arguments = instance(WEATHER["function"]["parameters"], "seed")  # type: ignore[index]

    assert (set(arguments), isinstance(arguments["city"], str)) == ({"city", "unit"}, True)
