"""A user's script, type-checked by CI with ``mypy --strict`` after the README's install.

The editable install the README gives must leave the package's types visible (a plain path
entry, not an import hook): every name below must resolve, and every result be typed.
"""

from __future__ import annotations

import asyncio

import smarter
from smarter.types import ChatCompletion, CompletionSyncResponse


def blocking() -> str:
    """The README's first calls, blocking."""
    with smarter.Client() as client:
        answer: CompletionSyncResponse = client.completions.create(model="m", prompt="Hi")
        for chunk in client.completions.stream(model="m", prompt="Hi"):
            print(chunk.output.text, end="")
        return answer.output.text


async def concurrent() -> list[str]:
    """The same, awaited, with a chat completion."""
    async with smarter.AsyncClient() as client:
        chat: ChatCompletion = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "Hi"}]
        )
        async for chunk in client.completions.stream(model="m", prompt="Hi"):
            print(chunk.output.text, end="")
        return [choice.message.content or "" for choice in chat.choices]


if __name__ == "__main__":
    print(blocking(), asyncio.run(concurrent()))
