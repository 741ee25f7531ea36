"""Helpers and fixtures of the resource tests: what the reference server received."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from helpers import bound_client

import smarter
from smarter.testing import ReferenceServer
from smarter.testing._state import RecordedRequest

AnyClient = smarter.AsyncClient | smarter.Client

#: The shape of the ``x-request-id`` the reference server gives every response.
SERVER_REQUEST_ID = re.compile(r"req_[0-9a-f]{24}")


def last_request(server: ReferenceServer, method: str, route: str) -> RecordedRequest:
    """The last request the server received on ``method route``."""
    return server.requests_to(method, route)[-1]


def body_of(request: RecordedRequest) -> Any:
    """The JSON body of a recorded request."""
    return json.loads(request.body)


def client_request_id(server: ReferenceServer, method: str, route: str) -> str:
    """The ``X-Smarter-RequestId`` of the client's last call on ``method route``."""
    return last_request(server, method, route).headers["X-Smarter-RequestId"]


@pytest.fixture
def bare_server() -> Iterator[ReferenceServer]:
    """A reference server that sends no ``x-request-id``: results carry the client's id."""
    with ReferenceServer.in_thread(request_ids=False, job_step=0.05) as server:
        yield server


@pytest.fixture
async def bare_client(kind: str, bare_server: ReferenceServer) -> AsyncIterator[AnyClient]:
    """A client of the parametrised kind bound to :func:`bare_server`."""
    async with bound_client(kind, bare_server) as client:
        yield client
