"""``Settings``: a client's options, checked once, as strict values; and its three services.

Loose input, strict value: the constructor arguments of :class:`~smarter.AsyncClient` (and
of :class:`~smarter.Client`, which passes them on) become one immutable :class:`Settings`;
``with_options()`` makes a new one from the old and the changes. The environment is read
here and nowhere else.

One client talks to three services (PROTOCOL.md, "Services and base URLs"), each a
:class:`Target`: a base URL, the ``Authorization`` header of its key, and the secrets an error
message must never show.

============  ============================================  ==================================
service       base URL                                      key and scheme
============  ============================================  ==================================
platform      ``base_url``, ``SMARTER_BASE_URL``, else      ``api_key``, ``SMARTER_API_KEY``;
              ``https://platform.smarter.sh/api/v1/``       ``Token`` (``auth_scheme``)
llm_engine    ``llm_engine_url``, ``LLM_ENGINE_BASE_PATH``  ``llm_engine_api_key``,
              (the server's root; no default)               ``SCALE_API_KEY``, else the
                                                            platform key; HTTP Basic
openai        ``openai_base_url``,                          ``openai_api_key``, else (on the
              ``SMARTER_OPENAI_BASE_URL``, else the LLM     LLM Engine's ``v2/``) its key,
              Engine's ``v2/``                              else the platform key; ``Bearer``
============  ============================================  ==================================

A service that is not configured, or has no key, is an error when it is first called (naming
the argument and the variable), not when the client is made: a client used only for LLM
Engine needs no platform key.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from typing import Any, Final

import yarl

from smarter._config import (
    DEFAULT_BASE_URL,
    DEFAULT_LIMITS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AuthScheme,
    Limits,
    NotGiven,
    Timeout,
    TimeoutTypes,
    check_header_value,
    check_max_retries,
    to_timeout,
)
from smarter._exceptions import SmarterError
from smarter._request import SERVICE_NAMES, Service

__all__ = ["AUTH_SCHEMES", "SERVICE_NAMES", "Settings", "Target", "normalise_base_url"]

AUTH_SCHEMES: Final = ("token", "bearer", "basic")


def normalise_base_url(value: object, name: str = "base_url") -> yarl.URL:
    """An absolute http(s) URL without query, fragment or credentials, ending in ``/``."""
    if not isinstance(value, str | yarl.URL):
        raise TypeError(f"{name} must be a str or yarl.URL, not {type(value).__name__}")
    try:
        url = yarl.URL(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} is not a valid URL ({exc})") from None
    if url.user is not None or url.password is not None:
        # Never echoed: the URL holds a secret.
        raise ValueError(
            f"{name} must not hold a user name or password: pass the key as an api_key "
            "argument instead"
        )
    shown = str(value)
    if not url.absolute or url.scheme not in ("http", "https") or not url.raw_host:
        raise ValueError(f"{name} must be an absolute http(s) URL, not {shown!r}")
    if url.query_string or url.fragment:
        raise ValueError(f"{name} must not have a query or fragment: {shown!r}")
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


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


class Target:
    """Where the calls of one service go and how they authenticate."""

    __slots__ = ("authorization", "base", "key_from", "secrets", "service")

    def __init__(
        self,
        service: Service,
        base: str,
        authorization: str,
        secrets: tuple[str, ...],
        key_from: str = "",
    ):
        self.service: Service = service
        self.base = base
        self.authorization = authorization
        self.secrets = secrets
        # Where the key came from ("in SCALE_API_KEY", "given as api_key="), for an
        # authentication error to say which key was refused.
        self.key_from = key_from


class Settings:
    """The options of one client, checked and normalised (immutable by convention).

    .. versionadded:: 0.3.0
    """

    __slots__ = (
        "_api_key",
        "_from",
        "_llm_engine_api_key",
        "_openai_api_key",
        "auth_scheme",
        "base_url",
        "default_headers",
        "default_query",
        "limits",
        "llm_engine_url",
        "max_retries",
        "openai_base_url",
        "retry_creates",
        "timeout",
    )

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | yarl.URL | None = None,
        auth_scheme: AuthScheme = "token",
        llm_engine_url: str | yarl.URL | None = None,
        llm_engine_api_key: str | None = None,
        openai_base_url: str | yarl.URL | None = None,
        openai_api_key: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_creates: bool = False,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        limits: Limits | None = None,
    ) -> None:
        if auth_scheme not in AUTH_SCHEMES:
            raise ValueError(f"auth_scheme must be one of {AUTH_SCHEMES}, not {auth_scheme!r}")
        if not isinstance(retry_creates, bool):
            raise TypeError(f"retry_creates must be a bool, not {type(retry_creates).__name__}")
        self._api_key = _key(api_key, "api_key", "SMARTER_API_KEY")
        self._llm_engine_api_key = _key(llm_engine_api_key, "llm_engine_api_key", "SCALE_API_KEY")
        self._openai_api_key = _key(openai_api_key, "openai_api_key", None)
        # Where each key came from: its argument, or its environment variable.
        self._from = {
            "api_key": _source(api_key, "api_key", "SMARTER_API_KEY"),
            "llm_engine_api_key": _source(
                llm_engine_api_key, "llm_engine_api_key", "SCALE_API_KEY"
            ),
            "openai_api_key": "given as openai_api_key=",
        }
        self.base_url = normalise_base_url(
            base_url if base_url is not None else _env("SMARTER_BASE_URL") or DEFAULT_BASE_URL
        )
        engine = llm_engine_url if llm_engine_url is not None else _env("LLM_ENGINE_BASE_PATH")
        self.llm_engine_url = (
            None if engine is None else normalise_base_url(engine, "llm_engine_url")
        )
        openai = openai_base_url if openai_base_url is not None else _env("SMARTER_OPENAI_BASE_URL")
        self.openai_base_url = (
            None if openai is None else normalise_base_url(openai, "openai_base_url")
        )
        self.auth_scheme: AuthScheme = auth_scheme
        self.timeout: Timeout = to_timeout(timeout)
        self.max_retries = check_max_retries(max_retries)
        self.retry_creates = retry_creates
        if default_headers is not None and not isinstance(default_headers, Mapping):
            raise TypeError("default_headers must be a mapping of header names to values")
        if default_query is not None and not isinstance(default_query, Mapping):
            raise TypeError("default_query must be a mapping of names to values")
        self.default_headers: Mapping[str, str] = {
            name: check_header_value(name, value) for name, value in (default_headers or {}).items()
        }
        self.default_query: Mapping[str, object] = dict(default_query or {})
        if limits is not None and not isinstance(limits, Limits):
            raise TypeError(f"limits must be a smarter.Limits, not {type(limits).__name__}")
        self.limits: Limits = DEFAULT_LIMITS if limits is None else limits

    @property
    def api_key(self) -> str | None:
        """The platform's API key (never shown in a repr, a log line or an error message)."""
        return self._api_key

    def replace(self, **changes: Any) -> Settings:
        """New settings: *changes* over this one's (headers and query merged over).

        A change of None (``NOT_GIVEN`` for ``timeout`` and ``max_retries``, where None is a
        value) keeps this one's.
        """
        arguments = self._arguments()
        for name, value in changes.items():
            if name in ("timeout", "max_retries"):
                if not isinstance(value, NotGiven):
                    arguments[name] = value
            elif name == "default_headers":
                arguments[name] = {**self.default_headers, **(value or {})}
            elif name == "default_query":
                arguments[name] = {**self.default_query, **(value or {})}
            elif value is not None:
                arguments[name] = value
        settings = Settings(**arguments)
        # A key passed on unchanged keeps the origin it had (an environment variable).
        settings._from = {
            name: self._from[name] if changes.get(name) is None else origin
            for name, origin in settings._from.items()
        }
        return settings

    def _arguments(self) -> dict[str, Any]:
        return {
            "api_key": self._api_key,
            "base_url": self.base_url,
            "auth_scheme": self.auth_scheme,
            "llm_engine_url": self.llm_engine_url,
            "llm_engine_api_key": self._llm_engine_api_key,
            "openai_base_url": self.openai_base_url,
            "openai_api_key": self._openai_api_key,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "retry_creates": self.retry_creates,
            "default_headers": self.default_headers,
            "default_query": self.default_query,
            "limits": self.limits,
        }

    def target(self, service: Service) -> Target:
        """Where calls of *service* go and how they authenticate.

        Raises:
            SmarterError: the service is not configured, or no key is given for it.
        """
        if service == "platform":
            key = self._api_key or _missing_key(service, "api_key", "SMARTER_API_KEY")
            return Target(
                service,
                str(self.base_url),
                _authorization(self.auth_scheme, key),
                _secrets(key),
                self._from["api_key"],
            )
        engine = self.llm_engine_url
        if service == "llm_engine":
            if engine is None:
                raise SmarterError(
                    "The LLM Engine is not configured: pass llm_engine_url=... (the server's "
                    "root, as the llmengine client's LLM_ENGINE_BASE_PATH) to the client, or set "
                    "LLM_ENGINE_BASE_PATH. The platform does not serve its routes, and the hosted "
                    "LLM Engine closed on 2024-10-31."
                )
            key = (
                self._llm_engine_api_key
                or self._api_key
                or _missing_key(service, "llm_engine_api_key", "SCALE_API_KEY")
            )
            return Target(
                service,
                str(engine),
                _authorization("basic", key),
                _secrets(key),
                self._key_from(key, "llm_engine_api_key"),
            )
        base = self.openai_base_url
        if base is None:
            if engine is None:
                raise SmarterError(
                    "No OpenAI-compatible server is configured: pass openai_base_url=... to "
                    "the client or set SMARTER_OPENAI_BASE_URL (or configure an LLM Engine with "
                    "llm_engine_url=..., whose v2/ routes serve chat completions)."
                )
            base = engine / "v2/"
        # On the LLM Engine's v2/ routes the LLM Engine's key is the one that opens them.
        fallback = (
            (self._llm_engine_api_key or self._api_key)
            if self.openai_base_url is None
            else self._api_key
        )
        key = (
            self._openai_api_key
            or fallback
            or _missing_key(service, "openai_api_key", "SMARTER_API_KEY")
        )
        return Target(
            service,
            str(base),
            _authorization("bearer", key),
            _secrets(key),
            self._key_from(key, "openai_api_key"),
        )

    def _key_from(self, key: str, own: str) -> str:
        """Where *key*, the key a service uses, came from (its own setting or another's)."""
        for name, value in (
            (own, getattr(self, f"_{own}")),
            ("llm_engine_api_key", self._llm_engine_api_key),
            ("api_key", self._api_key),
        ):
            if value == key:
                return self._from[name]
        return ""


def _key(value: object, name: str, variable: str | None) -> str | None:
    if value is None and variable is not None:
        value = _env(variable)
    return None if value is None else _check_key(value, name)


def _source(value: object, name: str, variable: str) -> str:
    """Where a key setting comes from: its argument, else its environment variable."""
    return f"given as {name}=" if value is not None else f"in {variable}"


def _missing_key(service: Service, argument: str, variable: str) -> str:
    raise SmarterError(
        f"No API key for {SERVICE_NAMES[service]}: pass {argument}=... to the client or set "
        f"the {variable} environment variable."
    )
