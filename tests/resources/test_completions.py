"""``completions.create`` and ``completions.stream`` of both clients, against the server."""

from __future__ import annotations

import json

import pytest
from helpers import collect, run

import smarter
from smarter import _converter
from smarter.testing import Fault, ReferenceServer
from smarter.testing._model import generate
from smarter.types import CompletionStreamResponse, CompletionSyncResponse, TokenOutput

from .conftest import SERVER_REQUEST_ID, AnyClient, body_of, client_request_id, last_request

MODEL = "example-model"
PROMPT = "Tell me a story about the sea"
SYNC_ROUTE = "v1/llm/completions-sync"
STREAM_ROUTE = "v1/llm/completions-stream"


class TestCreate:
    async def test_fields(self, client: AnyClient) -> None:
        """The answer's text, token counts and request ids are those of the fake model."""
        result = await run(client.completions.create(model=MODEL, prompt=PROMPT, max_new_tokens=6))

        expected = generate(PROMPT, 6, temperature=0.2)
        assert isinstance(result, CompletionSyncResponse)
        assert (
            result.output.text,
            result.output.num_prompt_tokens,
            result.output.num_completion_tokens,
            result.output.tokens,
        ) == (expected.text, 7, 6, None)
        # The body's request_id is the server's own; the LLM Engine sends no x-request-id,
        # so _request_id is the call's X-Smarter-RequestId.
        assert SERVER_REQUEST_ID.fullmatch(result.request_id or "")
        assert result._request_id != result.request_id

    async def test_request_id_is_the_calls(
        self, bare_client: AnyClient, bare_server: ReferenceServer
    ) -> None:
        """Without x-request-id from the server, _request_id is the X-Smarter-RequestId sent."""
        result = await run(bare_client.completions.create(model=MODEL, prompt=PROMPT))

        assert result._request_id == client_request_id(bare_server, "POST", SYNC_ROUTE)

    async def test_defaults_sent_and_none_left_out(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """The body has the non-None defaults and nothing else; the model is in the query."""
        await run(client.completions.create(model=MODEL, prompt=PROMPT))

        request = last_request(server, "POST", SYNC_ROUTE)
        assert (dict(request.query), body_of(request)) == (
            {"model_endpoint_name": MODEL},
            {
                "prompt": PROMPT,
                "max_new_tokens": 20,
                "temperature": 0.2,
                "return_token_log_probs": False,
            },
        )

    async def test_every_optional_argument_sent(
        self, client: AnyClient, server: ReferenceServer
    ) -> None:
        """Each optional argument given reaches the body under its wire name."""
        await run(
            client.completions.create(
                model=MODEL,
                prompt=PROMPT,
                max_new_tokens=3,
                temperature=0.5,
                stop_sequences=("stone",),
                return_token_log_probs=True,
                presence_penalty=0.5,
                frequency_penalty=1.5,
                top_k=5,
                top_p=0.9,
                include_stop_str_in_output=True,
                guided_json={"type": "object"},
                guided_regex="[a-z]+",
                guided_choice=["yes", "no"],
                guided_grammar="start: 'a'",
                skip_special_tokens=False,
            )
        )

        assert body_of(last_request(server, "POST", SYNC_ROUTE)) == {
            "prompt": PROMPT,
            "max_new_tokens": 3,
            "temperature": 0.5,
            "stop_sequences": ["stone"],
            "return_token_log_probs": True,
            "presence_penalty": 0.5,
            "frequency_penalty": 1.5,
            "top_k": 5,
            "top_p": 0.9,
            "include_stop_str_in_output": True,
            "guided_json": {"type": "object"},
            "guided_regex": "[a-z]+",
            "guided_choice": ["yes", "no"],
            "guided_grammar": "start: 'a'",
            "skip_special_tokens": False,
        }

    @pytest.mark.parametrize("limit", [1, 9])
    async def test_max_new_tokens_respected(self, client: AnyClient, limit: int) -> None:
        """The answer has exactly max_new_tokens tokens."""
        result = await run(
            client.completions.create(model=MODEL, prompt=PROMPT, max_new_tokens=limit)
        )

        assert (result.output.num_completion_tokens, len(result.output.text.split())) == (
            limit,
            limit,
        )

    async def test_stop_sequences_honoured(self, client: AnyClient) -> None:
        """Generating again with a word of the first answer as stop sequence ends before it."""
        full = await run(client.completions.create(model=MODEL, prompt=PROMPT, max_new_tokens=10))
        word = full.output.text.split()[5]
        stop = " " + word

        cut = await run(
            client.completions.create(
                model=MODEL, prompt=PROMPT, max_new_tokens=10, stop_sequences=[stop]
            )
        )
        kept = await run(
            client.completions.create(
                model=MODEL,
                prompt=PROMPT,
                max_new_tokens=10,
                stop_sequences=[stop],
                include_stop_str_in_output=True,
            )
        )

        before = full.output.text[: full.output.text.index(stop)]
        assert (cut.output.text, kept.output.text) == (before, before + stop)

    async def test_log_probs(self, client: AnyClient) -> None:
        """return_token_log_probs gives every token with its log probability."""
        result = await run(
            client.completions.create(
                model=MODEL, prompt=PROMPT, max_new_tokens=4, return_token_log_probs=True
            )
        )

        expected = generate(PROMPT, 4, temperature=0.2)
        assert result.output.tokens == [
            TokenOutput(token=token, log_prob=log_prob)
            for token, log_prob in zip(expected.tokens, expected.log_probs, strict=True)
        ]

    async def test_to_dict_round_trip(self, client: AnyClient) -> None:
        """to_dict() is the wire body; structuring it again gives an equal object."""
        result = await run(
            client.completions.create(
                model=MODEL, prompt=PROMPT, max_new_tokens=2, return_token_log_probs=True
            )
        )

        wire = result.to_dict()
        again = _converter.structure(wire, CompletionSyncResponse)
        assert (again, json.loads(result.to_json()), wire["output"]["num_completion_tokens"]) == (
            result,
            wire,
            2,
        )

    async def test_unknown_fields_kept(self, client: AnyClient, server: ReferenceServer) -> None:
        """Fields the client does not know stay readable and in to_dict()."""
        body = {
            "request_id": "req_x",
            "output": {"text": " hi", "num_completion_tokens": 1, "finish": "stop"},
            "latency_ms": 12,
        }
        server.inject("POST", SYNC_ROUTE, Fault(status=200, body=body))

        result = await run(client.completions.create(model=MODEL, prompt=PROMPT))

        assert (result.latency_ms, result.output.finish, result.to_dict()) == (12, "stop", body)
        assert result.output.model_fields_set == {"text", "num_completion_tokens"}

    async def test_unknown_model_is_not_found(self, client: AnyClient) -> None:
        """A model endpoint that does not exist raises NotFoundError naming it."""
        with pytest.raises(smarter.NotFoundError, match="no-such-model") as caught:
            await run(client.completions.create(model="no-such-model", prompt=PROMPT))

        assert caught.value.status_code == 404

    async def test_stop_sequences_as_a_string_is_refused(self, client: AnyClient) -> None:
        """One string for stop_sequences is a TypeError, not a list of characters."""
        with pytest.raises(TypeError, match="stop_sequences"):
            await run(client.completions.create(model=MODEL, prompt=PROMPT, stop_sequences="x"))


class TestStream:
    async def test_chunks(self, client: AnyClient) -> None:
        """One chunk per token; only the last is finished and carries the counts."""
        stream = client.completions.stream(model=MODEL, prompt=PROMPT, max_new_tokens=5)
        chunks = await collect(stream)

        expected = generate(PROMPT, 5, temperature=0.2)
        assert all(isinstance(chunk, CompletionStreamResponse) for chunk in chunks)
        assert [chunk.output.text for chunk in chunks] == expected.tokens
        assert [chunk.output.finished for chunk in chunks] == [False] * 4 + [True]
        assert (chunks[-1].output.num_prompt_tokens, chunks[-1].output.num_completion_tokens) == (
            7,
            5,
        )
        # The server's id is in every chunk; the LLM Engine sends no x-request-id, so the
        # stream's own id is the call's X-Smarter-RequestId.
        assert len({chunk.request_id for chunk in chunks}) == 1
        assert {chunk._request_id for chunk in chunks} == {stream.request_id}

    async def test_returned_at_once_sent_when_iterated(
        self, client: AnyClient, server: ReferenceServer, kind: str
    ) -> None:
        """stream() sends nothing; iterating it sends the same body as create() would."""
        stream = client.completions.stream(model=MODEL, prompt=PROMPT, top_k=3)
        before = server.requests_to("POST", STREAM_ROUTE)
        await collect(stream)

        request = last_request(server, "POST", STREAM_ROUTE)
        expected_type = smarter.AsyncStream if kind == "async" else smarter.Stream
        assert (type(stream), before, request.headers["Accept"], body_of(request)) == (
            expected_type,
            [],
            "text/event-stream",
            {
                "prompt": PROMPT,
                "max_new_tokens": 20,
                "temperature": 0.2,
                "return_token_log_probs": False,
                "top_k": 3,
            },
        )

    async def test_log_probs(self, client: AnyClient) -> None:
        """Streamed with return_token_log_probs, each chunk carries its token and log prob."""
        chunks = await collect(
            client.completions.stream(
                model=MODEL, prompt=PROMPT, max_new_tokens=3, return_token_log_probs=True
            )
        )

        expected = generate(PROMPT, 3, temperature=0.2)
        assert [chunk.output.token for chunk in chunks] == [
            TokenOutput(token=token, log_prob=log_prob)
            for token, log_prob in zip(expected.tokens, expected.log_probs, strict=True)
        ]

    async def test_stop_sequence(self, client: AnyClient) -> None:
        """A streamed answer stops where the sync one does."""
        full = await run(client.completions.create(model=MODEL, prompt=PROMPT, max_new_tokens=8))
        stop = " " + full.output.text.split()[4]

        chunks = await collect(
            client.completions.stream(
                model=MODEL, prompt=PROMPT, max_new_tokens=8, stop_sequences=[stop]
            )
        )

        assert (
            "".join(chunk.output.text for chunk in chunks)
            == full.output.text[: full.output.text.index(stop)]
        )
