"""The three services: where each call goes, with which key and scheme, from which setting.

PROTOCOL.md "Services and base URLs"; API.md "Services". LLM Engine reads HTTP Basic (the key
as the user name) or Bearer, never Token
(scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/dependencies.py,
verify_authentication); the platform reads Token
(smarter-sh/smarter@v0.14.19:smarter/smarter/lib/drf/token_authentication.py).
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from helpers import run

import smarter
from smarter.testing import ReferenceServer

AnyClient = smarter.AsyncClient | smarter.Client

_VARIABLES = (
    "SMARTER_API_KEY",
    "SMARTER_BASE_URL",
    "LLM_ENGINE_BASE_PATH",
    "SCALE_API_KEY",
    "SMARTER_OPENAI_BASE_URL",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No service variable set: each test sets the ones it is about."""
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def _completion(client: AnyClient) -> object:
    return client.completions.create(model="example-model", prompt="Hi", max_new_tokens=2)


class TestTheEnvironmentOfTheLlmengineClient:
    async def test_basic_to_llm_engine_and_token_to_the_platform(
        self, kind: str, clean_env: pytest.MonkeyPatch, server: ReferenceServer
    ) -> None:
        """Client() from the llmengine variables: Basic to LLM Engine, Token to the platform."""
        clean_env.setenv("LLM_ENGINE_BASE_PATH", server.llm_engine_url)
        clean_env.setenv("SCALE_API_KEY", server.api_key)
        clean_env.setenv("SMARTER_API_KEY", server.api_key)
        clean_env.setenv("SMARTER_BASE_URL", server.url)
        client: AnyClient = smarter.AsyncClient() if kind == "async" else smarter.Client()

        try:
            await run(_completion(client))
            await run(client.whoami())
        finally:
            if isinstance(client, smarter.AsyncClient):
                await client.aclose()
            else:
                client.close()

        engine, platform = server.requests
        assert (engine.path, engine.headers["Authorization"]) == (
            "v1/llm/completions-sync",
            _basic(server.api_key),
        )
        assert (platform.path, platform.headers["Authorization"]) == (
            "cli/whoami/",
            f"Token {server.api_key}",
        )

    async def test_llm_engine_alone_needs_no_platform_key(
        self, clean_env: pytest.MonkeyPatch, server: ReferenceServer
    ) -> None:
        """With only the two llmengine variables, completions work; whoami names the key."""
        clean_env.setenv("LLM_ENGINE_BASE_PATH", server.llm_engine_url)
        clean_env.setenv("SCALE_API_KEY", server.api_key)

        async with smarter.AsyncClient() as client:
            answer = await client.completions.create(model="example-model", prompt="Hi")
            with pytest.raises(smarter.SmarterError, match="SMARTER_API_KEY"):
                await client.whoami()

        assert answer.output.text
        assert [request.path for request in server.requests] == ["v1/llm/completions-sync"]

    async def test_the_platform_key_opens_llm_engine_too(
        self, clean_env: pytest.MonkeyPatch, server: ReferenceServer
    ) -> None:
        """Without SCALE_API_KEY the platform key is sent to LLM Engine, in Basic."""
        clean_env.setenv("LLM_ENGINE_BASE_PATH", server.llm_engine_url)

        async with smarter.AsyncClient(api_key=server.api_key) as client:
            await client.files.list()

        assert server.requests[-1].headers["Authorization"] == _basic(server.api_key)


class TestNotConfigured:
    async def test_no_llm_engine_is_an_error_before_sending(
        self, clean_env: pytest.MonkeyPatch, server: ReferenceServer
    ) -> None:
        """An LLM Engine call without an LLM Engine names the argument and the variable."""
        async with smarter.AsyncClient(base_url=server.url, api_key=server.api_key) as client:
            with pytest.raises(smarter.SmarterError) as caught:
                await client.completions.create(model="example-model", prompt="Hi")
            with pytest.raises(smarter.SmarterError, match="LLM_ENGINE_BASE_PATH"):
                client.completions.stream(model="example-model", prompt="Hi")  # at once
            await client.whoami()  # the platform is configured

        assert "llm_engine_url=" in str(caught.value)
        assert "LLM_ENGINE_BASE_PATH" in str(caught.value)
        assert not isinstance(caught.value, smarter.APIError)
        assert [request.path for request in server.requests] == ["cli/whoami/"]

    async def test_no_openai_server_is_an_error_before_sending(
        self, clean_env: pytest.MonkeyPatch, server: ReferenceServer
    ) -> None:
        """Chat without an OpenAI-compatible server or an LLM Engine names both settings."""
        async with smarter.AsyncClient(base_url=server.url, api_key=server.api_key) as client:
            with pytest.raises(smarter.SmarterError) as caught:
                await client.chat.completions.create(
                    model="example-model", messages=[{"role": "user", "content": "Hi"}]
                )

        assert ("openai_base_url=" in str(caught.value), server.requests) == (True, [])
        assert "SMARTER_OPENAI_BASE_URL" in str(caught.value)


