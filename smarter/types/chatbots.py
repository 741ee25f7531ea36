"""Results of the Smarter platform's chatbot routes: a bot's manifest and a prompt's answer."""

import json
from typing import Any

import attrs

from smarter._exceptions import APIResponseValidationError
from smarter.types._base import BaseModel, publish

__all__ = ["ChatbotMetadata", "ChatbotManifest", "ChatbotResponse"]

#: Where the reply is, relative to a ChatbotResponse, for error messages.
_REPLY_PATH = "$.response.data.body.choices[0].message.content"


@attrs.frozen(kw_only=True)
class ChatbotMetadata(BaseModel):
    """The ``metadata`` of a chatbot manifest.

    .. versionadded:: 0.2.0
    """

    name: str
    """The name of the chatbot, unique in its account."""
    description: str | None = None
    """What the chatbot is for."""
    version: str | None = None
    """The version of the manifest, e.g. ``"0.1.0"``."""


@attrs.frozen(kw_only=True)
class ChatbotManifest(BaseModel):
    """A chatbot as ``cli/describe/`` describes it: a Kubernetes-style manifest.

    .. versionadded:: 0.2.0
    """

    api_version: str | None = None
    """The manifest schema, ``"smarter.sh/v1"`` (``apiVersion`` on the wire)."""
    kind: str
    """``"LLMClient"`` on current servers, ``"Chatbot"`` on older ones."""
    metadata: ChatbotMetadata
    """The name, description and version of the chatbot."""
    spec: dict[str, Any] = attrs.field(factory=dict)
    """The configuration of the chatbot: provider, model, plugins, ... as sent."""
    status: dict[str, Any] = attrs.field(factory=dict)
    """What the server reports about the deployed chatbot: URLs, DNS state, ... as sent."""

    @property
    def name(self) -> str:
        """The name of the chatbot."""
        return self.metadata.name

    @property
    def description(self) -> str | None:
        """What the chatbot is for."""
        return self.metadata.description

    @property
    def version(self) -> str | None:
        """The version of the manifest."""
        return self.metadata.version


@attrs.frozen(kw_only=True)
class ChatbotResponse(BaseModel):
    """The answer to a prompt: the ``data`` of the ``cli/prompt/`` envelope.

    ``str(response)`` is the reply.

    .. versionadded:: 0.2.0
    """

    request: dict[str, Any]
    """What the server made of the prompt: the ``session_key`` and the messages, as sent."""
    response: dict[str, Any]
    """The chatbot's own answer, a journaled chat completion, as sent."""

    @property
    def text(self) -> str:
        """The assistant's reply.

        Raises:
            APIResponseValidationError: the answer holds no reply.
        """
        body = _dig(self.response, "data", "body")
        if isinstance(body, str):
            # The direct bot endpoint sends the completion as a JSON document in a string.
            try:
                body = json.loads(body)
            except ValueError:
                body = None
        choices = _dig(body, "choices")
        if isinstance(choices, list) and choices:
            content = _dig(choices[0], "message", "content")
            if isinstance(content, str):
                return content
        messages = _dig(body, "smarter", "messages")
        if isinstance(messages, list):
            for message in reversed(messages):
                if _dig(message, "role") == "assistant":
                    content = _dig(message, "content")
                    if isinstance(content, str):
                        return content
        raise APIResponseValidationError(
            f"ChatbotResponse: {_REPLY_PATH}: no assistant reply in the answer",
            body=self.to_dict(),
            request_id=self._request_id,
        )

    @property
    def session_key(self) -> str | None:
        """The key of the conversation on the server; send it back to continue it."""
        key = self.request.get("session_key")
        return key if isinstance(key, str) else None

    def __str__(self) -> str:
        return self.text


def _dig(value: Any, *keys: str) -> Any:
    """``value[k1][k2]...``, or None as soon as a level is not a dict or lacks the key."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


publish(globals())
