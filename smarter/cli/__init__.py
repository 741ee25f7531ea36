"""The ``smarter`` command (``smarter --help``; ``python -m smarter`` is the same).

It needs the ``cli`` extra (click, rich, python-dotenv), imported only when the command
runs: ``import smarter`` and ``import smarter.cli`` import none of them.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

#: The libraries of the ``cli`` extra (import names).
_EXTRA = frozenset({"click", "rich", "dotenv"})
_MISSING_EXTRA = 'smarter: the command line needs its extra: pip install "smarter-api[cli]"'


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``smarter`` command.

    Args:
        argv: The arguments, without the program name; default ``sys.argv[1:]``.

    Returns:
        The exit code: 0 success, 1 an API error, 2 a usage error, 130 Ctrl-C.
    """
    try:
        from smarter.cli._app import run
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] not in _EXTRA:
            raise
        print(_MISSING_EXTRA, file=sys.stderr)
        return 1
    return run(argv)
