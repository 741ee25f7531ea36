"""The chatbot results of the Smarter platform: manifests and prompt answers."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from smarter import APIResponseValidationError
from smarter._converter import structure
from smarter.types import ChatbotManifest, ChatbotMetadata, ChatbotResponse

MANIFEST = {
    "apiVersion": "smarter.sh/v1",
    "kind": "LLMClient",
    "metadata": {
        "name": "example",
        "description": "An example chatbot",
        "version": "0.1.0",
        "tags": ["demo"],
    },
    "spec": {"config": {"provider": "openai", "defaultModel": "gpt-4o"}, "plugins": []},
    "status": {"deployed": True, "url": "https://example.3141-5926-5359.api.smarter.sh/"},
}
SESSION_KEY = "a" * 64
COMPLETION_BODY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {
                "role": "assistant",
                "content": "Hello! How can I help?",
                "tool_calls": None,
            },
        }
    ],
    "smarter": {
        "messages": [
            {"role": "smarter", "content": "Tool call: none", "smarter_is_new": True},
            {"role": "assistant", "content": "Hello! How can I help?", "smarter_is_new": True},
        ]
    },
}


def _answer(body: Any) -> dict[str, Any]:
    """The ``data`` of a prompt envelope whose bot answered with *body*."""
    return {
        "request": {"session_key": SESSION_KEY, "messages": [{"role": "user", "content": "Hi"}]},
        "response": {
            "data": {"isBase64Encoded": False, "statusCode": 200, "body": body},
            "api": "smarter.sh/v1",
            "thing": "LLMClient",
        },
    }


class TestManifest:
    def test_structure(self) -> None:
        """The manifest structures with ``apiVersion`` read into ``api_version``."""
        expected = ChatbotManifest(
            api_version="smarter.sh/v1",
            kind="LLMClient",
            metadata=ChatbotMetadata(
                name="example", description="An example chatbot", version="0.1.0"
            ),
            spec=MANIFEST["spec"],
            status=MANIFEST["status"],
        )

        assert expected == structure(MANIFEST, ChatbotManifest)

    def test_to_dict(self) -> None:
        """``to_dict()`` gives the manifest back exactly, ``apiVersion`` spelled as sent."""
        expected = MANIFEST

        assert expected == structure(MANIFEST, ChatbotManifest).to_dict()

    def test_properties(self) -> None:
        """``name``, ``description`` and ``version`` come from the metadata."""
        manifest = structure(MANIFEST, ChatbotManifest)
        expected = ("example", "An example chatbot", "0.1.0", ["demo"])

        assert expected == (
            manifest.name,
            manifest.description,
            manifest.version,
            manifest.metadata.tags,
        )

    def test_legacy_minimal(self) -> None:
        """A legacy manifest without spec and status gets empty dicts, not set."""
        body = {"apiVersion": "smarter.sh/v1", "kind": "Chatbot", "metadata": {"name": "bot"}}
        expected = ({}, {}, {"api_version", "kind", "metadata"})

        manifest = structure(body, ChatbotManifest)

        assert expected == (manifest.spec, manifest.status, manifest.model_fields_set)

    def test_python_built_uses_wire_names(self) -> None:
        """A manifest built in Python unstructures with ``apiVersion``."""
        manifest = ChatbotManifest(
            api_version="v", kind="Chatbot", metadata=ChatbotMetadata(name="b")
        )
        expected = {
            "apiVersion": "v",
            "kind": "Chatbot",
            "metadata": {"name": "b", "description": None, "version": None},
            "spec": {},
            "status": {},
        }

        assert expected == manifest.to_dict()


class TestChatbotResponse:
    def test_structure(self) -> None:
        """The envelope's data structures, the request and response kept as sent."""
        data = _answer(COMPLETION_BODY)
        expected = ChatbotResponse(request=data["request"], response=data["response"])

        response = structure(data, ChatbotResponse)

        assert (expected, data) == (response, response.to_dict())

    def test_text_from_choices(self) -> None:
        """The reply is the first choice's message content; ``str()`` is the reply too."""
        response = structure(_answer(COMPLETION_BODY), ChatbotResponse)
        expected = ("Hello! How can I help?", "Hello! How can I help?")

        assert expected == (response.text, str(response))

    def test_text_from_string_body(self) -> None:
        """A body sent as a JSON string is parsed."""
        response = structure(_answer(json.dumps(COMPLETION_BODY)), ChatbotResponse)
        expected = "Hello! How can I help?"

        assert expected == response.text

    def test_text_from_smarter_messages(self) -> None:
        """Without choices, the reply is the last assistant entry of ``smarter.messages``."""
        body = copy.deepcopy(COMPLETION_BODY)
        del body["choices"]
        body["smarter"]["messages"].append({"role": "assistant", "content": "Anything else?"})
        expected = "Anything else?"

        assert expected == structure(_answer(body), ChatbotResponse).text

    @pytest.mark.parametrize("body", [{}, "not json", {"choices": []}, None])
    def test_no_reply(self, body: Any) -> None:
        """An answer without a reply raises a validation error that names the path."""
        response = structure(_answer(body), ChatbotResponse, request_id="req-3")
        expected = (
            "ChatbotResponse: $.response.data.body.choices[0].message.content: "
            "no assistant reply in the answer",
            "req-3",
        )

        with pytest.raises(APIResponseValidationError) as info:
            response.text  # noqa: B018 - reading the property is what raises

        assert expected == (info.value.message, info.value.request_id)

    def test_session_key(self) -> None:
        """The session key is the request's, or None when the request has none."""
        with_key = structure(_answer(COMPLETION_BODY), ChatbotResponse)
        without = structure({"request": {}, "response": {}}, ChatbotResponse)
        expected = (SESSION_KEY, None)

        assert expected == (with_key.session_key, without.session_key)

    def test_unknown_fields(self) -> None:
        """Unknown fields of the envelope's data are kept and readable."""
        data = {**_answer(COMPLETION_BODY), "plugins": ["weather"]}
        expected = (data, ["weather"])

        response = structure(data, ChatbotResponse)

        assert expected == (response.to_dict(), response.plugins)
