"""An AsyncClient in a FastAPI lifespan, serving real requests under uvicorn.

uvicorn runs ``fastapi_app.py`` in a child process (with uvloop when it is installed);
httpx sends it concurrent requests, and each handler calls the reference server through the
one AsyncClient the lifespan made. Shutting uvicorn down closes the client cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smarter.testing import ReferenceServer

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

REQUESTS = 40


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def app_url(server: ReferenceServer) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The app served by uvicorn on a free port, and its process."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "fastapi_app:app",
            "--app-dir",
            str(Path(__file__).parent),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            **server.client_env(),
            "SMARTER_TEST_URL": server.url,
            "SMARTER_TEST_KEY": server.api_key,
        },
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.communicate()[1]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.05)
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


async def test_async_client_in_a_fastapi_lifespan(
    app_url: tuple[str, subprocess.Popen[str]], server: ReferenceServer
) -> None:
    """Concurrent requests each call the shared client; shutdown closes it quietly."""
    url, process = app_url
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        answers = await asyncio.gather(
            *(
                http.get("/whoami") if n % 2 else http.get("/complete", params={"prompt": f"p{n}"})
                for n in range(REQUESTS)
            )
        )
        stats = (await http.get("/stats")).json()
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=30)

    assert [a.status_code for a in answers] == [200] * REQUESTS
    assert {a.json()["environment"] for a in answers[1::2]} == {"reference"}
    assert {a.json()["chunks"] for a in answers[0::2]} == {5}
    assert 1 <= stats["connections"] <= 8
    assert len(server.requests) == REQUESTS
    assert len({r.headers["X-Smarter-RequestId"] for r in server.requests}) == REQUESTS
    assert (process.returncode, err) == (0, "")
