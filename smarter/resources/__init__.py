"""The API resources, one module each: an async class, and its blocking twin.

Each method is written once, in async form; the blocking twins are derived from them with
:func:`smarter._sync.blocking`, so the two cannot drift apart.
"""
