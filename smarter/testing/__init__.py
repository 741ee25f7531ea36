"""A reference server of the whole wire protocol, for tests.

``ReferenceServer`` is an in-memory aiohttp.web implementation of every endpoint of
PROTOCOL.md, with a deterministic fake model, scripted faults (``Fault``) and a log of every
request it received (``RecordedRequest``)::

    async with ReferenceServer() as server:
        client = AsyncClient(base_url=server.url, api_key=server.api_key)

    with ReferenceServer.in_thread() as server:  # from blocking code
        client = Client(base_url=server.url, api_key=server.api_key)

The names are imported lazily, so that importing this package (the pytest plugin does, at
collection time) does not import aiohttp.web.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smarter.testing._faults import Fault
    from smarter.testing._server import ReferenceServer, serve
    from smarter.testing._state import RecordedRequest

__all__ = ["ReferenceServer", "Fault", "RecordedRequest", "serve"]

_HOMES = {
    "Fault": "smarter.testing._faults",
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
