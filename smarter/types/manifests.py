"""Results of the Smarter platform's manifest verbs: manifests, the answers to verbs, lists.

A manifest is Kubernetes-style: ``apiVersion``, ``kind``, ``metadata``, ``spec`` and the
server-filled ``status`` (``smarter-sh/smarter@v0.14.19:smarter/smarter/lib/manifest/models.py``).
What ``plan()``, ``apply()`` and ``validate()`` return is built by the client: a plan
compares each manifest with what ``describe`` answers for it (``create`` when the server has
none of that kind and name, ``update`` when ``metadata`` or ``spec`` differ, ``unchanged``
otherwise; ``status`` and keys the manifest leaves out are never compared).

Every verb answers the platform's envelope ``{"data", "message", "api", "metadata":
{"command", "thing"}}``; ``data`` is left out when it is empty (delete, deploy, undeploy and
logs usually have none, ``.../lib/manifest/broker/abstract_broker_class.py`` ``_retval``), and
before v0.14 ``thing`` sits at the top level.
"""

from typing import Any

import attrs

from smarter.types._base import BaseModel, WireEnum, publish

__all__ = [
    "Kind",
    "ManifestMetadata",
    "Manifest",
    "CommandResult",
    "ManifestList",
    "ManifestListData",
    "ManifestLogs",
    "PlanAction",
    "Difference",
    "PlannedChange",
    "Plan",
    "ApplyResult",
    "ValidationIssue",
    "Validation",
]


class Kind(WireEnum):
    """The kinds of manifest of smarter v0.14.19 (``.../apps/api/v1/cli/brokers.py``).

    Open: any other string the server accepts may be passed where a kind is taken. On
    platforms before v0.14, ``LLMClient`` is called ``Chatbot`` (the client falls back),
    and v0.13.223 calls ``SmarterAuthToken`` ``AuthToken``.

    .. versionadded:: 0.3.0
    """

    ACCOUNT = "Account"
    USER = "User"
    SMARTER_AUTH_TOKEN = "SmarterAuthToken"  # noqa: S105 (a kind's name, not a secret)
    SECRET = "Secret"  # noqa: S105
    PROVIDER = "Provider"
    API_CONNECTION = "ApiConnection"
    SQL_CONNECTION = "SqlConnection"
    PLUGIN = "Plugin"
    API_PLUGIN = "ApiPlugin"
    SQL_PLUGIN = "SqlPlugin"
    VECTORSTORE = "Vectorstore"
    LLM_CLIENT = "LLMClient"
    PROMPT = "Prompt"


@attrs.frozen(kw_only=True)
class ManifestMetadata(BaseModel):
    """The ``metadata`` of a manifest.

    Kind-specific keys (``pluginClass``, ``username``, ``accountNumber``) are kept and
    readable as attributes.

    .. versionadded:: 0.3.0
    """

    name: str
    """The name, unique per kind in the account."""
    description: str | None = None
    """What it is for."""
    version: str | None = None
    """The version of the manifest, e.g. ``"1.0.0"``."""
    tags: list[Any] = attrs.field(factory=list)
    """Free tags."""
    annotations: list[Any] | None = attrs.field(factory=list)
    """A list of single-key maps, e.g. ``[{"smarter.sh/owner": "me"}]``."""


@attrs.frozen(kw_only=True)
class Manifest(BaseModel):
    """A manifest, as written or as ``describe`` answers it; ``to_dict()`` is the wire form.

    .. versionadded:: 0.3.0
    """

    api_version: str
    """``"smarter.sh/v1"`` (``apiVersion`` on the wire)."""
    kind: Kind | str
    """The kind: a :class:`Kind` member, or the string of a kind this client does not know."""
    metadata: ManifestMetadata
    """The name, description, version, tags and annotations."""
    spec: dict[str, Any] | None = None
    """What it should be, as written (kind-specific)."""
    status: dict[str, Any] | None = None
    """What the server reports about it (filled by the server; ignored by ``apply``)."""

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return self.metadata.name


