"""Error answers become exceptions: the class, the message, and whether retrying can help.

The platform's journaled error bodies are smarter-sh/smarter's
``smarter/smarter/lib/journal/http.py`` (``SmarterJournaledJsonErrorResponse``), written by
``smarter/smarter/apps/api/v1/cli/views/base.py`` ``dispatch()``, at v0.14.19, v0.13.223 and
v0.10.21; LLM Engine's are FastAPI's ``{"detail": ...}``
(scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/app.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yarl
from hypothesis import given
from hypothesis import strategies as st

import smarter
from smarter._config import Timeout
from smarter._request import Request
from smarter._response import HTTPResponse
from smarter._status import make_status_error

BUG = (
    "<class 'smarter.apps.llm_client.manifest.brokers.llm_client.SAMBrokerErrorNotReady'>: "
    "Encountered an unexpected error. This is a bug. Please contact someone@example.com "
    "and/or report to https://github.com/smarter-sh/smarter/issues.. "
)


def _request(service: str = "platform", *, creates: str | None = None) -> Request:
    url = yarl.URL("http://h.test/api/v1/cli/describe/llmclient/")
    return Request(
        "POST", url, {}, None, "cli/describe/llmclient/", Timeout(5.0), "rid-1", service,  # type: ignore[arg-type]
        2, False, (), creates, "in SMARTER_API_KEY",
    )  # fmt: skip


def _error(
    status: int,
    body: Any,
    *,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
) -> smarter.APIStatusError:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = HTTPResponse(
        method="POST",
        url="http://h.test/api/v1/cli/describe/llmclient/",
        status_code=status,
        headers=headers or {"Content-Type": "application/json"},
        content=content,
        request=request or _request(),
    )
    return make_status_error(response)


def _journaled(status: int, error_class: str, description: str | None, **about: str) -> Any:
    """A v0.14.19 journaled error body (thing and command in the metadata)."""
    return {
        "error": {
            "errorClass": error_class,
            "stacktrace": "No stack trace available.",
            "description": description,
            "status": status,
            "args": "url=http://h.test/api/v1/cli/",
            "cause": "Python Exception",
            "context": f"thing={about.get('thing')}, command={about.get('command')}",
        },
        "api": "smarter.sh/v1",
        "metadata": about,
    }


class TestPlatformAuthentication:
    @pytest.mark.parametrize(
        ("status", "error_class", "description"),
        [
            (401, "SmarterTokenAuthenticationError", "Authentication failed."),
            (
                403,
                "SmarterAPIV1CLIViewErrorNotAuthenticated",
                "Smarter api v1 command-line interface error: authentication failed",
            ),
            (403, "APIV1CLIViewError", "Unauthorized access attempted."),  # v0.10.21
        ],
    )
    def test_auth_bodies_are_authentication_errors(
        self, status: int, error_class: str, description: str
    ) -> None:
        """A bad or missing key is an AuthenticationError, 401 or 403 alike (issue 12 item 7)."""
        error = _error(status, _journaled(status, error_class, description, command="whoami"))

        assert (type(error), error.status_code, error.message) == (
            smarter.AuthenticationError,
            status,
            f"{description} (the Smarter platform refused the key in SMARTER_API_KEY)",
        )

    def test_other_403_stays_permission_denied(self) -> None:
        """A 403 about something else than the key stays a PermissionDeniedError."""
        error = _error(403, _journaled(403, "SmarterPermissionError", "Only staff may do this."))

        assert type(error) is smarter.PermissionDeniedError


class TestPlatformNotFound:
    def test_missing_chatbot_503_is_not_found_and_permanent(self) -> None:
        """A 503 NotReady "not found" from describe is a NotFoundError, not retried."""
        body = _journaled(
            503,
            "SAMBrokerErrorNotReady",
            BUG + "Smarter API LLMClient manifest broker: describe() not ready error.  "
            "LLMClient nobot not found: LLMClient nobot not found",
            thing="LLMClient",
            command="describe",
        )

        error = _error(503, body)

        assert (type(error), error._permanent, error._unknown_route) == (
            smarter.NotFoundError,
            True,
            False,
        )
        assert error.message.startswith("Smarter API LLMClient manifest broker")
        assert "This is a bug" not in error.message

    @pytest.mark.parametrize(
        ("status", "error_class", "description"),
        [
            (500, "APIV1CLIViewError", BUG + "Could not find broker for <-- Missing --> manifest."),
            (400, "SAMBadRequestError", "Unsupported manifest kind: None. should be one of []"),
        ],
    )
    def test_unknown_kind_is_an_unknown_route(
        self, status: int, error_class: str, description: str
    ) -> None:
        """An older platform's answer to a kind it lacks marks the route as unknown."""
        error = _error(status, _journaled(status, error_class, description))

        assert (type(error), error._permanent, error._unknown_route) == (
            smarter.NotFoundError,
            True,
            True,
        )
        assert "does not know this kind" in error.message

    def test_v010_attribute_error_on_chatbot_describe(self) -> None:
        """v0.10.21's 500 AttributeError on a chatbot's describe means no such chatbot."""
        body = {
            "error": {"errorClass": "AttributeError", "description": "", "status": "500"},
            "api": "smarter.sh/v1",
            "thing": "Chatbot",
            "metadata": {"command": "describe"},
        }

        error = _error(500, body)

        assert (type(error), error._permanent) == (smarter.NotFoundError, True)
        assert error.message.startswith("AttributeError (the server gave no description)")

    def test_v014_prompt_fault_is_permanent(self) -> None:
        """v0.14.19's failing cli/prompt/ view is an InternalServerError that says so."""
        body = _journaled(500, "TypeError", None, thing="Prompt", command="prompt")

        error = _error(500, body)

        assert (type(error), error._permanent) == (smarter.InternalServerError, True)
        assert "known fault of smarter v0.14.19" in error.message


