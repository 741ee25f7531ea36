"""Profiles: which real servers the reference server answers like.

The real servers are the authority (PROTOCOL.md): ``smarter-sh/smarter`` v0.14.19 (and the
older platform generations v0.13.223 and v0.10.21), ``scaleapi/llm-engine`` ``a8236961``,
and OpenAI's API. A profile picks the platform generation and says which of the extensions
PROTOCOL.md describes, but no real server has, the reference server also serves:

==================  ==========  =====================================================
profile             platform    extensions
==================  ==========  =====================================================
``smarter``         v0.14.19    none: no event ids, no ``Idempotency-Key`` replay, no
                                paging, no ``x-request-id`` but on the OpenAI mount
``smarter-legacy``  v0.13.223   none
``smarter-v0.10``   v0.10.21    none
``extended``        v0.14.19    event ids and ``Last-Event-ID`` resume, idempotency
                                replay, paging, ``x-request-id`` everywhere,
                                ``output: null`` keep-alive chunks
==================  ==========  =====================================================
"""

from __future__ import annotations

import dataclasses
from typing import Literal

__all__ = ["PROFILES", "Generation", "Profile", "profile_named"]

Generation = Literal["v0.14", "v0.13", "v0.10"]


@dataclasses.dataclass(frozen=True)
class Profile:
    """What a reference server answers like.

    .. versionadded:: 0.3.0
    """

    name: str
    """The profile's name."""
    platform: Generation
    """The Smarter platform generation of the ``cli/`` routes."""
    event_ids: bool = False
    """Stream events carry ``id:`` lines, and ``Last-Event-ID`` resumes a stream."""
    idempotency: bool = False
    """A repeated ``Idempotency-Key`` replays the first 2xx answer (non-stream routes)."""
    paginate: bool = False
    """List routes read ``limit`` and ``after`` and answer a ``next_cursor``."""
    request_ids: bool | None = None
    """``x-request-id`` on every answer (True), on none (False), or as the real servers do
    (None): only the OpenAI-compatible mount's."""
    null_keepalives: bool = False
    """Completion streams send an ``output: null`` chunk with each ``: ping`` comment."""

    @property
    def legacy(self) -> bool:
        """Whether the platform speaks the names from before the June 2026 rename."""
        return self.platform != "v0.14"


PROFILES: dict[str, Profile] = {
    "smarter": Profile("smarter", "v0.14"),
    "smarter-legacy": Profile("smarter-legacy", "v0.13"),
    "smarter-v0.10": Profile("smarter-v0.10", "v0.10"),
    "extended": Profile(
        "extended",
        "v0.14",
        event_ids=True,
        idempotency=True,
        paginate=True,
        request_ids=True,
        null_keepalives=True,
    ),
}


def profile_named(name: str | Profile) -> Profile:
    """The profile of a name, or a clear error listing the names."""
    if isinstance(name, Profile):
        return name
    found = PROFILES.get(name)
    if found is None:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, not {name!r}")
    return found
