"""The body of ``chat/completions``: its fields and the checks of each, before sending.

The fields are OpenAI's ``CreateChatCompletionRequest``
(``openai/openai-openapi@f85dbe2:openapi.yaml``) that LLM Engine's ``v2/chat/completions``
also takes (``ChatCompletionV2Request``,
``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/common/dtos/llms/
chat_completion.py``); their ranges are the schema's. A value the servers would refuse is
a ``TypeError`` / ``ValueError`` naming the argument, and nothing is sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from smarter.resources._base import (
    BOOL,
    INT,
    NUMBER,
    OBJECT,
    STR,
    STRINGS,
    BodySpec,
)

__all__ = [
    "BODY",
    "MESSAGES",
    "RESPONSE_FORMAT",
    "STOP",
    "TOOLS",
    "TOOL_CHOICE",
    "check_stream_options",
]

# FunctionObject.name: "a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum
# length of 64".
_FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_TOOL_MODES = ("none", "auto", "required")


def MESSAGES(name: str, value: Any) -> list[dict[str, Any]]:  # noqa: N802 (a body check)
    """A list of messages: mappings with a ``role`` (a str is a common slip, refused here)."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise TypeError(
            f"{name} must be a list of messages such as "
            f'[{{"role": "user", "content": "Hi"}}], not {type(value).__name__}'
        )
    messages = [dict(message) if isinstance(message, Mapping) else message for message in value]
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise TypeError(
                f"{name}[{index}] must be a mapping with a 'role', not {message!r}"[:200]
            )
    return messages


def STOP(name: str, value: Any) -> str | list[str]:  # noqa: N802 (a body check)
    """One stop string, or a list of them."""
    return STR(name, value) if isinstance(value, str) else STRINGS(name, value)


def TOOLS(name: str, value: Any) -> list[dict[str, Any]]:  # noqa: N802 (a body check)
    """A list of tools; a ``function`` tool names its function as the servers allow."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise TypeError(
            f'{name} must be a list of tools such as [{{"type": "function", "function": '
            f'{{"name": "get_weather", "parameters": {{...}}}}}}], not {type(value).__name__}'
        )
    tools = [dict(tool) if isinstance(tool, Mapping) else tool for tool in value]
    for index, tool in enumerate(tools):
        where = f"{name}[{index}]"
        if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
            raise TypeError(f"{where} must be a mapping with a 'type', not {tool!r}"[:200])
        if tool["type"] != "function":
            continue  # "custom" tools and whatever a server adds: sent as given
        function = tool.get("function")
        if not isinstance(function, Mapping):
            raise TypeError(f"{where}['function'] must be a mapping with a 'name'")
        _function_name(f"{where}['function']['name']", function.get("name"))
        if "parameters" in function and not isinstance(function["parameters"], Mapping):
            raise TypeError(f"{where}['function']['parameters'] must be a JSON schema (a dict)")
    return tools


def _function_name(where: str, value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{where} must be a str, not {type(value).__name__}")
    if not _FUNCTION_NAME.fullmatch(value):
        raise ValueError(f"{where} must be 1 to 64 letters, digits, '_' or '-', not {value!r}")


def TOOL_CHOICE(name: str, value: Any) -> str | dict[str, Any]:  # noqa: N802 (a body check)
    """``"none"``, ``"auto"``, ``"required"``, or a mapping naming a tool."""
    if isinstance(value, str):
        if value not in _TOOL_MODES:
            raise ValueError(f"{name} must be one of {', '.join(_TOOL_MODES)}, not {value!r}")
        return value
    if not isinstance(value, Mapping) or not isinstance(value.get("type"), str):
        raise TypeError(
            f'{name} must be "none", "auto", "required" or a mapping such as {{"type": '
            f'"function", "function": {{"name": ...}}}}, not {type(value).__name__}'
        )
    choice = dict(value)
    if choice["type"] == "function":
        function = choice.get("function")
        if not isinstance(function, Mapping):
            raise TypeError(f"{name}['function'] must be a mapping with a 'name'")
        _function_name(f"{name}['function']['name']", function.get("name"))
    return choice


def RESPONSE_FORMAT(name: str, value: Any) -> dict[str, Any]:  # noqa: N802 (a body check)
    """A response format mapping; a class belongs to ``parse()``."""
    if isinstance(value, type):
        raise TypeError(
            f"{name} is a class ({value.__name__}): pass it to chat.completions.parse(), "
            "which sends its JSON schema and structures the reply into it"
        )
    return OBJECT(name, value)


def _between(low: float, high: float, check: Callable[[str, Any], Any]) -> Callable[..., Any]:
    def check_range(name: str, value: Any) -> Any:
        value = check(name, value)
        if not low <= value <= high:
            raise ValueError(f"{name} must be from {low} to {high}, not {value!r}")
        return value

    return check_range


#: The body of ``chat/completions`` (``stream`` and ``stream_options`` are added by the
#: streaming call).
BODY = BodySpec(
    model=STR,
    messages=MESSAGES,
    response_format=RESPONSE_FORMAT,
    tools=TOOLS,
    tool_choice=TOOL_CHOICE,
    parallel_tool_calls=BOOL,
    temperature=NUMBER,
    top_p=_between(0, 1, NUMBER),
    max_tokens=INT,
    max_completion_tokens=INT,
    stop=STOP,
    n=_between(1, 128, INT),
    seed=INT,
    user=STR,
    logprobs=BOOL,
    top_logprobs=_between(0, 20, INT),
)


def check_stream_options(body: dict[str, Any], stream: bool, stream_options: Any) -> None:
    """Add ``stream`` and ``stream_options``; refuse what only makes sense with the other.

    ``top_logprobs`` needs ``logprobs=True`` ("``logprobs`` must be set to ``true`` if this
    parameter is used"), ``stream_options`` a stream ("Only set this when you set
    ``stream: true``"): both from the spec's ``CreateChatCompletionRequest``.
    """
    if "top_logprobs" in body and body.get("logprobs") is not True:
        raise ValueError("top_logprobs needs logprobs=True")
    if stream_options is not None:
        if not stream:
            raise ValueError("stream_options needs stream=True")
        body["stream_options"] = OBJECT("stream_options", stream_options)
    if stream:
        body["stream"] = True
