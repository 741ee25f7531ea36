"""After ``os.fork()``: the child and the parent both keep calling, with either client.

A child starts from a copy of the parent's memory: a pool whose sockets belong to the
parent and a loop thread that does not exist in the child. The client must start afresh in
the child without touching the parent's connections, and the parent must carry on as if
nothing happened. Run in a child interpreter (forking pytest itself would fork the suite).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from smarter.testing import ReferenceServer

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

_SCRIPT = """
import asyncio, os, warnings, smarter
warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads running
url, key = os.environ["URL"], os.environ["KEY"]

def headers(who):
    return {"X-Who": who}

sync = smarter.Client(base_url=url, api_key=key)
aclient = smarter.AsyncClient(base_url=url, api_key=key)
loop = asyncio.new_event_loop()
sync.whoami(extra_headers=headers("parent-before"))
loop.run_until_complete(aclient.whoami(extra_headers=headers("parent-before")))

pid = os.fork()
if pid == 0:
    try:
        ok = sync.whoami(extra_headers=headers("child")).environment == "reference"
        chunks = list(sync.completions.stream(model="example-model", prompt="c",
                                              max_new_tokens=3, extra_headers=headers("child")))

        async def child_async():
            who = await aclient.whoami(extra_headers=headers("child"))
            await aclient.aclose()
            return who.environment

        ok = ok and len(chunks) == 3 and asyncio.run(child_async()) == "reference"
        sync.close()
    except BaseException as exc:
        print("child failed:", repr(exc), flush=True)
        os._exit(3)
    os._exit(0 if ok else 4)

_, status = os.waitpid(pid, 0)
print("child", os.waitstatus_to_exitcode(status))
print("parent", sync.whoami(extra_headers=headers("parent-after")).environment,
      loop.run_until_complete(aclient.whoami(extra_headers=headers("parent-after"))).environment)
loop.run_until_complete(aclient.aclose())
loop.close()
sync.close()
"""


def test_child_and_parent_both_call(server: ReferenceServer) -> None:
    """The child calls with both clients on fresh pools; the parent's keep working."""
    done = subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", "-c", textwrap.dedent(_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **server.client_env(), "URL": server.url, "KEY": server.api_key},
    )

    assert (done.stdout.splitlines(), done.stderr) == (
        ["child 0", "parent reference reference"],
        "",
    )
    who = [r.headers.get("X-Who") for r in server.requests]
    assert sorted(who) == sorted(["parent-before"] * 2 + ["child"] * 3 + ["parent-after"] * 2)
    # No call needed a retry: the child never broke the parent's pooled connections.
    assert {r.headers["X-Smarter-Retry-Count"] for r in server.requests} == {"0"}
