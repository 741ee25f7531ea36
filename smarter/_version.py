"""The version of the ``smarter`` package."""

__version__ = "0.3.0"
