"""The manifest kinds of each platform generation: their fields, refusals and missing objects.

Read from ``smarter-sh/smarter`` at v0.14.19 (``smarter/smarter/apps/api/v1/cli/brokers.py``
for the kinds, ``.../apps/*/manifest/models/*/{metadata,spec}.py`` for the fields, the brokers
under ``.../apps/*/manifest/brokers/`` for what each verb does) and at v0.13.223 and v0.10.21:

- the fields of each kind's spec, which of them are required and what the server fills in
  when they are left out; a manifest that lacks a required field is refused as pydantic
  refuses it (a 500 ``ValidationError``: the platform maps no validation error to 4xx);
- the JSON schema of each kind, shaped like pydantic's ``model_json_schema()``;
- which verbs a kind refuses (``SAMBrokerErrorNotImplemented`` 501, the read-only Prompt's
  ``SAMBrokerReadOnlyError`` 405), and what each kind answers for an object that does not
  exist (each broker has its own: 503 "not ready", 404, or 500).
"""

from __future__ import annotations

from typing import Any, Final

from smarter.testing._profiles import Generation

__all__ = [
    "FUNCTIONS",
    "KINDS",
    "PLUGIN_KINDS",
    "missing",
    "refusal",
    "schema",
    "validation_errors",
    "with_defaults",
]

KINDS: Final[dict[Generation, list[str]]] = {
    "v0.14": [
        "Account", "SmarterAuthToken", "Prompt", "LLMClient", "Plugin", "ApiPlugin",
        "SqlPlugin", "SqlConnection", "ApiConnection", "User", "Secret", "Provider",
        "Vectorstore",
    ],
    "v0.13": [
        "Account", "AuthToken", "Chat", "ChatHistory", "ChatPluginUsage", "ChatToolCall",
        "Chatbot", "Plugin", "ApiPlugin", "SqlPlugin", "SqlConnection", "ApiConnection",
        "User", "Secret", "Provider",
    ],
    "v0.10": [
        "Plugin", "Account", "SmarterAuthToken", "User", "Chat", "ChatHistory",
        "ChatPluginUsage", "ChatToolCall", "Chatbot", "SqlConnection", "PluginDataApiConnection",
    ],
}  # fmt: skip
PLUGIN_KINDS: Final = ("Plugin", "ApiPlugin", "SqlPlugin")
#: The functions an LLM client may name (.../apps/llm_client/models/llm_client_functions.py).
FUNCTIONS: Final = ("get_current_weather", "date_calculator", "calculator")

# A field: (JSON type, required, default filled in by the server). A dict is a sub-model.
_Field = tuple[str, bool, Any]
R: Final = True  # required
O: Final = False  # optional  # noqa: E741


def _f(kind: str, required: bool = O, default: Any = None) -> _Field:
    return (kind, required, default)


