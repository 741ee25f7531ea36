"""Results of the Smarter platform's manifest verbs: manifests, the answers to verbs, lists.

A manifest is Kubernetes-style: ``apiVersion``, ``kind``, ``metadata``, ``spec`` and the
server-filled ``status`` (``smarter-sh/smarter@v0.14.19:smarter/smarter/lib/manifest/models.py``).
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
    "PlatformVersion",
    "PlatformStatus",
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


@attrs.frozen(kw_only=True)
class PlatformVersion(BaseModel):
    """The ``data`` of ``version``: the platform's version and its Python packages.

    .. versionadded:: 0.3.0
    """

    api: dict[str, Any] = attrs.field(factory=dict)
    """``{"version": "0.14.19", "python": {package: version}}``."""
    cli: dict[str, Any] | None = None
    """``{"version": ...}``: the Go CLI's latest version, as the server fetched it."""

    @property
    def version(self) -> str | None:
        """The platform's version, e.g. ``"0.14.19"``."""
        value = self.api.get("version")
        return value if isinstance(value, str) else None

    @property
    def cli_version(self) -> str | None:
        """The Go CLI's version the server reports."""
        value = (self.cli or {}).get("version")
        return value if isinstance(value, str) else None


@attrs.frozen(kw_only=True)
class PlatformStatus(BaseModel):
    """The ``data`` of ``status``: the platform's infrastructure and compute.

    .. versionadded:: 0.3.0
    """

    infrastructures: dict[str, Any] = attrs.field(factory=dict)
    """``{"kubernetes", "mysql", "redis"}``, each as the server describes it."""
    compute: dict[str, Any] = attrs.field(factory=dict)
    """``{"machine", "release", "platform", "processor", "system", "version"}``."""


publish(globals())
