"""Benchmarks of smarter against raw aiohttp/httpx and openai-python: ``python -m benchmarks``."""
