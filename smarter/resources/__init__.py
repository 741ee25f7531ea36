"""The API resources, one module each: async classes, written once.

Each method is written once, in async form, and builds its request through the client's
pipeline. The blocking twins are derived from them in :mod:`smarter._twins`, one line a
method; ``tests/test_twins.py`` derives the pairs and compares their signatures.
"""
