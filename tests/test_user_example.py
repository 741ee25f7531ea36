"""A user's tests, written the way README.rst tells users to write theirs: the plugin's fixtures."""

from __future__ import annotations

import smarter
from smarter.testing import Fault, ReferenceServer


def summarise(client: smarter.Client, text: str) -> str:
    """The kind of application code a user would test: one completion call."""
    answer = client.completions.create(model="example-model", prompt=f"Summarise: {text}")
    return answer.output.text.strip()


def test_summary_survives_a_flaky_server(
    smarter_server: ReferenceServer, smarter_client: smarter.Client
) -> None:
    """A 503 on the first attempt is retried and the summary still comes back."""
    smarter_server.inject("POST", "v1/llm/completions-sync", Fault.error(503))

    summary = summarise(smarter_client, "a long text")

    assert summary != ""
    assert len(smarter_server.requests_to("POST", "v1/llm/completions-sync")) == 2


async def test_async_summary_with_the_async_fixture(
    smarter_server: ReferenceServer, smarter_async_client: smarter.AsyncClient
) -> None:
    """The smarter_async_client fixture is an AsyncClient on the test's loop, wired up."""
    answer = await smarter_async_client.completions.create(model="example-model", prompt="Hi")

    assert answer.output.text
    assert smarter_server.requests_to("POST", "v1/llm/completions-sync")[0].status == 200
    assert smarter_async_client.state is smarter.ClientState.OPEN
