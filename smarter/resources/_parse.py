"""Structured outputs: what ``chat.completions.parse()`` adds to a completion.

``parse()`` sends the JSON schema of its ``response_format`` (:mod:`smarter._schema`) and
gets a :class:`~smarter.types.ParsedChatCompletion`; :func:`fill_parsed` then structures
each choice's content into the caller's type with the converter and sets
``message.parsed``. As in openai-python (``openai/openai-python@e43b422:src/openai/lib/
_parsing/_completions.py``): a refusal (``message.refusal``) or a message that called tools
leaves ``parsed`` None, and an answer cut by the token limit (``finish_reason`` ``"length"``)
or by the content filter is an error, since what it holds cannot fit. A reply that does not
fit the type is an :class:`~smarter.APIResponseValidationError` naming the field.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

from smarter._converter import check_structurable, structure
from smarter._exceptions import APIResponseValidationError
from smarter._fastpath import loads_json
from smarter._schema import JSONSchemaFormat, response_format
from smarter.types.chat import ParsedChatCompletion, ParsedChatCompletionMessage

__all__ = ["fill_parsed", "structured_format"]

T = TypeVar("T")

_CUT = {
    "length": "was cut at the token limit (finish_reason 'length'): allow more tokens",
    "content_filter": "was stopped by the content filter (finish_reason 'content_filter')",
}


def structured_format(value: Any) -> JSONSchemaFormat:
    """The ``response_format`` to send for *value*, checked before anything is sent.

    Raises:
        TypeError: *value* is no attrs class, TypedDict or JSON schema, or holds a type
            that has no schema or that the converter cannot build.
    """
    found = response_format(value)
    if found.target is not None:
        check_structurable(found.target)
    return found


async def fill_parsed(
    call: Coroutine[Any, Any, ParsedChatCompletion[T]], found: JSONSchemaFormat
) -> ParsedChatCompletion[T]:
    """Await the completion and set ``parsed`` on each choice's message."""
    completion = await call
    for choice in completion.choices:
        where = f"choices[{choice.index}]"
        cut = _CUT.get(choice.finish_reason or "")
        if cut is not None:
            raise APIResponseValidationError(
                f"The reply of {where} {cut}; it cannot be parsed.",
                body=completion.to_dict(),
                request_id=completion._request_id,
            )
        message = choice.message
        if message.refusal or not message.content:
            continue  # parsed stays None: read message.refusal / message.tool_calls
        _set_parsed(message, _structured(message.content, found, where, completion._request_id))
    return completion


def _structured(content: str, found: JSONSchemaFormat, where: str, request_id: str | None) -> Any:
    try:
        data = loads_json(content)
    except ValueError:
        raise APIResponseValidationError(
            f"The reply of {where} is not valid JSON: {content[:200]!r}",
            body=content,
            request_id=request_id,
        ) from None
    if found.target is None:
        return data
    try:
        return structure(data, found.target)
    except APIResponseValidationError as exc:  # "Reading: $.temp: expected float, got ..."
        raise APIResponseValidationError(
            f"The reply of {where} does not fit {exc.message}", body=data, request_id=request_id
        ) from None


# The message is frozen like every result; `parsed` is filled once, here, before the caller
# sees it (the slot's own setter, as the converter fills the others).
_set_parsed = vars(ParsedChatCompletionMessage)["parsed"].__set__