_SELECTOR = {"directive": _f("string", R), "searchTerms": _f("array", O, [])}
_PROMPT = {
    "provider": _f("string", O, "openai"),
    "systemRole": _f("string", R),
    "model": _f("string", O, "gpt-4o-mini"),
    "temperature": _f("number", O, 0.5),
    "maxTokens": _f("integer", O, 2048),
}
_CHATBOT_SPEC: dict[str, Any] = {
    "config": _f("object", R),
    "plugins": _f("array", O, []),
    "functions": _f("array", O, []),
    "apiKey": _f("string"),
}
SPECS: Final[dict[str, dict[str, Any]]] = {
    "Account": {
        "config": {
            "companyName": _f("string", R), "phoneNumber": _f("string"),
            "address1": _f("string"), "address2": _f("string"), "city": _f("string"),
            "state": _f("string"), "postalCode": _f("string"),
            "country": _f("string", O, "US"), "language": _f("string", O, "en-US"),
            "timezone": _f("string", O, "America/New_York"),
            "currency": _f("string", O, "USD"),
        }
    },
    "User": {
        "config": {
            "email": _f("string", R), "isActive": _f("boolean", R),
            "firstName": _f("string"), "lastName": _f("string"),
            "isStaff": _f("boolean", O, False),
        }
    },
    "SmarterAuthToken": {
        "config": {"username": _f("string", R), "isActive": _f("boolean", O, False)}
    },
    "Secret": {"config": {"value": _f("string", R), "expiration_date": _f("string")}},
    "Provider": {"provider": {"name": _f("string", R), "description": _f("string"),
                              "base_url": _f("string"), "api_key": _f("string")}},
    "ApiConnection": {
        "connection": {
            "baseUrl": _f("string", R), "apiKey": _f("string"),
            "authMethod": _f("string", O, "none"), "timeout": _f("integer", O, 30),
            "proxyProtocol": _f("string"), "proxyHost": _f("string"),
            "proxyPort": _f("integer"), "proxyUsername": _f("string"),
            "proxyPassword": _f("string"),
        }
    },
    "SqlConnection": {
        "connection": {
            "dbEngine": _f("string", R), "hostname": _f("string", R),
            "database": _f("string", R), "port": _f("integer"), "username": _f("string"),
            "password": _f("string"), "timeout": _f("integer", O, 30),
            "useSsl": _f("boolean", O, False), "poolSize": _f("integer", O, 5),
            "maxOverflow": _f("integer", O, 10), "authenticationMethod": _f("string"),
        }
    },
    "Plugin": {"selector": _SELECTOR, "prompt": _PROMPT,
               "data": {"description": _f("string"), "staticData": _f("object", R)}},
    "ApiPlugin": {
        "selector": _SELECTOR, "prompt": _PROMPT, "connection": _f("string", R),
        "apiData": {
            "endpoint": _f("string", R), "method": _f("string", O, "GET"),
            "urlParams": _f("array"), "headers": _f("array"), "body": _f("array"),
            "parameters": _f("array"), "testValues": _f("array"),
            "limit": _f("integer", O, 100),
        },
    },
    "SqlPlugin": {
        "selector": _SELECTOR, "prompt": _PROMPT, "connection": _f("string", R),
        "sqlData": {
            "sqlQuery": _f("string", R), "parameters": _f("array"),
            "testValues": _f("array"), "limit": _f("integer", O, 100),
        },
    },
    "Vectorstore": {
        "connection": _f("string", R), "backend": _f("string", R),
        "isActive": _f("boolean", O, True), "vectorstore": _f("object", R),
        "embeddings": {"provider": _f("string", R), "providerModel": _f("string"),
                       "dimensions": _f("integer")},
        "indexModel": _f("object", R),
    },
    "LLMClient": _CHATBOT_SPEC,
    "Chatbot": _CHATBOT_SPEC,
    "Prompt": {},
}  # fmt: skip
_ALIASES = {"AuthToken": "SmarterAuthToken", "PluginDataApiConnection": "ApiConnection"}
# description and version: Optional[str] without a default, so required but nullable.
_METADATA = {"name": _f("string", R), "description": ("string|null", R, None),
             "version": ("string|null", R, None), "tags": _f("array", O, []),
             "annotations": _f("array", O, [])}  # fmt: skip


def _spec(kind: str) -> dict[str, Any]:
    return SPECS.get(_ALIASES.get(kind, kind), {})


# -- validation and defaults ------------------------------------------------------------------


def _fits(kind: str, value: Any) -> bool:
    if kind.endswith("|null"):
        return value is None or _fits(kind.removesuffix("|null"), value)
    return {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }[kind]


def _check(fields: dict[str, Any], data: Any, path: str) -> list[str]:
    if not isinstance(data, dict):
        return [f"{path}\n  Input should be a valid dictionary [type=model_type]"]
    errors = []
    for key, field in fields.items():
        where = f"{path}.{key}" if path else key
        if isinstance(field, dict):
            if key in data:
                errors += _check(field, data[key], where)
            elif any(isinstance(f, tuple) and f[1] for f in field.values()):
                errors.append(f"{where}\n  Field required [type=missing]")
            continue
        kind, required, _ = field
        if key not in data:
            if required:
                errors.append(f"{where}\n  Field required [type=missing]")
        elif data[key] is None:
            if required and not kind.endswith("|null"):
                errors.append(f"{where}\n  Input should be a valid {kind} [type={kind}_type]")
        elif not _fits(kind, data[key]):
            errors.append(f"{where}\n  Input should be a valid {kind} [type={kind}_type]")
    return errors


