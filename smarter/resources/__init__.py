"""The API resources, one module each: an async class, and its blocking twin.

Each method is written once, in async form; the blocking twins are derived from them with
:func:`smarter._sync.blocking`. The one written by hand (``chatbots.get``, which wraps its
result in a blocking :class:`Chatbot`) is held to its async form by ``tests/test_twins.py``,
which compares the signatures of every pair.
"""
