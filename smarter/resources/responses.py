"""The OpenAI-compatible ``responses`` route: one model answer, ``.output_text`` its text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from smarter.resources._base import INT, NUMBER, OBJECT, STR, AsyncAPIResource, BodySpec
from smarter.types.responses import Response, ResponseInputItemParam

if TYPE_CHECKING:
    from smarter._request import RequestOptions, Unpack
    from smarter.types.chat import ResponseFormat
    from smarter.types.responses import ResponseTextConfig

__all__ = ["AsyncResponses"]


def _input(name: str, value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a str or a list of messages, not {type(value).__name__}")
    return list(value)


#: The body of ``responses``.
_BODY = BodySpec(
    model=STR,
    input=_input,
    instructions=STR,
    text=OBJECT,
    temperature=NUMBER,
    max_output_tokens=INT,
)


class AsyncResponses(AsyncAPIResource):
    """``client.responses`` (also ``client.chat.responses``)."""

    _service = "openai"

    async def create(
        self,
        *,
        model: str,
        input: str | Iterable[ResponseInputItemParam],
        instructions: str | None = None,
        text: ResponseTextConfig | None = None,
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> Response:
        """Ask *model* for a response to *input*.

        Args:
            model: The model to answer.
            input: A prompt, or a list of ``{"role", "content"}`` messages.
            instructions: A system message put before the input.
            text: How to answer: ``{"format": {"type": "json_object"}}`` and the like.
            response_format: The format alone, sent as ``text.format`` (OpenAI's
                ``CreateResponse`` has no ``response_format``); prefer *text*.
            temperature: Sampling temperature.
            max_output_tokens: Most tokens to generate.
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``extra_body``.
        """
        if response_format is not None:
            if text is not None:
                raise TypeError("pass text= or response_format=, not both")
            text = {"format": response_format}
        body = _BODY.build(
            model=STR("model", model),
            input=input,
            instructions=instructions,
            text=text,
            temperature=temperature,
            max_output_tokens=max_output_tokens,
        )
        return await self._call("POST", "responses", Response, options, json=body)
