"""The results of the ``responses`` route, and ``output_text``."""

from __future__ import annotations

import copy

from smarter._converter import structure
from smarter.types import (
    Response,
    ResponseInputItemParam,
    ResponseOutputItem,
    ResponseOutputText,
    ResponseUsage,
)

RESPONSE = {
    "id": "resp_67ccd2bed1ec8190",
    "object": "response",
    "created_at": 1741476542,
    "model": "llama-2-7b",
    "status": "completed",
    "output": [
        {
            "type": "message",
            "id": "msg_67ccd2bf17f0",
            "role": "assistant",
            "status": "completed",
            "content": [
                {"type": "output_text", "text": "In a quiet forest, ", "annotations": []},
                {"type": "output_text", "text": "a unicorn slept."},
            ],
        }
    ],
    "usage": {"input_tokens": 36, "output_tokens": 87, "total_tokens": 123},
}


class TestResponse:
    def test_structure(self) -> None:
        """The body structures to the expected object, field by field."""
        expected = Response(
            id="resp_67ccd2bed1ec8190",
            object="response",
            created_at=1741476542,
            model="llama-2-7b",
            status="completed",
            output=[
                ResponseOutputItem(
                    type="message",
                    id="msg_67ccd2bf17f0",
                    role="assistant",
                    status="completed",
                    content=[
                        ResponseOutputText(
                            type="output_text", text="In a quiet forest, ", annotations=[]
                        ),
                        ResponseOutputText(type="output_text", text="a unicorn slept."),
                    ],
                )
            ],
            usage=ResponseUsage(input_tokens=36, output_tokens=87, total_tokens=123),
        )

        assert expected == structure(RESPONSE, Response)

    def test_to_dict(self) -> None:
        """``to_dict()`` gives the body back exactly."""
        expected = RESPONSE

        assert expected == structure(RESPONSE, Response).to_dict()

    def test_unknown_fields(self) -> None:
        """Unknown fields are kept, at the top and in nested objects."""
        body = copy.deepcopy(RESPONSE)
        body["reasoning"] = {"effort": None}
        body["output"][0]["content"][1]["logprobs"] = [-0.1]

        response = structure(body, Response)

        assert (body, {"effort": None}, [-0.1]) == (
            response.to_dict(),
            response.reasoning,
            response.output[0].content[1].logprobs,
        )

    def test_fields_set(self) -> None:
        """``annotations`` sent on one part and not on the other is told apart."""
        parts = structure(RESPONSE, Response).output[0].content
        expected = [{"type", "text", "annotations"}, {"type", "text"}]

        assert expected == [part.model_fields_set for part in parts]


class TestOutputText:
    def test_joins_every_text_part(self) -> None:
        """``output_text`` joins the text of every ``output_text`` part of every item."""
        body = copy.deepcopy(RESPONSE)
        body["output"].append(
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": " The end."}],
            }
        )

        expected = "In a quiet forest, a unicorn slept. The end."

        assert expected == structure(body, Response).output_text

    def test_skips_other_parts_and_items(self) -> None:
        """Parts of other types, empty texts and items without content add nothing."""
        body = {
            "id": "resp_1",
            "object": "response",
            "created_at": 1.5,
            "model": "m",
            "output": [
                {"type": "reasoning", "id": "rs_1", "content": None},
                {
                    "type": "message",
                    "content": [
                        {"type": "refusal", "refusal": "no"},
                        {"type": "output_text", "text": None},
                        {"type": "output_text", "text": "ok"},
                    ],
                },
            ],
        }
        expected = "ok"

        assert expected == structure(body, Response).output_text

    def test_empty_output(self) -> None:
        """A response without output has empty ``output_text``."""
        body = {"id": "r", "object": "response", "created_at": 0, "model": "m", "output": []}
        expected = ""

        assert expected == structure(body, Response).output_text


class TestParams:
    def test_input_item(self) -> None:
        """An input item is a plain dict with ``role`` and ``content``."""
        expected = frozenset({"role", "content"})

        assert expected == ResponseInputItemParam.__required_keys__
