"""What ``manifests.plan()``, ``apply()`` and ``validate()`` return: built by the client.

A plan compares each manifest with what ``describe`` answers for it: ``create`` when the
server has none of that kind and name, ``update`` when ``metadata`` or ``spec`` differ,
``unchanged`` otherwise. ``status`` is never compared (the server fills it), and neither is a
key the manifest leaves out (the server fills defaults in: ``tags: []``, ``timeout: 30``).
"""

from typing import Any

import attrs

from smarter.types._base import BaseModel, WireEnum, publish
from smarter.types.manifests import CommandResult, Manifest

__all__ = [
    "PlanAction",
    "Difference",
    "PlannedChange",
    "Plan",
    "ApplyResult",
    "ValidationIssue",
    "Validation",
]


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
