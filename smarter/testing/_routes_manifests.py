"""Smarter platform manifest routes: apply, describe, get, delete, deploy, undeploy, logs, ...

As smarter v0.14.19 serves them (``smarter-sh/smarter@v0.14.19:smarter/smarter/apps/api/v1/
cli/urls.py`` and the views under ``.../cli/views/``), and v0.13.223 and v0.10.21 in the legacy
profiles (``example_manifest/`` and ``schema/`` for ``example-manifest/`` and ``json-schema/``,
``Chatbot`` for ``LLMClient``). State is kept per account (the reference server has one);
LLM clients are the server's chatbots, so that an applied one can be prompted. What each kind
does with each verb is :mod:`._kinds`'s; the envelopes and errors are :mod:`._platform`'s.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from smarter.testing._examples import example
from smarter.testing._http import CONTEXT, SMARTER_API, ApiError, json_response
from smarter.testing._kinds import (
    FUNCTIONS,
    KINDS,
    PLUGIN_KINDS,
    missing,
    refusal,
    schema,
    validation_errors,
    with_defaults,
)
from smarter.testing._platform import (
    broker_error,
    chatbot_kind,
    drf_error,
    envelope,
    manifest_body,
    resolve_kind,
    unknown_kind,
)
from smarter.testing._profiles import Generation
from smarter.testing._routes_cli import ACCOUNT_NUMBER, chatbot_manifest, make_chatbot
from smarter.testing._state import Chatbot, StoredManifest

__all__ = ["routes"]

_PUBLIC = ("example-manifest", "example_manifest", "json-schema", "schema")
_PAST = {"delete": "deleted", "deploy": "deployed", "undeploy": "undeployed"}


def _generation(request: web.Request) -> Generation:
    return request.app[CONTEXT].profile.platform


def _kind(request: web.Request, slug: str) -> str:
    generation = _generation(request)
    kinds = KINDS[generation]
    found = resolve_kind(slug, kinds)
    if found is None:
        raise unknown_kind(generation, kinds)
    return found


def _fail(request: web.Request, found: tuple[int, str, str] | None, kind: str) -> None:
    if found is not None:
        raise broker_error(_generation(request), *found, thing=kind)


def _key(kind: str, name: str) -> tuple[str, str, str]:
    return (ACCOUNT_NUMBER, kind, name)


def _status(stored: StoredManifest) -> dict[str, Any]:
    def iso(stamp: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))

    return {
        "recordLocator": stored.record_locator,
        "created": iso(stored.created_at),
        "modified": iso(stored.modified_at),
        "accountNumber": ACCOUNT_NUMBER,
        "username": "reference",
    }


# -- apply ------------------------------------------------------------------------------------


def _apply_chatbot(request: web.Request, kind: str, manifest: dict[str, Any]) -> None:
    """An LLM client is a chatbot: check what it names, then create or update it."""
    state = request.app[CONTEXT].state
    spec, metadata = manifest["spec"], manifest["metadata"]
    name = metadata["name"]
    token_kind = "AuthToken" if _generation(request) == "v0.13" else "SmarterAuthToken"
    for plugin in spec.get("plugins") or []:
        if not any(_key(k, str(plugin)) in state.manifests for k in PLUGIN_KINDS):
            # llm_client.py apply(): the plugin lookup's NotFound, before anything is saved.
            message = f"Plugin {plugin} not found for account {ACCOUNT_NUMBER}"
            raise broker_error(_generation(request), 404, "SAMBrokerErrorNotFound", message, kind)
    api_key = spec.get("apiKey")
    if api_key and _key(token_kind, str(api_key)) not in state.manifests:
        message = f"API Key {api_key} not found"
        raise broker_error(_generation(request), 404, "SAMBrokerErrorNotFound", message, kind)
    fresh = make_chatbot({"name": name, "config": spec.get("config") or {}})
    with state.lock:
        bot = state.chatbots.get(name) or Chatbot(name=name, description="", version="", config={})
        bot.config = fresh.config
        bot.description = metadata.get("description") or ""
        bot.version = metadata.get("version") or ""
        bot.plugins = list(spec.get("plugins") or [])
        bot.api_key = api_key
        bot.tags = list(metadata.get("tags") or [])
        bot.annotations = list(metadata.get("annotations") or [])
        bot.modified_at = time.time()
        state.chatbots[name] = bot
    unknown = [f for f in spec.get("functions") or [] if f not in FUNCTIONS]
    if unknown:
        # The function check comes after the config was saved, and answers in the broker
        # helper's shape (abstract_broker_class.py json_response_err_notfound): not atomic.
        message = f"Function {unknown[0]} not found. Valid functions are: {', '.join(FUNCTIONS)}"
        raise _HelperNotFoundError(message, kind)
    bot.functions = list(spec.get("functions") or [])


class _HelperNotFoundError(Exception):
    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


async def apply(request: web.Request) -> web.Response:
    """``POST cli/apply/``: create or update the manifest of the body."""
    generation = _generation(request)
    try:
        body = await manifest_body(request, generation)
    except ApiError as error:
        answer = drf_error(error)
        if answer is None:
            raise
        return answer
    if body is None:
        raise ApiError(
            500, "No YAML manifest provided.", error_class="APIV1CLIViewManifestNotFoundError"
        )
    named = body.get("kind") if isinstance(body, dict) else None
    kinds = KINDS[generation]
    kind = resolve_kind(named, kinds) if isinstance(named, str) else None
    if kind is None:
        raise unknown_kind(generation, kinds, named if isinstance(named, str) else None)
    if any(key not in body for key in ("apiVersion", "metadata", "spec")) or (
        body["apiVersion"] != SMARTER_API
    ):
        # The loader's error is swallowed while the broker is made (cli/views/base.py broker).
        message = (
            "Smarter api v1 command-line interface error: "
            f"No broker found for manifest kind '{kind}'."
        )
        raise ApiError(500, message, error_class="APIV1CLIViewError", thing=kind)
    _fail(request, refusal(kind, "apply"), kind)
    problem = validation_errors(kind, body)
    if problem is not None:
        raise ApiError(500, problem, error_class="ValidationError", thing=kind)
    name = body["metadata"]["name"]
    try:
        if kind == chatbot_kind(generation):
            _apply_chatbot(request, kind, body)
        else:
            state = request.app[CONTEXT].state
            with state.lock:
                stored = state.manifests.get(_key(kind, name))
                manifest = with_defaults(kind, body)
                if stored is None:
                    state.manifests[_key(kind, name)] = StoredManifest(manifest)
                else:
                    stored.manifest, stored.modified_at = manifest, time.time()
    except _HelperNotFoundError as helper:
        found = {"errorClass": "SAMBrokerErrorNotFound", "stacktrace": None,
                 "description": helper.message, "status": "", "args": None, "cause": None,
                 "context": None}  # fmt: skip
        return json_response(
            {"error": found, "message": helper.message, "api": SMARTER_API,
             "metadata": {"command": "apply", "thing": kind}},
            status=404,
        )  # fmt: skip
    # v0.14: `data` is the broker's record of the request (opaque); v0.10: no data.
    data = None if generation == "v0.10" else {
        "kind": kind, "name": name, "manifest": body, "orm_model_class": kind,
        "url": str(request.url), "account": ACCOUNT_NUMBER, "ready": True,
    }  # fmt: skip
    return envelope(request, data, f"{kind} {name} applied successfully", "apply", kind)


# -- the verbs of one kind and name -----------------------------------------------------------


def _describe(request: web.Request, kind: str, name: str) -> dict[str, Any]:
    state = request.app[CONTEXT].state
    generation = _generation(request)
    if kind == "Provider":
        # provider.py describe() reads the name from kwargs, which the view never fills.
        _fail(
            request,
            (404, "SAMBrokerErrorNotFound", "Failed to describe Provider None. Not found"),
            kind,
        )
    if kind == chatbot_kind(generation):
        bot = state.chatbots.get(name)
        if bot is None and generation == "v0.10":
            # chatbot.py describe() formats its NotReady from a manifest that is None.
            raise ApiError(500, "", error_class="AttributeError", thing=kind)
        if bot is None:
            _fail(request, missing(kind, "describe", name, ACCOUNT_NUMBER), kind)
        assert bot is not None
        return chatbot_manifest(request, bot, kind)
    stored = state.manifests.get(_key(kind, name))
    if stored is None:
        _fail(request, missing(kind, "describe", name, ACCOUNT_NUMBER), kind)
    assert stored is not None
    return {**stored.manifest, "status": _status(stored)}


def _exists(request: web.Request, kind: str, name: str) -> bool:
    state = request.app[CONTEXT].state
    if kind == chatbot_kind(_generation(request)):
        return name in state.chatbots
    return _key(kind, name) in state.manifests


def _rows(request: web.Request, kind: str) -> tuple[list[str], list[dict[str, Any]]]:
    state = request.app[CONTEXT].state
    if kind == chatbot_kind(_generation(request)):
        titles = ["name", "url", "dns_verification_status", "deployed", "created_at", "updated_at"]
        rows = [
            {"name": bot.name, "url": f"https://{bot.name}.{ACCOUNT_NUMBER}.api.smarter.sh/",
             "dnsVerificationStatus": "Verified", "deployed": bool(bot.config.get("deployed")),
             "createdAt": _iso(bot.created_at), "updatedAt": _iso(bot.modified_at)}
            for bot in state.chatbots.values()
        ]  # fmt: skip
        return titles, rows
    stored = [
        item for (account, k, _), item in state.manifests.items()
        if account == ACCOUNT_NUMBER and (k == kind or (kind in PLUGIN_KINDS and k in PLUGIN_KINDS))
    ]  # fmt: skip
    if kind in ("Secret", "Provider", "Vectorstore"):  # whole manifests (cli/tests/test_secret.py)
        return ["name"], [{**s.manifest, "status": _status(s)} for s in stored]
    titles = ["name", "plugin_class", "version", "created_at", "updated_at"]
    rows = [
        {"name": s.manifest["metadata"]["name"],
         "pluginClass": s.manifest["metadata"].get("pluginClass"),
         "version": s.manifest["metadata"].get("version"),
         "createdAt": _iso(s.created_at), "updatedAt": _iso(s.modified_at)}
        for s in stored
    ]  # fmt: skip
    return titles, rows


def _iso(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(stamp))


def _get(request: web.Request, kind: str, name: str | None) -> dict[str, Any]:
    generation = _generation(request)
    if kind in ("SqlConnection", "Account") and not name:
        _fail(request, (503, "SAMBrokerErrorNotReady", "Name parameter is required"), kind)
    titles, rows = _rows(request, kind)
    if name and (generation == "v0.10" or kind == "SqlConnection"):
        # v0.10 passes the query on to the broker; v0.14 only SqlConnection reads it.
        rows = [r for r in rows if (r.get("name") or r.get("metadata", {}).get("name")) == name]
    if generation == "v0.14":
        titles_out = [{"name": t, "type": "CharField"} for t in titles]
    else:  # camel-cased values too before v0.14 (abstract_broker_class.py get_model_titles)
        titles_out = [{"name": _camel(t), "type": "CharField"} for t in titles]
    return {
        "apiVersion": SMARTER_API,
        "kind": kind,
        "name": None,
        "metadata": {"count": len(rows)},
        "kwargs": {"kwargs": {}},
        "data": {"titles": titles_out, "items": rows},
    }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _set_deployed(request: web.Request, kind: str, name: str, deployed: bool) -> Any:
    state = request.app[CONTEXT].state
    with state.lock:
        if kind == chatbot_kind(_generation(request)):
            state.chatbots[name].config["deployed"] = deployed
            return None
        stored = state.manifests[_key(kind, name)]
        stored.deployed = deployed
        config = (stored.manifest.get("spec") or {}).get("config")
        if isinstance(config, dict) and "isActive" in config:
            config["isActive"] = deployed
        # auth_token.py deploy()/undeploy() answer with the broker's record; others with none.
        return {"kind": kind, "name": name, "is_active": deployed} if "Token" in kind else None


async def verb(request: web.Request) -> web.Response:
    """``POST cli/<verb>/<kind>/?name=`` for describe (also GET), get, delete, deploy, ..."""
    command = request.match_info["verb"]
    kind = _kind(request, request.match_info["kind"])
    name = request.query.get("name")
    _fail(request, refusal(kind, command), kind)
    if command == "get":
        return envelope(
            request, _get(request, kind, name), f"{kind}s got successfully", "get", kind
        )
    if not name and (command != "logs" or kind in ("Prompt",)):
        message = f"{kind} name property is not set."
        _fail(request, (503, "SAMBrokerErrorNotReady", message), kind)
    assert name is not None or command == "logs"
    if command == "describe":
        data = _describe(request, kind, str(name))
        said = "apply" if kind in ("ApiPlugin", "SqlPlugin") else "describe"  # their quirk
        message = f"{kind} {name} {'applied' if said == 'apply' else 'described'} successfully"
        return envelope(request, data, message, said, kind)
    if name and not _exists(request, kind, name):
        _fail(request, missing(kind, command, name, ACCOUNT_NUMBER), kind)
    if command == "logs":
        return envelope(request, None, f"{kind} {name} successfully retrieved logs", "logs", kind)
    if command == "delete":
        if kind == "User" and not request.query.get("username"):
            _fail(
                request, (500, "SAMUserBrokerError", "username is required to delete a User"), kind
            )
        state = request.app[CONTEXT].state
        with state.lock:
            if kind == chatbot_kind(_generation(request)):
                del state.chatbots[str(name)]
            else:
                del state.manifests[_key(kind, str(name))]
        return envelope(request, None, f"{kind} {name} deleted successfully", "delete", kind)
    data = _set_deployed(request, kind, str(name), command == "deploy")
    # llm_client.py undeploy() reports itself as deploy (it passes self.deploy.__name__).
    said = "deploy" if kind in ("LLMClient", "Chatbot") else command
    return envelope(request, data, f"{kind} {name} {_PAST[said]} successfully", said, kind)


# -- public routes ------------------------------------------------------------------------------


async def example_manifest(request: web.Request) -> web.Response:
    """``POST cli/example-manifest/<kind>/`` (public); GET is 405 but on v0.10."""
    generation = _generation(request)
    if request.method == "GET" and generation != "v0.10":
        return web.Response(status=405, headers={"Allow": "POST"})  # switch allow_api_get off
    kind = _kind(request, request.match_info["kind"])
    if kind in ("ApiConnection", "SqlConnection"):  # their example_manifest() says "get"
        return envelope(request, example(kind), f"{kind}s got successfully", "get", kind)
    message = f"{kind} example manifest successfully generated"
    return envelope(request, example(kind), message, "example_manifest", kind)


async def json_schema(request: web.Request) -> web.Response:
    """``GET|POST cli/json-schema/<kind>/`` (public): pydantic's schema of the kind."""
    generation = _generation(request)
    kind = _kind(request, request.match_info["kind"])
    # The schema view reports itself as example_manifest (abstract_broker_class.py schema()).
    command = "example_manifest" if generation == "v0.14" else "schema"
    message = f"{kind} example manifest successfully generated"
    return envelope(request, schema(kind), message, command, kind)


def routes(base: str, *, generation: Generation) -> list[web.RouteDef]:
    """The manifest routes under ``base`` (``"/api/v1/"``) for one generation of the API."""
    cli = base + "cli/"
    verbs = "{verb:describe|get|delete|deploy|undeploy|logs}"
    example_route = "example-manifest" if generation == "v0.14" else "example_manifest"
    schema_route = "json-schema" if generation == "v0.14" else "schema"
    return [
        web.post(cli + "apply/", apply),
        web.post(cli + verbs + "/{kind}/", verb),
        web.get(cli + "{verb:describe}/{kind}/", verb),
        web.post(cli + example_route + "/{kind}/", example_manifest),
        web.get(cli + example_route + "/{kind}/", example_manifest),
        web.post(cli + schema_route + "/{kind}/", json_schema),
        web.get(cli + schema_route + "/{kind}/", json_schema),
    ]


def is_public(path: str) -> bool:
    """Whether a platform path (relative to ``/api/v1/``) needs no key."""
    parts = path.split("/")
    return len(parts) > 2 and parts[0] == "cli" and parts[1] in _PUBLIC
