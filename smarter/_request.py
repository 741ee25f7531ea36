"""``Request``: one call, built once by the pipeline; and the options every call takes.

A :class:`Request` is a plain value: method, URL, headers, body, timeout, request id,
service. The pipeline builds it once per logical call and attempts it (retries and stream
resumes are copies with another ``X-Smarter-Retry-Count``); the transport sends it; every
error of the call carries it as ``.request``. It knows the secrets of its own
``Authorization`` header, so an error made about it is redacted when it is made.
"""

from __future__ import annotations

import collections
import os
import re
import sys
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, TypedDict

from smarter._config import DEFAULT_LIMITS, Limits, NotGiven, Timeout, TimeoutTypes
from smarter._fastpath import dumps_compact

if TYPE_CHECKING:
    import yarl

    from smarter._files import MultipartForm

if sys.version_info >= (3, 11):
    from typing import Unpack
else:  # pragma: no cover - Python 3.10
    from typing_extensions import Unpack

__all__ = [
    "JSON_TYPE",
    "OPTION_NAMES",
    "SERVICE_NAMES",
    "SERVICE_SETTINGS",
    "SSE_TYPE",
    "Body",
    "Request",
    "RequestOptions",
    "Service",
    "Unpack",
    "check_options",
    "check_route",
    "encode_json",
    "new_id",
    "path_segment",
    "query_value",
]

JSON_TYPE: Final = "application/json"
SSE_TYPE: Final = "text/event-stream"

Service: TypeAlias = Literal["platform", "llm_engine", "openai"]
#: How errors and documents name each service.
SERVICE_NAMES: Final[dict[Service, str]] = {
    "platform": "the Smarter platform",
    "llm_engine": "the LLM Engine",
    "openai": "the OpenAI-compatible server",
}
#: The argument and environment variable of each service's base URL.
SERVICE_SETTINGS: Final[dict[Service, tuple[str, str]]] = {
    "platform": ("base_url", "SMARTER_BASE_URL"),
    "llm_engine": ("llm_engine_url", "LLM_ENGINE_BASE_PATH"),
    "openai": ("openai_base_url", "SMARTER_OPENAI_BASE_URL"),
}
Body: TypeAlias = "bytes | MultipartForm | None"


class RequestOptions(TypedDict, total=False):
    """The options every call takes, besides its own arguments.

    .. versionadded:: 0.3.0
    """

    timeout: TimeoutTypes | NotGiven
    """This call's timeout, instead of the client's."""
    extra_headers: Mapping[str, str] | None
    """More headers for this call (they win over the client's)."""
    extra_query: Mapping[str, object] | None
    """More query parameters for this call."""
    extra_body: Mapping[str, object] | None
    """More fields for the JSON body (or form fields of an upload) of this call."""
    retry_creates: bool
    """Retry this call even if it creates something and a failure left unsure whether the
    server acted (see ``retry_creates`` of the client)."""


OPTION_NAMES: Final = frozenset(RequestOptions.__annotations__)


def check_options(options: Mapping[str, object]) -> None:
    """Refuse a keyword that is no call option: a typo must not be dropped silently."""
    for name in options:
        if name not in OPTION_NAMES:
            raise TypeError(
                f"got an unexpected keyword argument {name!r} (the options of every call are "
                f"{', '.join(sorted(OPTION_NAMES))})"
            )


_METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")
_SERVICES: Final = ("platform", "llm_engine", "openai")


def check_route(method: object, path: object, service: object) -> tuple[str, str]:
    """The method and path of ``client.request()``, checked; a ``ValueError`` names what is off.

    The path is relative to the service's base URL (a leading ``/`` is dropped): a full URL
    would send the service's key to another host.
    """
    verb = method.upper() if isinstance(method, str) else method
    if verb not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, not {method!r}")
    if service not in _SERVICES:
        raise ValueError(f"service must be one of {', '.join(_SERVICES)}, not {service!r}")
    if not isinstance(path, str) or "://" in path or path.startswith("//") or not path.strip("/"):
        raise ValueError(f"path must be a route relative to the base URL, not {path!r}")
    return str(verb), path.lstrip("/")


# -- the parts of a request ----------------------------------------------------------------

# Random UUIDs (version 4) are made _BATCH at a time, as text, by slice copies that run in
# C: the hex of os.urandom() goes column by column into rows of "xxxxxxxx-xxxx-4xxx-Vxxx-
# xxxxxxxxxxxx " (benchmarks/instructions.py, files.get: an f-string per id cost 7,500
# instructions, a third of building the request; this costs ~2,000). One system call a batch.
_BATCH: Final = 256
_ROW: Final = 37  # a UUID and a space
_HEX_COLUMNS: Final = [c for c in range(36) if c not in (8, 13, 18, 23)]
# The variant digit (8, 9, a or b: bits 10xx) for each value of a random hex digit.
_VARIANT: Final = bytes.maketrans(b"0123456789abcdef", b"89ab89ab89ab89ab")
_ids: collections.deque[str] = collections.deque()
if hasattr(os, "register_at_fork"):  # pragma: no branch - not on Windows
    # A forked worker draws its own ids: the parent's batch would repeat in every child.
    os.register_at_fork(after_in_child=_ids.clear)


def _draw() -> list[str]:
    """_BATCH new random UUIDs."""
    digits = os.urandom(16 * _BATCH).hex().encode()
    rows = bytearray(b"-" * (_ROW * _BATCH))
    rows[36::_ROW] = b" " * _BATCH
    for digit, column in enumerate(_HEX_COLUMNS):
        rows[column::_ROW] = digits[digit::32]
    rows[14::_ROW] = b"4" * _BATCH  # the version, in place of the 13th digit
    rows[19::_ROW] = digits[16::32].translate(_VARIANT)
    return rows.decode().split()