@attrs.frozen(kw_only=True)
class CommandResult(BaseModel):
    """The platform's answer to a verb: its envelope, ``data`` included when there is one.

    .. versionadded:: 0.3.0
    """

    data: Any = None
    """What the verb returned (absent, so None, for most deletes, deploys and undeploys)."""
    message: str | None = None
    """The server's summary, e.g. ``"Secret openai_key applied successfully"``."""
    api: str | None = None
    """``"smarter.sh/v1"``."""
    metadata: dict[str, Any] | None = None
    """``{"command", "thing"}`` (or ``{"key"}`` when the platform journals requests)."""

    @property
    def command(self) -> str | None:
        """The command the server says it ran, when it says so."""
        value = (self.metadata or {}).get("command")
        return value if isinstance(value, str) else None

    @property
    def thing(self) -> str | None:
        """The kind the server says the command was about, when it says so."""
        wire = self.to_dict()
        value = (self.metadata or {}).get("thing", wire.get("thing"))
        return value if isinstance(value, str) else None


@attrs.frozen(kw_only=True)
class ManifestLogs(CommandResult):
    """The answer to ``logs``: smarter v0.14.19 returns no log lines yet (``data`` absent).

    .. versionadded:: 0.3.0
    """

    @property
    def lines(self) -> list[str]:
        """The log lines the server sent: ``data`` split into lines, or none."""
        data = self.data
        if isinstance(data, str):
            return data.splitlines()
        if isinstance(data, list):
            return [item if isinstance(item, str) else str(item) for item in data]
        return []


@attrs.frozen(kw_only=True)
class ManifestListData(BaseModel):
    """The table of a ``get``: column titles and rows.

    .. versionadded:: 0.3.0
    """

    titles: list[dict[str, Any]] = attrs.field(factory=list)
    """``[{"name", "type"}]``: snake_case names on v0.14.19, camelCase before."""
    items: list[dict[str, Any]] = attrs.field(factory=list)
    """The rows: camelCase keys; whole manifests for Secret, Provider and Vectorstore."""


@attrs.frozen(kw_only=True)
class ManifestList(BaseModel):
    """The ``data`` of a ``get``: the rows of one kind. Iterating it yields the rows.

    .. versionadded:: 0.3.0
    """

    api_version: str | None = None
    """``"smarter.sh/v1"`` (``apiVersion`` on the wire)."""
    kind: Kind | str | None = None
    """The kind listed."""
    metadata: dict[str, Any] | None = None
    """``{"count": n}``: the server's count, before any filter of the client."""
    data: ManifestListData = attrs.field(factory=ManifestListData)
    """The titles and rows."""

    @property
    def items(self) -> list[dict[str, Any]]:
        """The rows, as sent."""
        return self.data.items

    @property
    def columns(self) -> list[str]:
        """The column names in snake_case, whichever case the server used."""
        return [snake_case(str(title.get("name", ""))) for title in self.data.titles]

    def rows(self) -> list[dict[str, Any]]:
        """Each row keyed by snake_case column names, in the order of :attr:`columns`.

        Rows that are whole manifests (Secret, Provider, Vectorstore) give their
        ``metadata``'s name, version and description.
        """
        columns = self.columns
        result = []
        for item in self.items:
            metadata = item.get("metadata")
            if isinstance(metadata, dict) and "spec" in item:
                result.append(
                    {key: metadata.get(key) for key in ("name", "version", "description")}
                )
                continue
            by_snake = {snake_case(key): value for key, value in item.items()}
            result.append({column: by_snake.get(column) for column in columns} or by_snake)
        return result

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def snake_case(name: str) -> str:
    """``createdAt`` and ``created_at`` alike as ``created_at``."""
    out = []
    for index, char in enumerate(name):
        if char.isupper() and index and (name[index - 1].islower() or name[index - 1].isdigit()):
            out.append("_")
        out.append(char.lower())
    return "".join(out)


