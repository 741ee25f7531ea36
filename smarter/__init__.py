"""Python client for the Smarter platform API and the LLM Engine routes behind it.

``AsyncClient`` for asyncio services, ``Client`` for scripts and notebooks::

    async with smarter.AsyncClient() as client:
        answer = await client.completions.create(model="llama-2-7b", prompt="Hi")

    with smarter.Client() as client:
        print(client.resources.chatbots.get(name="my-chatbot").prompt("Hello, World!"))
"""

from smarter._blocking import Run, Stream, SyncPage
from smarter._client import AsyncClient
from smarter._config import NOT_GIVEN, Limits, NotGiven, Timeout
from smarter._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BlockingClientWarning,
    ConflictError,
    IncompleteStreamError,
    InternalServerError,
    ManifestApplyError,
    ManifestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SmarterError,
    UnprocessableEntityError,
    WaitError,
    WaitTimeoutError,
)
from smarter._lifetime import ClientState
from smarter._pagination import AsyncPage, AsyncPaginator
from smarter._raw import RawResponse
from smarter._request import Request, RequestOptions
from smarter._response import HTTPResponse
from smarter._runner import AsyncRun, Outcome, RunStats
from smarter._streaming import AsyncStream, StreamState
from smarter._sync import Client
from smarter._version import __version__

#: The names of the original README: ``from smarter import Smarter``.
Smarter = Client
AsyncSmarter = AsyncClient

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncChatbot",
    "AsyncClient",
    "AsyncPage",
    "AsyncPaginator",
    "AsyncRun",
    "AsyncSmarter",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "BlockingClientWarning",
    "Chatbot",
    "Client",
    "ClientState",
    "ConflictError",
    "HTTPResponse",
    "IncompleteStreamError",
    "InternalServerError",
    "Limits",
    "ManifestApplyError",
    "ManifestError",
    "NOT_GIVEN",
    "NotFoundError",
    "NotGiven",
    "Outcome",
    "PermissionDeniedError",
    "RateLimitError",
    "RawResponse",
    "Request",
    "RequestOptions",
    "Run",
    "RunStats",
    "Smarter",
    "SmarterError",
    "Stream",
    "StreamState",
    "SyncPage",
    "Timeout",
    "UnprocessableEntityError",
    "WaitError",
    "WaitTimeoutError",
    "__version__",
]

# Imported on first use: they bring the resources (and, for Chatbot, the blocking twins).
_LAZY = {"AsyncChatbot": "smarter.resources.chatbots", "Chatbot": "smarter._twins"}


def _publish(obj: object) -> None:
    # Reprs and tracebacks name the public path users import from, not a private module.
    if isinstance(obj, type) and obj.__module__.startswith(("smarter._", "smarter.resources")):
        obj.__module__ = "smarter"


def __getattr__(name: str) -> object:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module 'smarter' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    _publish(value)
    globals()[name] = value
    return value


for _name in __all__:
    if _name not in _LAZY:
        _publish(globals()[_name])
del _name