def new_id() -> str:
    """A random UUID (version 4): the request id of a call, and its idempotency key.

    Taken from a batch (see ``_draw``); ``deque.popleft`` is atomic, so threads never share
    an id.
    """
    try:
        return _ids.popleft()
    except IndexError:
        ids = _draw()
        _ids.extend(ids[1:])
        return ids[0]


def encode_json(
    json_body: Mapping[str, object] | None, extra: Mapping[str, object] | None, path: str
) -> bytes:
    """The JSON bytes of a body, *extra* merged over it; a clear error for what JSON lacks."""
    body = json_body if not extra else {**(json_body or {}), **extra}
    try:
        return dumps_compact(body)
    except ValueError as exc:
        # NaN and infinity are not JSON: a server would refuse the whole body.
        raise ValueError(f"The body of {path} cannot be sent as JSON: {exc}") from None
    except TypeError as exc:
        raise TypeError(f"The body of {path} holds a value JSON cannot carry: {exc}") from None


def query_value(value: object) -> str:
    """A query parameter as text: ``true``/``false`` for a bool, else ``str()``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_PLAIN_SEGMENT: Final = re.compile(r"[A-Za-z0-9_.~-]+")


def path_segment(value: object, name: str) -> str:
    """Percent-encode a caller's id or name so it stays one path segment.

    An id of ``../admin`` or ``a/b`` must reach ``files/..%2Fadmin``, never another route.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, not {value!r}")
    if _PLAIN_SEGMENT.fullmatch(value) and value not in (".", ".."):
        return value  # nothing to quote (benchmarks/async_json.py: quote() is 1 µs)
    quoted = urllib.parse.quote(value, safe="")
    if quoted in (".", ".."):
        quoted = quoted.replace(".", "%2E")
    return quoted


# -- the request --------------------------------------------------------------------------

# A run of this many characters of a secret, in an error message, counts as the secret.
_SECRET_PREFIX: Final = 12
_REDACTED: Final = "<redacted>"


class Request:
    """One logical call: what is sent, to which service, with which limits.

    Attributes:
        method: The HTTP method, upper case.
        url: The full URL, query included.
        path: The path relative to the service's base URL (for logs and messages).
        headers: The headers of the first attempt.
        body: JSON bytes, a multipart form, or None.
        timeout: The timeout of each attempt.
        request_id: ``X-Smarter-RequestId``: the same on every attempt of the call.
        service: ``"platform"``, ``"llm_engine"`` or ``"openai"``.
        stream: Whether the answer is an event stream.
        max_retries: The retries this call may take.
        creates: For a call that creates something and may not be repeated where the server
            may have acted: how to check whether it did (``"client.files.list()"``); else
            None.

    .. versionadded:: 0.3.0
    """

    # A slotted class with a plain, positional __init__: one is built on every call
    # (benchmarks/async_json.py).
    __slots__ = (
        "body",
        "creates",
        "headers",
        "key_from",
        "limits",
        "max_retries",
        "method",
        "path",
        "request_id",
        "secrets",
        "service",
        "stream",
        "timeout",
        "url",
    )

    def __init__(  # noqa: PLR0917 (positional: see __slots__)
        self,
        method: str,
        url: yarl.URL,
        headers: dict[str, str],
        body: Body,
        path: str,
        timeout: Timeout,
        request_id: str,
        service: Service,
        max_retries: int,
        stream: bool = False,
        secrets: tuple[str, ...] = (),
        creates: str | None = None,
        key_from: str = "",
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.method = method
        self.url = url
        self.path = path
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.request_id = request_id
        self.service: Service = service
        self.max_retries = max_retries
        self.stream = stream
        self.secrets = secrets
        self.creates = creates
        self.key_from = key_from
        self.limits = limits

    @property
    def label(self) -> str:
        """``"<METHOD> <path>"``, as the log names the call."""
        return f"{self.method} {self.path}"

    def attempt(self, retry_count: int, last_event_id: str | None = None) -> Request:
        """This request as attempt number *retry_count* + 1 sends it (or resumes it)."""
        if not retry_count and last_event_id is None:
            return self
        headers = {**self.headers, "X-Smarter-Retry-Count": str(retry_count)}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        copy = object.__new__(Request)
        for name in Request.__slots__:
            object.__setattr__(copy, name, getattr(self, name))
        copy.headers = headers
        return copy

    def redact(self, text: str) -> str:
        """*text* with every secret of this request (and any 12-character run of one) hidden.

        Defence in depth: a server or proxy that echoes the request must not carry the key
        (or the Basic credential made of it) into an exception message, body or log line.
        """
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, _REDACTED)
            if len(secret) >= _SECRET_PREFIX and secret[:_SECRET_PREFIX] in text:
                # A quoted value cut short ("sk-abc...") still gives most of the key away.
                text = re.sub(re.escape(secret[:_SECRET_PREFIX]) + r"\S*", _REDACTED, text)
        return text

    def redact_value(self, value: Any) -> Any:
        """A JSON value (an error body) with :meth:`redact` applied to every string in it."""
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.redact_value(k): self.redact_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact_value(item) for item in value]
        return value

    def __repr__(self) -> str:
        # Never the headers: they hold the key.
        return f"<Request {self.method} {self.url}>"
