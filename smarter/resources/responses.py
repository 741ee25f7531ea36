"""The OpenAI-compatible ``responses`` route: one model answer, ``.output_text`` its text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from smarter._client import Options
from smarter._config import NOT_GIVEN, NotGiven, TimeoutTypes
from smarter._sync import SyncAPIResource, blocking
from smarter.resources._base import AsyncAPIResource, check_str, omit_none
from smarter.types.chat import ResponseFormat
from smarter.types.responses import Response, ResponseInputItemParam

__all__ = ["AsyncResponses", "Responses"]


class AsyncResponses(AsyncAPIResource):
    """``client.responses`` (also ``client.chat.responses``)."""

    async def create(
        self,
        *,
        model: str,
        input: str | Iterable[ResponseInputItemParam],
        instructions: str | None = None,
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> Response:
        """Ask *model* for a response to *input*.

        Args:
            model: The model to answer.
            input: A prompt, or a list of ``{"role", "content"}`` messages.
            instructions: A system message put before the input.
            response_format: ``{"type": "json_object"}`` and the like.
            temperature: Sampling temperature.
            max_output_tokens: Most tokens to generate.
            timeout: This call's timeout, instead of the client's.
            extra_headers: More headers for this call.
            extra_query: More query parameters for this call.
            extra_body: More fields for the JSON body of this call.
        """
        if not isinstance(input, str):
            input = list(input)
        return await self._client._call(
            "POST",
            "responses",
            json_body=omit_none(
                model=check_str(model, "model"),
                input=input,
                instructions=instructions,
                response_format=response_format,
                temperature=temperature,
                max_output_tokens=max_output_tokens,
            ),
            cast_to=Response,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )


class Responses(SyncAPIResource[AsyncResponses]):
    """``client.responses`` (also ``client.chat.responses``)."""

    create = blocking(AsyncResponses.create)