def validation_errors(kind: str, manifest: dict[str, Any]) -> str | None:
    """Pydantic's message for a manifest that does not fit its kind, or None if it fits."""
    errors = _check(_METADATA, manifest.get("metadata"), "metadata")
    errors += _check(_spec(kind), manifest.get("spec"), "spec")
    if not errors:
        return None
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} for SAM{kind}\n" + "\n".join(errors)


def _defaults(fields: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    filled = dict(data)
    for key, field in fields.items():
        if isinstance(field, dict):
            if isinstance(filled.get(key), dict):
                filled[key] = _defaults(field, filled[key])
        elif key not in filled:
            filled[key] = field[2]
    return filled


def with_defaults(kind: str, manifest: dict[str, Any]) -> dict[str, Any]:
    """*manifest*'s metadata and spec with every optional field the server fills in."""
    return {
        "apiVersion": manifest["apiVersion"],
        "kind": kind,
        "metadata": _defaults(_METADATA, manifest["metadata"]),
        "spec": _defaults(_spec(kind), manifest.get("spec") or {}) if _spec(kind) else None,
    }


# -- the JSON schema --------------------------------------------------------------------------


def _model(fields: dict[str, Any], title: str, defs: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required = []
    for key, field in fields.items():
        if isinstance(field, dict):
            name = f"{title}{key[0].upper()}{key[1:]}"
            defs[name] = _model(field, name, defs)
            properties[key] = {"$ref": f"#/$defs/{name}"}
            required.append(key)
            continue
        kind, needed, default = field
        if needed and kind.endswith("|null"):
            both = [{"type": kind.removesuffix("|null")}, {"type": "null"}]
            properties[key] = {"anyOf": both, "title": key}
            required.append(key)
        elif needed:
            properties[key] = {"title": key, "type": kind}
            required.append(key)
        else:
            properties[key] = {"anyOf": [{"type": kind}, {"type": "null"}], "default": default,
                               "title": key}  # fmt: skip
    model: dict[str, Any] = {"properties": properties, "title": title, "type": "object"}
    if required:
        model["required"] = required
    return model


def schema(kind: str) -> dict[str, Any]:
    """The JSON schema of *kind*, shaped like pydantic's ``model_json_schema()``."""
    title = f"SAM{kind}"
    defs: dict[str, Any] = {}
    defs[f"{title}Metadata"] = _model(_METADATA, f"{title}Metadata", defs)
    defs[f"{title}Spec"] = _model(_spec(kind), f"{title}Spec", defs)
    return {
        "$defs": defs,
        "properties": {
            "apiVersion": {"title": "apiVersion", "type": "string"},
            "kind": {"title": "kind", "type": "string"},
            "metadata": {"$ref": f"#/$defs/{title}Metadata"},
            "spec": {"$ref": f"#/$defs/{title}Spec"},
            "status": {"anyOf": [{"type": "object"}, {"type": "null"}], "default": None},
        },
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "title": title,
        "type": "object",
    }


# -- refusals and missing objects -------------------------------------------------------------

_NOT_IMPLEMENTED: Final[dict[str, dict[str, str]]] = {
    "Plugin": {v: f"{v}() not implemented" for v in ("deploy", "undeploy", "logs")},
    "ApiConnection": {"deploy": "Deploy not implemented", "undeploy": "Undeploy not implemented",
                      "logs": "Logs not implemented"},
    "Secret": {v: f"{v} not implemented" for v in ("deploy", "undeploy", "logs")},
    "Provider": {"deploy": "Deploy not implemented", "undeploy": "Undeploy not implemented"},
    "Account": {v: f"{v.title()} not implemented" for v in ("delete", "deploy", "undeploy")},
    "SmarterAuthToken": {"logs": "Logs are not implemented"},
    "Prompt": {"deploy": "Deploy not implemented", "undeploy": "Undeploy not implemented"},
    "Chat": {"deploy": "Deploy not implemented", "undeploy": "Undeploy not implemented"},
}  # fmt: skip
_FAMILY = {"ApiPlugin": "Plugin", "SqlPlugin": "Plugin", "SqlConnection": "ApiConnection",
           "AuthToken": "SmarterAuthToken", "ChatHistory": "Chat", "ChatPluginUsage": "Chat",
           "ChatToolCall": "Chat"}  # fmt: skip
_READ_ONLY = {
    "Prompt": ("apply",),
    "Chat": ("apply",),
    "ChatHistory": ("apply", "delete"),
    "ChatPluginUsage": ("apply", "delete"),
    "ChatToolCall": ("apply", "delete"),
}


def refusal(kind: str, verb: str) -> tuple[int, str, str] | None:
    """``(status, errorClass, message)`` when *kind* refuses *verb*, else None."""
    if kind == "PluginDataApiConnection":  # v0.10.21: BrokerNotImplemented for every verb
        return 501, "SAMBrokerErrorNotImplemented", f"{verb}() not implemented"
    if verb in _READ_ONLY.get(kind, ()):
        return 405, "SAMBrokerReadOnlyError", f"{kind} is a read-only resource"
    message = _NOT_IMPLEMENTED.get(_FAMILY.get(kind, kind), {}).get(verb)
    return None if message is None else (501, "SAMBrokerErrorNotImplemented", message)


def missing(  # noqa: PLR0911, PLR0912 (a case per broker: each answers its own way)
    kind: str, verb: str, name: str, account: str
) -> tuple[int, str, str] | None:
    """``(status, errorClass, message)`` for *verb* of *kind* on a *name* that does not exist.

    None: the verb does not check (an LLM client's ``logs`` answers 200 regardless).
    """
    broker = f"Smarter API {kind} manifest broker: {verb}()"
    family = _FAMILY.get(kind, kind)
    if kind in ("LLMClient", "Chatbot"):
        if verb == "logs":
            return None
        return (
            503,
            "SAMBrokerErrorNotReady",
            f"{broker} not ready error.  {kind} {name} not found: {kind} {name} not found",
        )
    if kind == "Secret":
        if verb == "describe":
            return (
                404,
                "SAMBrokerErrorNotFound",
                f"Failed to describe Secret {name} belonging to reference. Not found",
            )
        return 503, "SAMBrokerErrorNotReady", f"{broker} not ready error.  Secret not ready"
    if family == "Plugin":
        what = "manifest" if kind == "Plugin" else "plugin_meta"
        if verb == "delete":
            what = "plugin"
        return (
            500,
            "SAMPluginBrokerError",
            f"{broker} error.  {kind} {what} not initialized. Cannot {verb}",
        )
    if kind == "SqlConnection" and verb == "describe":
        return (
            503,
            "SAMBrokerErrorNotReady",
            f"{broker} not ready error.  Neither manifest nor connection are set. Cannot describe.",
        )
    if family == "ApiConnection":
        return 503, "SAMBrokerErrorNotReady", f"{broker} not ready error.  No connection found"
    if kind == "User" and verb == "describe":
        return (
            500,
            "SAMUserBrokerError",
            "Manifest must be of type SAMUser to describe, got <class 'NoneType'>: None",
        )
    if kind == "Account" and verb == "describe":
        return 404, "SAMBrokerErrorNotFound", "No account found"
    if kind == "Vectorstore" and verb == "describe":
        return (
            404,
            "SAMBrokerErrorNotFound",
            f"Failed to describe Vectorstore {name}. Not found or not associated with account",
        )
    if family == "SmarterAuthToken":
        return (
            503,
            "SAMBrokerErrorNotReady",
            f"{broker} not ready error.  {kind} {name} is not ready",
        )
    if kind == "Prompt":
        return 503, "SAMBrokerErrorNotReady", f"{broker} not ready error.  Prompt not found"
    if verb == "logs":
        return None
    return 404, "SAMBrokerErrorNotFound", f"{kind} {name} not found for account {account}"
