"""``python -m smarter.testing``: run a reference server in the foreground.

Stops cleanly, with exit code 0, on SIGINT (Ctrl-C) or SIGTERM.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from smarter.testing._profiles import PROFILES


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and serve until interrupted.

    Args:
        argv: The arguments, without the program name; default ``sys.argv[1:]``.

    Returns:
        The exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m smarter.testing",
        description="Run the smarter reference server (an in-memory fake of the API).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8083, help="port (default: %(default)s)")
    parser.add_argument("--api-key", default=None, help="the API key (default: a random one)")
    parser.add_argument(
        "--keepalive-interval",
        type=float,
        default=15.0,
        help="seconds between stream keep-alives (default: %(default)s)",
    )
    parser.add_argument(
        "--token-delay",
        type=float,
        default=0.0,
        help="seconds between two streamed chunks (default: %(default)s)",
    )
    parser.add_argument(
        "--profile",
        default="smarter",
        choices=sorted(PROFILES),
        help="which servers it answers like (default: %(default)s, the real servers)",
    )
    args = parser.parse_args(argv)

    from smarter.testing._server import serve

    serve(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        keepalive_interval=args.keepalive_interval,
        token_delay=args.token_delay,
        profile=args.profile,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
