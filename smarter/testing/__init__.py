"""A reference server of the whole wire protocol, for tests.

``ReferenceServer`` is an in-memory aiohttp.web implementation of every endpoint of
PROTOCOL.md, on one port for the three services (the platform at ``/api/v1/``, LLM Engine at
the root, an OpenAI-compatible API at ``/openai/v1/``), with a deterministic fake model,
scripted faults (``Fault``) and a log of every request it received (``RecordedRequest``)::

    async with ReferenceServer() as server:
        client = AsyncClient(**server.client_kwargs())

    with ReferenceServer.in_thread() as server:  # from blocking code
        client = Client(**server.client_kwargs())

It answers like the real servers (the ``smarter`` profile) unless told otherwise:
``ReferenceServer(profile="extended")`` adds event ids, ``Idempotency-Key`` replay and paging;
``"smarter-legacy"`` and ``"smarter-v0.10"`` answer like older platforms (``PROFILES``).
The platform's manifest verbs serve every kind of its generation, with each broker's
refusals and errors, and keep what is applied (LLM clients are the chatbots).

The names are imported lazily, so that importing this package (the pytest plugin does, at
collection time) does not import aiohttp.web.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smarter.testing._faults import Fault
    from smarter.testing._profiles import PROFILES, Profile
    from smarter.testing._server import ClientKwargs, ReferenceServer, serve
    from smarter.testing._state import RecordedRequest

__all__ = [
    "PROFILES",
    "ClientKwargs",
    "Fault",
    "Profile",
    "RecordedRequest",
    "ReferenceServer",
    "serve",
]

_HOMES = {
    "ClientKwargs": "smarter.testing._server",
    "Fault": "smarter.testing._faults",
    "PROFILES": "smarter.testing._profiles",
    "Profile": "smarter.testing._profiles",
    "RecordedRequest": "smarter.testing._state",
    "ReferenceServer": "smarter.testing._server",
    "serve": "smarter.testing._server",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
