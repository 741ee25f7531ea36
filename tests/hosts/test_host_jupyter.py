"""A real Jupyter kernel: the blocking Client (and top-level await) inside a notebook.

nbclient starts an ipykernel and executes a small notebook whose cells call the client
against the reference server. The kernel runs its own event loop in the thread that runs
the cells, which is exactly where ``asyncio.run()``-based sync facades fail. nbclient runs
in a child process, so that its ZeroMQ sockets and threads never mix with the suite's own
resource accounting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from smarter.testing import ReferenceServer

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

CELLS = [
    """
    import os, smarter, warnings
    warnings.simplefilter("error", smarter.BlockingClientWarning)  # a kernel may block
    client = smarter.Client(base_url=os.environ["SMARTER_TEST_URL"],
                            api_key=os.environ["SMARTER_TEST_KEY"])
    import asyncio
    print("loop running in the cell's thread:", asyncio.get_event_loop().is_running())
    """,
    'print("whoami:", client.whoami().environment)',
    """
    chunks = [c.output.text for c in client.completions.stream(
        model="example-model", prompt="Hello", max_new_tokens=5)]
    print("stream:", len(chunks))
    """,
    """
    uploaded = client.files.create(file=("train.jsonl", b'{"prompt": "a"}\\n' * 50))
    print("upload:", client.files.get(uploaded.id).size)
    """,
    'print("list:", len(list(client.files.list(limit=1))))',
    """
    async with smarter.AsyncClient(base_url=os.environ["SMARTER_TEST_URL"],
                                   api_key=os.environ["SMARTER_TEST_KEY"]) as aclient:
        print("await:", (await aclient.whoami()).environment)
    """,
    """
    client.close()
    import threading
    print("threads left:", [t.name for t in threading.enumerate()
                            if t.name.startswith("smarter-loop-")])
    """,
]

RUNNER = """
import json, sys
import nbformat
from nbclient import NotebookClient

cells = json.loads(sys.stdin.read())
notebook = nbformat.v4.new_notebook()
notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
for cell in notebook.cells:
    for output in cell.outputs:
        if output.output_type == "stream":
            sys.stdout.write(output.text)
        elif output.output_type == "error":
            sys.stdout.write("ERROR " + output.ename + ": " + output.evalue + "\\n")
"""


def test_sync_client_in_a_jupyter_kernel(server: ReferenceServer) -> None:
    """Each cell's call answers inside a running kernel; closing leaves no loop thread."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(RUNNER)],
        input=json.dumps([textwrap.dedent(cell).strip() for cell in CELLS]),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            **os.environ,
            **server.client_env(),
            "SMARTER_TEST_URL": server.url,
            "SMARTER_TEST_KEY": server.api_key,
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        },
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "loop running in the cell's thread: True",
        "whoami: reference",
        "stream: 5",
        "upload: 800",
        "list: 1",
        "await: reference",
        "threads left: []",
    ]
    assert len(server.requests_to("POST", "cli/whoami/")) == 2
