"""``python -m smarter``: the ``smarter`` command."""

from smarter.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
