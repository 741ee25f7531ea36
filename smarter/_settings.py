"""``Settings``: a client's options, checked once, as strict values.

Loose input, strict value: the constructor arguments of :class:`~smarter.AsyncClient` (and
of :class:`~smarter.Client`, which passes them on) become one immutable :class:`Settings`;
``with_options()`` makes a new one from the old and the changes. The environment is read
here and nowhere else. Each service a call goes to is a :class:`Target`: its base URL, the
``Authorization`` header of its key, and the secrets an error message must never show.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from typing import Any, Final

import yarl

from smarter._config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    AuthScheme,
    NotGiven,
    Timeout,
    TimeoutTypes,
    check_header_value,
    check_max_retries,
    to_timeout,
)
from smarter._exceptions import SmarterError
from smarter._request import Service

__all__ = ["AUTH_SCHEMES", "Settings", "Target", "normalise_base_url"]

AUTH_SCHEMES: Final = ("token", "bearer", "basic")


def normalise_base_url(value: object, name: str = "base_url") -> yarl.URL:
    """An absolute http(s) URL without query or fragment, ending in ``/``."""
    if not isinstance(value, str | yarl.URL):
        raise TypeError(f"{name} must be a str or yarl.URL, not {type(value).__name__}")
    try:
        url = yarl.URL(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} is not a valid URL: {str(value)!r} ({exc})") from None
    if not url.absolute or url.scheme not in ("http", "https") or not url.raw_host:
        raise ValueError(f"{name} must be an absolute http(s) URL, not {str(value)!r}")
    if url.query_string or url.fragment:
        raise ValueError(f"{name} must not have a query or fragment: {str(value)!r}")
    path = url.raw_path if url.raw_path.endswith("/") else url.raw_path + "/"
    # with_path() also turns "https://h" into "https://h/", whose str() ends in "/" too.
    return url.with_path(path, encoded=True)


def _check_key(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    try:
        check_header_value("Authorization", value)
    except ValueError:
        # The key is not echoed: it is a secret.
        raise ValueError(f"{name} contains a control character (CR, LF, NUL, ...)") from None
    return value


def _authorization(scheme: str, api_key: str) -> str:
    if scheme == "token":
        return f"Token {api_key}"
    if scheme == "bearer":
        return f"Bearer {api_key}"
    return "Basic " + base64.b64encode(f"{api_key}:".encode()).decode("ascii")


def _secrets(api_key: str) -> tuple[str, ...]:
    credential = base64.b64encode(f"{api_key}:".encode()).decode("ascii")
    # Longest first, so that a secret containing another is replaced whole.
    return tuple(
        sorted({api_key, credential, credential.rstrip("=")} - {""}, key=len, reverse=True)
    )


class Target:
    """Where the calls of one service go: a base URL and the key to show it."""

    __slots__ = ("authorization", "base", "secrets", "service")

    def __init__(self, service: Service, base: str, authorization: str, secrets: tuple[str, ...]):
        self.service: Service = service
        self.base = base
        self.authorization = authorization
        self.secrets = secrets


class Settings:
    """The options of one client, checked and normalised (immutable by convention).

    .. versionadded:: 0.3.0
    """

    __slots__ = (
        "_api_key",
        "auth_scheme",
        "base_url",
        "default_headers",
        "default_query",
        "max_retries",
        "timeout",
    )

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | yarl.URL | None = None,
        auth_scheme: AuthScheme = "token",
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
    ) -> None:
        if auth_scheme not in AUTH_SCHEMES:
            raise ValueError(f"auth_scheme must be one of {AUTH_SCHEMES}, not {auth_scheme!r}")
        if api_key is None:
            api_key = os.environ.get("SMARTER_API_KEY") or None
        if api_key is None:
            raise SmarterError(
                "No API key: pass api_key=... to the client or set the SMARTER_API_KEY "
                "environment variable."
            )
        self._api_key = _check_key(api_key, "api_key")
        if base_url is None:
            base_url = os.environ.get("SMARTER_BASE_URL") or DEFAULT_BASE_URL
        self.base_url = normalise_base_url(base_url)
        self.auth_scheme: AuthScheme = auth_scheme
        self.timeout: Timeout = to_timeout(timeout)
        self.max_retries = check_max_retries(max_retries)
        if default_headers is not None and not isinstance(default_headers, Mapping):
            raise TypeError("default_headers must be a mapping of header names to values")
        if default_query is not None and not isinstance(default_query, Mapping):
            raise TypeError("default_query must be a mapping of names to values")
        self.default_headers: Mapping[str, str] = {
            name: check_header_value(name, value) for name, value in (default_headers or {}).items()
        }
        self.default_query: Mapping[str, object] = dict(default_query or {})

    @property
    def api_key(self) -> str:
        """The API key (never shown in a repr, a log line or an error message)."""
        return self._api_key

    def replace(
        self,
        *,
        api_key: str | None = None,
        base_url: str | yarl.URL | None = None,
        auth_scheme: AuthScheme | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
    ) -> Settings:
        """New settings: these changes over this one's (headers and query merged over)."""
        arguments = self._arguments()
        for name, value in (
            ("api_key", api_key),
            ("base_url", base_url),
            ("auth_scheme", auth_scheme),
        ):
            if value is not None:
                arguments[name] = value
        # None is a value of these two: no timeout at all; and an error for max_retries.
        if not isinstance(timeout, NotGiven):
            arguments["timeout"] = timeout
        if not isinstance(max_retries, NotGiven):
            arguments["max_retries"] = max_retries
        arguments["default_headers"] = {**self.default_headers, **(default_headers or {})}
        arguments["default_query"] = {**self.default_query, **(default_query or {})}
        return Settings(**arguments)

    def _arguments(self) -> dict[str, Any]:
        return {
            "api_key": self._api_key,
            "base_url": self.base_url,
            "auth_scheme": self.auth_scheme,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": self.default_headers,
            "default_query": self.default_query,
        }

    def target(self, service: Service) -> Target:
        """Where calls of *service* go and how they authenticate."""
        return Target(
            service,
            str(self.base_url),
            _authorization(self.auth_scheme, self._api_key),
            _secrets(self._api_key),
        )
