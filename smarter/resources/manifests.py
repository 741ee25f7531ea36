"""``client.manifests``: the platform's manifest verbs, and plan, validate and directories.

Every verb is ``POST cli/<verb>/<kind>/?name=<name>`` (``apply`` is ``POST cli/apply/`` with
the manifest as its JSON body), answered in the platform's envelope
(``smarter-sh/smarter@v0.14.19:smarter/smarter/apps/api/v1/cli/urls.py``). What the client
adds, and why:

- **Older platforms.** Before v0.14 the LLM client kind is ``Chatbot`` (and on v0.13.223 the
  token kind ``AuthToken``), ``example-manifest/`` is ``example_manifest/`` and
  ``json-schema/`` is ``schema/``. Those platforms answer a kind they lack with a 500 (v0.13)
  or 400 (v0.10) naming it, and a route they lack with a 404: the client then tries the
  other name, and remembers which names answered.
- **Reads and writes.** ``describe``, ``get``, ``logs``, ``example`` and ``schema`` are
  reads, retried as any read (the platform takes POST for all of them). ``apply``,
  ``delete``, ``deploy`` and ``undeploy`` change the account and no route reads
  ``Idempotency-Key``; the platform's apply is not atomic (an LLM client's apply saves its
  config before it checks its functions, ``.../apps/llm_client/manifest/brokers/llm_client.py``),
  and a delete repeated after it acted answers "not found". So they are retried only when
  the server provably did not act (``retry_creates=True`` opts back in).
- **get filters.** The platform ignores ``?name=`` (but for SqlConnection, which needs it)
  and every other filter on v0.14 (``.../cli/views/get.py`` passes no query to the broker):
  ``name`` is still sent, and the rows are filtered here.
- **validate.** No platform has a ``validate/`` route: the kind's JSON schema is fetched
  and checked locally (:mod:`smarter._json_schema`).
- **plan** describes every manifest at once (a few at a time) and diffs (see
  :mod:`smarter._manifest_diff`); a manifest the server does not have is a create. The
  platform's Provider ``describe`` never finds one (it reads the name from the wrong place),
  so a Provider is always planned as a create.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

from smarter._exceptions import APIError, ManifestApplyError, NotFoundError
from smarter._json_schema import check_schema
from smarter._manifest_diff import manifest_changes, matches
from smarter._manifest_files import Document, canonical_kind, load
from smarter._request import OPTION_NAMES
from smarter.resources._base import AsyncAPIResource, check_str, path_segment
from smarter.types.manifests import (
    ApplyResult,
    CommandResult,
    Difference,
    Manifest,
    ManifestList,
    ManifestLogs,
    Plan,
    PlanAction,
    PlannedChange,
    Validation,
    ValidationIssue,
)

if TYPE_CHECKING:
    from smarter._request import RequestOptions, Unpack
    from smarter.types.manifests import Kind

__all__ = ["AsyncManifests"]

T = TypeVar("T")

#: The route names of platforms before v0.14 (``.../cli/urls.py`` at v0.13.223).
_LEGACY_VERBS: Final = {"example-manifest": "example_manifest", "json-schema": "schema"}
#: The other name of a kind on another generation of the platform.
_ALIASES: Final = {
    "LLMClient": "Chatbot",
    "Chatbot": "LLMClient",
    "SmarterAuthToken": "AuthToken",
    "AuthToken": "SmarterAuthToken",
}
#: How many describes (or schema fetches) a plan (or a validation) keeps in flight.
_CONCURRENCY: Final = 8


def _kind(kind: Kind | str) -> str:
    return str(check_str(kind, "kind"))


class AsyncManifests(AsyncAPIResource):
    """``client.manifests``: apply, plan, get, describe, delete, deploy, undeploy, logs, ...

    .. versionadded:: 0.3.0
    """

    _service = "platform"

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        # What the server showed it answers to: legacy route names, and each kind's name.
        self._legacy_routes = False
        self._kind_names: dict[str, str] = {}

    # -- routes and their legacy twins -----------------------------------------------------

    def _candidates(self, verb: str, kind: str) -> list[tuple[str, str]]:
        """The (route, kind) pairs to try in turn, the names that answered before first."""
        verbs = [verb] + ([_LEGACY_VERBS[verb]] if verb in _LEGACY_VERBS else [])
        if self._legacy_routes:
            verbs.reverse()
        canonical = canonical_kind(kind) or kind
        kinds = [kind] + ([_ALIASES[canonical]] if canonical in _ALIASES else [])
        if self._kind_names.get(canonical, kinds[0]) != kinds[0]:
            kinds.reverse()
        return [(route, name) for name in kinds for route in verbs]

    def _learn(self, verb: str, route: str, kind: str, sent: str) -> None:
        self._legacy_routes = route != verb if verb in _LEGACY_VERBS else self._legacy_routes
        self._kind_names[canonical_kind(kind) or kind] = sent

    async def _verb(
        self,
        verb: str,
        kind: Kind | str,
        call: Callable[[str, str], Awaitable[T]],
    ) -> T:
        """``call(route, kind)`` on the first route and kind name the server knows."""
        wanted = _kind(kind)
        candidates = self._candidates(verb, wanted)
        for index, (route, sent) in enumerate(candidates):
            try:
                result = await call(route, sent)
            except NotFoundError as missing:
                if not missing._unknown_route or index == len(candidates) - 1:
                    raise
                continue
            self._learn(verb, route, wanted, sent)
            return result
        raise AssertionError("unreachable: the last candidate raises or returns")

    def _command(
        self,
        verb: str,
        kind: Kind | str,
        cast_to: type[T],
        options: Mapping[str, Any],
        *,
        name: str | None = None,
        envelope: bool = False,
        creates: str | None = None,
    ) -> Awaitable[T]:
        query = {"name": check_str(name, "name")} if name is not None else None

        def call(route: str, sent: str) -> Awaitable[T]:
            path = f"cli/{route}/{path_segment(sent, 'kind')}/"
            return self._call(
                "POST", path, cast_to, options, query=query, envelope=envelope, creates=creates
            )

        return self._verb(verb, kind, call)

    # -- reads -----------------------------------------------------------------------------

    async def describe(
        self, kind: Kind | str, name: str, /, **options: Unpack[RequestOptions]
    ) -> Manifest:
        """The manifest of *kind* named *name*, with the server's ``status``.

        Raises:
            NotFoundError: there is none (whatever status the platform answers that with:
                404, or 503 "not ready", or 500 for plugins and users).
        """
        return await self._command("describe", kind, Manifest, options, name=name, envelope=True)

    async def get(
        self, kind: Kind | str, /, *, name: str | None = None, **filters: Any
    ) -> ManifestList:
        """The rows of *kind*, those named *name* and matching *filters* only.

        The platform returns every row of the kind (``name`` is sent for SqlConnection and
        Account, which need it); the rows are filtered here: a filter ``deployed=True``
        keeps the rows whose ``deployed`` (or ``Deployed``, ``is_deployed``...: keys match by
        their letters) equals ``True``. Keywords that are call options (``timeout``,
        ``extra_query``, ...) are options, not filters.
        """
        options = {key: filters.pop(key) for key in list(filters) if key in OPTION_NAMES}
        body = await self._command("get", kind, dict, options, name=name, envelope=True)
        if name is not None:
            filters = {"name": name, **filters}
        if filters and isinstance(body.get("data"), dict):
            items = body["data"].get("items")
            if isinstance(items, list):
                body["data"] = {**body["data"], "items": [i for i in items if matches(i, filters)]}
        from smarter._converter import structure

        return structure(body, ManifestList)

    async def logs(
        self, kind: Kind | str, name: str, /, **options: Unpack[RequestOptions]
    ) -> ManifestLogs:
        """The logs of *kind* named *name* (plugins, connections and secrets refuse: 501)."""
        return await self._command("logs", kind, ManifestLogs, options, name=name)

    async def example(self, kind: Kind | str, /, **options: Unpack[RequestOptions]) -> Manifest:
        """An example manifest of *kind*, as the platform writes one."""
        return await self._command("example-manifest", kind, Manifest, options, envelope=True)

    async def schema(
        self, kind: Kind | str, /, **options: Unpack[RequestOptions]
    ) -> dict[str, Any]:
        """The JSON schema of *kind*'s manifests (pydantic's, as the platform serves it)."""
        return await self._command("json-schema", kind, dict, options, envelope=True)

    # -- writes ------------------------------------------------------------------------------

    async def delete(
        self, kind: Kind | str, name: str, /, **options: Unpack[RequestOptions]
    ) -> CommandResult:
        """Delete *kind* named *name* (an Account refuses: 501).

        A User also needs ``extra_query={"username": ...}`` (``.../apps/account/manifest/
        brokers/user.py`` ``delete``).
        """
        check = f"manifests.describe({_kind(kind)!r}, {name!r})"
        return await self._command("delete", kind, CommandResult, options, name=name, creates=check)

    async def deploy(
        self, kind: Kind | str, name: str, /, **options: Unpack[RequestOptions]
    ) -> CommandResult:
        """Deploy *kind* named *name* (LLM clients, users, tokens and vector stores)."""
        check = f"manifests.describe({_kind(kind)!r}, {name!r}).status"
        return await self._command("deploy", kind, CommandResult, options, name=name, creates=check)

    async def undeploy(
        self, kind: Kind | str, name: str, /, **options: Unpack[RequestOptions]
    ) -> CommandResult:
        """Undeploy *kind* named *name*."""
        check = f"manifests.describe({_kind(kind)!r}, {name!r}).status"
        return await self._command(
            "undeploy", kind, CommandResult, options, name=name, creates=check
        )

    async def _documents(self, manifest: Any) -> list[Document]:
        if isinstance(manifest, Mapping):
            return load(manifest)
        # Files are read, and YAML parsed, off the event loop.
        return await asyncio.to_thread(load, manifest)

    async def _apply_one(self, document: Document, options: Mapping[str, Any]) -> ApplyResult:
        body = document.manifest
        check = f"manifests.describe({document.kind!r}, {document.name!r})"

        def call(_route: str, sent: str) -> Awaitable[CommandResult]:
            return self._call(
                "POST",
                "cli/apply/",
                CommandResult,
                options,
                json={**body, "kind": sent},
                creates=check,
            )

        result = await self._verb("apply", document.kind, call)
        sent = self._kind_names.get(canonical_kind(document.kind) or document.kind, document.kind)
        return ApplyResult(kind=sent, name=document.name, result=result, source=document.source)

    async def apply(self, manifest: Any, /, **options: Unpack[RequestOptions]) -> list[ApplyResult]:
        """Apply manifests: create what does not exist, update what does.

        Args:
            manifest: A mapping, YAML or JSON text (several YAML documents allowed), a path
                to a ``.yaml``/``.yml``/``.json`` file, or a directory of them, applied in
                dependency order (secrets and connections before plugins, plugins before
                LLM clients: see :mod:`smarter._manifest_files`).
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``retry_creates``.

        Returns:
            One :class:`~smarter.types.ApplyResult` per manifest, in the order applied.

        Raises:
            ManifestError: bad input (the file and line are named); nothing was sent.
            ManifestApplyError: one of several manifests failed; those before it were
                applied (``.applied``), the rest were not sent (``.remaining``).
            APIError: the only manifest failed.
        """
        documents = await self._documents(manifest)
        applied: list[ApplyResult] = []
        for index, document in enumerate(documents):
            try:
                applied.append(await self._apply_one(document, options))
            except APIError as error:  # noqa: PERF203 (a request each: the try costs nothing)
                if len(documents) == 1:
                    raise
                raise _partial(applied, document, error, documents[index + 1 :]) from error
        return applied

    # -- what the client works out ---------------------------------------------------------

    async def plan(self, manifest: Any, /, **options: Unpack[RequestOptions]) -> Plan:
        """What :meth:`apply` would do with *manifest* (the same inputs); nothing changes.

        Each manifest is described, a few at a time; ``metadata`` and ``spec`` are compared
        with what it says (``status``, and keys the manifest leaves out, are not).
        """
        documents = await self._documents(manifest)

        async def one(document: Document) -> PlannedChange:
            desired = _manifest(document.manifest)
            try:
                current = await self.describe(document.kind, document.name, **options)
            except NotFoundError as missing:
                if missing._unknown_route:
                    raise
                return PlannedChange(
                    action=PlanAction.CREATE,
                    kind=document.kind,
                    name=document.name,
                    manifest=desired,
                    source=document.source,
                )
            changes = manifest_changes(document.manifest, current.to_dict())
            return PlannedChange(
                action=PlanAction.UPDATE if changes else PlanAction.UNCHANGED,
                kind=document.kind,
                name=document.name,
                manifest=desired,
                current=current,
                differences=[Difference(**change._asdict()) for change in changes],
                source=document.source,
            )

        return Plan(changes=await _bounded([one(document) for document in documents]))

    async def validate(self, manifest: Any, /, **options: Unpack[RequestOptions]) -> Validation:
        """Check manifests against their kinds' JSON schemas, fetched from the platform.

        The platform has no ``validate/`` route: this fetches each kind's ``json-schema``
        once and checks locally. Bad YAML or a manifest without a kind is still a
        :class:`~smarter.ManifestError`, as for :meth:`apply`.
        """
        documents = await self._documents(manifest)
        kinds = sorted({document.kind for document in documents})
        schemas = dict(
            zip(
                kinds, await _bounded([self.schema(kind, **options) for kind in kinds]), strict=True
            )
        )
        issues = [
            ValidationIssue(
                path=path,
                message=message,
                kind=document.kind,
                name=document.name,
                source=document.source,
            )
            for document in documents
            for path, message in check_schema(document.manifest, schemas[document.kind])
        ]
        return Validation(valid=not issues, errors=issues)


def _manifest(data: Mapping[str, Any]) -> Manifest:
    from smarter._converter import structure

    return structure(dict(data), Manifest)


async def _bounded(calls: list[Awaitable[T]]) -> list[T]:
    """Await *calls* with at most a few in flight, results in order; the first error wins."""
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    tasks = [asyncio.ensure_future(one(call)) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()


def _partial(
    applied: list[ApplyResult], failed: Document, error: APIError, remaining: list[Document]
) -> ManifestApplyError:
    where = f" ({failed.source})" if failed.source else ""
    done = ", ".join(f"{r.kind} {r.name!r}" for r in applied) or "none"
    left = ", ".join(f"{d.kind} {d.name!r}" for d in remaining) or "none"
    return ManifestApplyError(
        f"{failed.kind} {failed.name!r}{where} failed: {error.message}. "
        f"Applied before it: {done}. Not sent: {left}.",
        applied=applied,
        failed=_manifest(failed.manifest),
        error=error,
        remaining=[_manifest(document.manifest) for document in remaining],
    )
