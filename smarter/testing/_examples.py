"""The example manifest of each kind, as ``example-manifest/<kind>/`` answers it.

Written to the shape of the brokers' ``example_manifest()`` (``smarter-sh/smarter@v0.14.19:
smarter/smarter/apps/*/manifest/brokers/*.py``) and the repository's example manifests
(``docs/source/example-manifests/*.yaml``), with values of our own: nothing here is copied.
Each example has the ``status`` block the brokers put in theirs; the Prompt example is as
minimal as the broker's (``spec: null``).
"""

from __future__ import annotations

import copy
from typing import Any, Final

from smarter.testing._http import SMARTER_API

__all__ = ["example"]

_ACCOUNT = "3141-5926-5359"


def _metadata(name: str, description: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "version": "1.0.0",
        "tags": ["example"],
        "annotations": [{"smarter.sh/example": "true"}],
        **extra,
    }


_SELECTOR = {"directive": "search_terms", "searchTerms": ["lighthouse", "keeper"]}
_PROMPT = {
    "provider": "openai",
    "systemRole": "You answer questions about the lighthouses of the harbour.",
    "model": "gpt-4o-mini",
    "temperature": 0.4,
    "maxTokens": 512,
}
_SPECS: Final[dict[str, tuple[str, str, dict[str, Any] | None, dict[str, Any]]]] = {
    # kind: (name, description, spec, extra metadata)
    "Account": ("harbour_inc", "An example account.", {
        "config": {"companyName": "Harbour Inc", "phoneNumber": "+1 555 0142",
                   "address1": "7 Quay Street", "address2": None, "city": "Portsmouth",
                   "state": "NH", "postalCode": "03801", "country": "US",
                   "language": "en-US", "timezone": "America/New_York", "currency": "USD"}},
        {"accountNumber": _ACCOUNT}),
    "User": ("keeper", "An example user.", {
        "config": {"email": "keeper@example.com", "isActive": True, "firstName": "Ada",
                   "lastName": "Keeper", "isStaff": False}}, {"username": "keeper"}),
    "SmarterAuthToken": ("keeper_token", "An example API key.", {
        "config": {"username": "keeper", "isActive": True}}, {}),
    "Secret": ("lighthouse_api_key", "An example secret.", {
        "config": {"value": "<your credential here>", "expiration_date": "2027-01-31"}}, {}),
    "Provider": ("harbour_llm", "An example provider.", {
        "provider": {"name": "harbour_llm", "description": "An OpenAI-compatible endpoint.",
                     "base_url": "https://llm.example.com/v1/", "api_key": "lighthouse_api_key"}},
        {}),
    "ApiConnection": ("lighthouse_api", "An example REST connection.", {
        "connection": {"baseUrl": "https://api.example.com/", "apiKey": "lighthouse_api_key",
                       "authMethod": "token", "timeout": 30}}, {}),
    "SqlConnection": ("lighthouse_db", "An example database connection.", {
        "connection": {"dbEngine": "django.db.backends.postgresql", "hostname": "db.example.com",
                       "database": "lighthouses", "port": 5432, "username": "reader",
                       "password": "lighthouse_api_key", "timeout": 30, "useSsl": True,
                       "poolSize": 5, "maxOverflow": 10}}, {}),
    "Plugin": ("lighthouse_facts", "An example static plugin.", {
        "selector": _SELECTOR, "prompt": _PROMPT,
        "data": {"description": "Facts about the harbour's lighthouses.",
                 "staticData": {"lighthouses": [{"name": "North Light", "built": 1871}]}}},
        {"pluginClass": "static"}),
    "ApiPlugin": ("lighthouse_status", "An example API plugin.", {
        "selector": _SELECTOR, "prompt": _PROMPT, "connection": "lighthouse_api",
        "apiData": {"endpoint": "/lighthouses/{name}/status/", "method": "GET",
                    "urlParams": [{"key": "name", "value": "north"}], "headers": [],
                    "body": [], "parameters": [], "testValues": [], "limit": 10}},
        {"pluginClass": "api"}),
    "SqlPlugin": ("lighthouse_query", "An example SQL plugin.", {
        "selector": _SELECTOR, "prompt": _PROMPT, "connection": "lighthouse_db",
        "sqlData": {"sqlQuery": "SELECT name, built FROM lighthouse WHERE built < {year};",
                    "parameters": [], "testValues": [], "limit": 10}},
        {"pluginClass": "sql"}),
    "Vectorstore": ("lighthouse_docs", "An example vector store.", {
        "connection": "lighthouse_api", "backend": "pinecone", "isActive": True,
        "vectorstore": {"textKey": "text", "namespace": "lighthouses"},
        "embeddings": {"provider": "harbour_llm", "providerModel": "text-embedding-3-small",
                       "dimensions": 1536},
        "indexModel": {"metric": "cosine", "dimension": 1536}}, {}),
    "LLMClient": ("harbour_guide", "An example LLM client.", {
        "config": {"provider": "openai", "defaultModel": "gpt-4o-mini",
                   "defaultSystemRole": "You are the harbour's guide.", "deployed": False,
                   "appName": "Harbour Guide", "appWelcomeMessage": "Ahoy!"},
        "plugins": ["lighthouse_facts"], "functions": ["get_current_weather"], "apiKey": None},
        {}),
    "Prompt": ("snake-case-name", "An example Smarter API manifest for a Prompt", None, {}),
}  # fmt: skip
_SAME_AS = {
    "Chatbot": "LLMClient",
    "AuthToken": "SmarterAuthToken",
    "PluginDataApiConnection": "ApiConnection",
}


def example(kind: str) -> dict[str, Any]:
    """The example manifest of *kind* (v0.14 kinds and the legacy ones), status included."""
    name, description, spec, extra = _SPECS.get(_SAME_AS.get(kind, kind), _SPECS["Prompt"])
    if kind == "Prompt" or (kind not in _SPECS and kind not in _SAME_AS):
        description = f"An example Smarter API manifest for a {kind}"
        return {
            "apiVersion": SMARTER_API,
            "kind": kind,
            "metadata": {"name": name, "description": description, "version": "1.0.0"},
            "spec": None,
        }
    return {
        "apiVersion": SMARTER_API,
        "kind": kind,
        "metadata": _metadata(name, description, **extra),
        "spec": copy.deepcopy(spec),
        "status": {
            "accountNumber": _ACCOUNT,
            "username": "reference",
            "created": "2026-06-01T12:00:00+00:00",
            "modified": "2026-06-01T12:00:00+00:00",
        },
    }