class PlanAction(WireEnum):
    """What applying a manifest would do.

    .. versionadded:: 0.3.0
    """

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@attrs.frozen(kw_only=True)
class Difference(BaseModel):
    """One value the server has that the manifest would change.

    .. versionadded:: 0.3.0
    """

    path: str
    """Where, as dotted keys and list indices: ``"spec.config.defaultModel"``."""
    op: str
    """``"add"`` (the server has no value there) or ``"change"``."""
    before: Any = None
    """The server's value (None when ``op`` is ``"add"``)."""
    after: Any = None
    """The manifest's value."""


@attrs.frozen(kw_only=True)
class PlannedChange(BaseModel):
    """What applying one manifest would do, and why.

    .. versionadded:: 0.3.0
    """

    action: PlanAction | str
    """``create``, ``update`` or ``unchanged``."""
    kind: str
    """The manifest's kind."""
    name: str
    """``metadata.name``."""
    manifest: Manifest
    """The manifest, as written."""
    current: Manifest | None = None
    """What ``describe`` answered (None for a create)."""
    differences: list[Difference] = attrs.field(factory=list)
    """For an update, each value that would change."""
    source: str | None = None
    """Where the manifest came from: ``"path/file.yaml"``, with ``"#2"`` for a second
    document, or None for a dict."""


@attrs.frozen(kw_only=True)
class Plan(BaseModel):
    """The planned change of each manifest, in the order ``apply`` would send them.

    Iterating a plan yields its :class:`PlannedChange` objects.

    .. versionadded:: 0.3.0
    """

    changes: list[PlannedChange] = attrs.field(factory=list)
    """One per manifest."""

    def _count(self, action: PlanAction) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def has_changes(self) -> bool:
        """Whether applying would create or update anything."""
        return any(change.action != PlanAction.UNCHANGED for change in self.changes)

    def summary(self) -> str:
        """``"1 to create, 2 to update, 3 unchanged"``."""
        return (
            f"{self._count(PlanAction.CREATE)} to create, "
            f"{self._count(PlanAction.UPDATE)} to update, "
            f"{self._count(PlanAction.UNCHANGED)} unchanged"
        )

    def __iter__(self) -> Any:
        return iter(self.changes)

    def __len__(self) -> int:
        return len(self.changes)


@attrs.frozen(kw_only=True)
class ApplyResult(BaseModel):
    """The server's answer to applying one manifest.

    .. versionadded:: 0.3.0
    """

    kind: str
    """The manifest's kind (as sent: ``Chatbot`` on a platform before v0.14)."""
    name: str
    """``metadata.name``."""
    result: CommandResult
    """The server's answer (``data`` is its internal record of the apply: treat it as
    opaque)."""
    source: str | None = None
    """Where the manifest came from (see :attr:`PlannedChange.source`)."""

    @property
    def message(self) -> str | None:
        """The server's summary, e.g. ``"Secret openai_key applied successfully"``."""
        return self.result.message


@attrs.frozen(kw_only=True)
class ValidationIssue(BaseModel):
    """One way a manifest does not fit its kind's JSON schema.

    .. versionadded:: 0.3.0
    """

    path: str
    """Where, as dotted keys: ``"spec.config.value"`` (``""``: the manifest itself)."""
    message: str
    """What is wrong."""
    kind: str | None = None
    """The manifest's kind."""
    name: str | None = None
    """``metadata.name``, when it has one."""
    source: str | None = None
    """Where the manifest came from."""


@attrs.frozen(kw_only=True)
class Validation(BaseModel):
    """Whether manifests fit their kinds' JSON schemas, checked by the client.

    .. versionadded:: 0.3.0
    """

    valid: bool
    """True when no issue was found."""
    errors: list[ValidationIssue] = attrs.field(factory=list)
    """Every issue, in the order of the manifests."""

    def __bool__(self) -> bool:
        return self.valid


publish(globals())
