"""Python client for the Smarter platform API and the LLM Engine routes behind it.

``AsyncClient`` for asyncio services, ``Client`` for scripts and notebooks::

    async with smarter.AsyncClient() as client:
        answer = await client.completions.create(model="llama-2-7b", prompt="Hi")

    with smarter.Client() as client:
        print(client.resources.chatbots.get(name="my-chatbot").prompt("Hello, World!"))
"""

from smarter._client import AsyncClient
from smarter._config import NOT_GIVEN, NotGiven, Timeout
from smarter._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    IncompleteStreamError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SmarterError,
    UnprocessableEntityError,
)
from smarter._pagination import AsyncPage, AsyncPaginator
from smarter._response import HTTPResponse
from smarter._streaming import AsyncStream
from smarter._sync import Client, Stream, SyncPage
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
    "AsyncClient",
    "AsyncPage",
    "AsyncPaginator",
    "AsyncSmarter",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "HTTPResponse",
    "IncompleteStreamError",
    "InternalServerError",
    "NOT_GIVEN",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "RateLimitError",
    "Smarter",
    "SmarterError",
    "Stream",
    "SyncPage",
    "Timeout",
    "UnprocessableEntityError",
    "__version__",
]

for _name in __all__:
    _obj = globals()[_name]
    # Reprs and tracebacks name the public path users import from, not a private module.
    if isinstance(_obj, type) and _obj.__module__.startswith("smarter._"):
        _obj.__module__ = "smarter"
del _name, _obj