class TestOpenAICompatible:
    async def test_defaults_to_the_llm_engine_v2_with_its_key(
        self, clean_env: pytest.MonkeyPatch, server: ReferenceServer
    ) -> None:
        """No OpenAI URL: chat goes to the LLM Engine's v2/, with the LLM Engine key."""
        async with smarter.AsyncClient(
            api_key="sk-platform-only",
            llm_engine_url=server.llm_engine_url,
            llm_engine_api_key=server.api_key,
        ) as client:
            await client.chat.completions.create(
                model="example-model", messages=[{"role": "user", "content": "Hi"}]
            )

        (request,) = server.requests
        assert (request.path, request.headers["Authorization"]) == (
            "v2/chat/completions",
            f"Bearer {server.api_key}",
        )

    async def test_own_url_and_key(
        self, clean_env: pytest.MonkeyPatch, server: ReferenceServer
    ) -> None:
        """openai_base_url and openai_api_key send chat there, in Bearer."""
        clean_env.setenv("SMARTER_OPENAI_BASE_URL", server.openai_base_url)

        async with smarter.AsyncClient(openai_api_key=server.api_key) as client:
            await client.chat.completions.create(
                model="example-model", messages=[{"role": "user", "content": "Hi"}]
            )

        (request,) = server.requests
        assert (request.path, request.headers["Authorization"]) == (
            "chat/completions",
            f"Bearer {server.api_key}",
        )


class TestOptions:
    async def test_with_options_moves_one_service(
        self, make_client: Callable[..., AnyClient], server: ReferenceServer
    ) -> None:
        """with_options(llm_engine_url=...) moves LLM Engine calls only; the rest stay."""
        client = make_client("async")
        moved = client.with_options(llm_engine_url="http://127.0.0.1:9/")

        with pytest.raises(smarter.APIConnectionError):
            await run(moved.with_options(max_retries=0).files.list())
        await run(moved.whoami())

        assert (str(moved.llm_engine_url), str(client.llm_engine_url)) == (
            "http://127.0.0.1:9/",
            server.llm_engine_url,
        )
        assert [request.path for request in server.requests] == ["cli/whoami/"]

    @pytest.mark.parametrize(
        ("argument", "value"),
        [
            ("llm_engine_url", "ftp://engine/"),
            ("llm_engine_url", "http://user:secret@engine/"),
            ("openai_base_url", "not a url"),
        ],
    )
    def test_bad_url_is_refused_at_once(self, argument: str, value: str) -> None:
        """A base URL that is not http(s), or carries credentials, is refused by name."""
        with pytest.raises(ValueError, match=argument) as caught:
            smarter.AsyncClient(api_key="k", **{argument: value})  # type: ignore[arg-type]

        assert "secret" not in str(caught.value)

    def test_urls_gain_their_slash(self) -> None:
        """A base URL without its trailing slash is read as the folder it names."""
        client = smarter.AsyncClient(
            api_key="k", llm_engine_url="http://engine:5000", openai_base_url="http://o/v1"
        )

        assert (str(client.llm_engine_url), str(client.openai_base_url)) == (
            "http://engine:5000/",
            "http://o/v1/",
        )

    def test_the_blocking_client_mirrors_the_services(self) -> None:
        """Client takes and shows the same service settings as AsyncClient."""
        with smarter.Client(api_key="k", llm_engine_url="http://engine/") as client:
            copy = client.with_options(openai_base_url="http://o/")

            assert (str(client.llm_engine_url), str(copy.openai_base_url)) == (
                "http://engine/",
                "http://o/",
            )


class TestWhichKeyWasRefused:
    @pytest.mark.parametrize(
        ("environment", "arguments", "said"),
        [
            ({"SCALE_API_KEY": "wrong"}, {}, "the LLM Engine refused the key in SCALE_API_KEY"),
            (
                {},
                {"llm_engine_api_key": "wrong"},
                "the LLM Engine refused the key given as llm_engine_api_key=",
            ),
            ({"SMARTER_API_KEY": "wrong"}, {}, "the LLM Engine refused the key in SMARTER_API_KEY"),
            ({}, {"api_key": "wrong"}, "the LLM Engine refused the key given as api_key="),
        ],
    )
    async def test_the_error_names_the_service_and_the_key(
        self,
        clean_env: pytest.MonkeyPatch,
        server: ReferenceServer,
        environment: dict[str, str],
        arguments: dict[str, str],
        said: str,
    ) -> None:
        """A refused key: the error says which service refused which key, from where."""
        for name, value in environment.items():
            clean_env.setenv(name, value)

        async with smarter.AsyncClient(llm_engine_url=server.llm_engine_url, **arguments) as client:
            with pytest.raises(smarter.AuthenticationError) as caught:
                await client.with_options(timeout=5.0).files.list()

        assert caught.value.message == f"Could not authenticate user ({said})"
        assert "wrong" not in str(caught.value)