class TestManifestAnswers:
    @pytest.mark.parametrize(
        ("status", "error_class", "description", "command"),
        [
            (503, "SAMBrokerErrorNotReady", BUG + "Smarter API ApiConnection manifest broker: "
             "describe() not ready error.  No connection found", "describe"),
            (503, "SAMBrokerErrorNotReady", "SmarterAuthToken t is not ready", "delete"),
            (503, "str", "Smarter API Chatbot manifest broker: deploy() not ready error.  "
             "Chatbot x not found", None),
            (500, "SAMUserBrokerError", "Manifest must be of type SAMUser to describe, got "
             "<class 'NoneType'>: None", "describe"),
        ],
    )  # fmt: skip
    def test_missing_objects_are_not_found(
        self, status: int, error_class: str, description: str, command: str | None
    ) -> None:
        """Each broker's way of saying "no such object" is a NotFoundError, not retried.

        smarter-sh/smarter@v0.14.19:smarter/smarter/apps/connection/manifest/brokers/
        api_connection.py, lib/drf/manifest/brokers/auth_token.py, apps/account/manifest/
        brokers/user.py; v0.10.21 journals broker errors with errorClass "str".
        """
        about = {"thing": "X"} if command is None else {"thing": "X", "command": command}

        error = _error(status, _journaled(status, error_class, description, **about))

        assert (type(error), error._permanent, error.status_code) == (
            smarter.NotFoundError,
            True,
            status,
        )

    def test_not_ready_of_a_get_stays_a_server_error(self) -> None:
        """A get's 503 "Name parameter is required" is no missing object: left as it is."""
        body = _journaled(
            503, "SAMBrokerErrorNotReady", "Name parameter is required", command="get"
        )

        assert type(_error(503, body)) is smarter.InternalServerError

    def test_refused_manifest_is_a_bad_request(self) -> None:
        """A 500 pydantic ValidationError of an apply is a BadRequestError, not retried."""
        body = _journaled(
            500, "ValidationError", "1 validation error for SAMSecret", command="apply"
        )

        error = _error(500, body)

        assert (type(error), error._permanent) == (smarter.BadRequestError, True)
        assert "manifests.validate() checks it locally" in error.message

    def test_501_is_never_retried(self) -> None:
        """A kind that refuses a verb (501) will refuse it again."""
        body = _journaled(501, "SAMBrokerErrorNotImplemented", "deploy() not implemented")

        error = _error(501, body)

        assert (type(error), error._permanent) == (smarter.InternalServerError, True)


class TestWhereTheRequestWent:
    @pytest.mark.parametrize(
        ("service", "argument"),
        [
            ("platform", "base_url (or SMARTER_BASE_URL)"),
            ("llm_engine", "llm_engine_url (or LLM_ENGINE_BASE_PATH)"),
            ("openai", "openai_base_url (or SMARTER_OPENAI_BASE_URL)"),
        ],
    )
    @pytest.mark.parametrize("body", [b"<html>Not Found</html>", {"detail": "Not Found"}])
    def test_bare_404_names_the_url_and_the_setting(
        self, service: str, argument: str, body: Any
    ) -> None:
        """A 404 that says nothing names the method, the URL and the setting to check."""
        error = _error(404, body, request=_request(service))

        assert error.message.endswith(
            f"(POST http://h.test/api/v1/cli/describe/llmclient/: no such route; check {argument})"
        )
        assert error._unknown_route

    def test_telling_404_is_left_alone(self) -> None:
        """A 404 that names what is missing keeps its message as it is."""
        error = _error(404, {"detail": "Model endpoint nope  was not found."})

        assert (error.message, error._unknown_route) == (
            "Model endpoint nope  was not found.",
            False,
        )

    def test_non_json_error_names_the_url(self) -> None:
        """A 502 page that is not JSON names where it came from."""
        error = _error(502, b"<html>Bad Gateway</html>", headers={"Content-Type": "text/html"})

        assert error.message == (
            "Error code: 502 - <html>Bad Gateway</html> "
            "(POST http://h.test/api/v1/cli/describe/llmclient/)"
        )


class TestCreates:
    def test_a_5xx_of_a_create_says_what_to_check(self) -> None:
        """After a 5xx the server may have acted: the message says where to look."""
        error = _error(500, {"detail": "boom"}, request=_request(creates="files.list()"))

        assert error.message == (
            "boom. The server may have acted on POST cli/describe/llmclient/ before this "
            "failure: check files.list() before you send it again (retry_creates=True "
            "retries such calls)."
        )

    @pytest.mark.parametrize(
        ("status", "headers"),
        [(429, {}), (400, {}), (503, {"x-should-retry": "true"})],
    )
    def test_no_hint_where_the_server_did_not_act(
        self, status: int, headers: dict[str, str]
    ) -> None:
        """A 4xx, or a 5xx that says to retry, leaves nothing behind: no hint."""
        request = _request(creates="files.list()")

        error = _error(status, {"detail": "no"}, request=request, headers=headers)

        assert error.message == "no"


class TestAnyAnswer:
    @given(
        status=st.integers(min_value=400, max_value=599),
        content=st.one_of(
            st.binary(max_size=300),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=3)
                ),
                max_leaves=10,
            ).map(lambda value: json.dumps(value).encode()),
        ),
    )
    def test_never_fails_and_always_says_something(self, status: int, content: bytes) -> None:
        """Whatever the body, the answer is an APIStatusError of its status with a message."""
        error = _error(status, content)

        assert isinstance(error, smarter.APIStatusError)
        assert (error.status_code, bool(error.message)) == (status, True)
