"""The aiohttp application: routes and the middleware every request goes through.

From the outside in:

1. ``_lifecycle``: gives the request its id, records it in the request log, and keeps a
   client that went away from turning into logged tracebacks;
2. ``limits_middleware``: counts the request in flight, and answers 429 past a rate or
   concurrency limit a test switched on (:mod:`smarter.testing._limits`);
3. ``_faults``: applies the next scripted fault that matches the request;
4. ``_auth``: checks the API key as the request's service does (the platform: ``Token``;
   the LLM Engine: HTTP Basic or ``Bearer``; the OpenAI-compatible server: ``Bearer``),
   failing as the real one does;
5. ``_idempotency``: replays the first 2xx answer of a repeated ``Idempotency-Key`` (the
   ``extended`` profile only: no real server does);
6. ``_errors``: renders errors in the shape of the route's family.

A response hook (``on_response_prepare``) stamps ``x-request-id`` (where the profile says)
and records the status at the moment the headers go out.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from smarter._version import __version__
from smarter.testing import (
    _routes_batch,
    _routes_cli,
    _routes_endpoints,
    _routes_files,
    _routes_llm,
    _routes_manifests,
    _routes_openai,
    _routes_responses,
)
from smarter.testing._faults import Fault
from smarter.testing._http import (
    CONTEXT,
    ENGINE_PATH,
    FAULT,
    LOG_HANDLE,
    OPENAI_PATH,
    PLATFORM_PATH,
    REQUEST_ID,
    ApiError,
    Context,
    error_body,
    error_response,
    family_of,
    json_response,
    reason,
    relative_path,
    service_of,
)
from smarter.testing._limits import limits_middleware
from smarter.testing._sse import drain
from smarter.testing._state import RecordedRequest

__all__ = ["create_app"]

logger = logging.getLogger("smarter.testing")

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_IDEMPOTENCY_TTL = 3600.0
_STREAMING_PATHS = frozenset({"v1/llm/completions-stream"})
_CHAT_PATHS = frozenset({"chat/completions", "v2/chat/completions", "responses"})
_NO_AUTH_PREFIXES = ("v1/downloads/",)


def _path(request: web.Request) -> str:
    return relative_path(request)


def _command(path: str) -> str | None:
    parts = path.split("/")
    # The journal snake-cases the route's first segment (cli/views/base.py command()).
    return parts[1].replace("-", "_") if len(parts) > 1 and parts[0] == "cli" else None


def _failure(request: web.Request, status: int, message: str) -> web.Response:
    return _render(request, ApiError(status, message))


def _render(request: web.Request, error: ApiError) -> web.Response:
    path = _path(request)
    context = request.app[CONTEXT]
    return error_response(
        family_of(path),
        error,
        _command(path),
        generation=context.profile.platform,
        url=str(request.url),
    )


async def _abort(request: web.Request) -> web.Response:
    """Close the connection without an answer; the returned response is never written."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response()


async def _drain_body(request: web.Request) -> None:
    """Read and drop an unread (multipart) body, so that an early answer is read cleanly."""
    while await request.content.readany():
        pass


@web.middleware
async def _lifecycle(request: web.Request, handler: _Handler) -> web.StreamResponse:
    context = request.app[CONTEXT]
    request[REQUEST_ID] = "req_" + secrets.token_hex(12)
    # Recorded before the body is read, so that the log keeps the order of arrival.
    handle = context.log.add(
        RecordedRequest(
            method=request.method,
            path=_path(request),
            query=request.query,
            headers=request.headers,
            body=b"",
            body_size=0,
            time=time.monotonic(),
        )
    )
    request[LOG_HANDLE] = handle
    # Uploads are streamed by their route and never kept whole; only their size is logged.
    multipart = request.content_type.startswith("multipart/")
    try:
        if not multipart and request.body_exists:
            try:
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                return _failure(request, 413, "Request body too large.")
            context.log.update(handle, body=body, body_size=len(body))
        return await handler(request)
    except ConnectionError:
        # The client went away mid-request: nothing to answer, nothing to log.
        return await _abort(request)
    except Exception:
        logger.exception("reference server: unhandled error on %s %s", request.method, request.path)
        return _failure(request, 500, "Internal error occurred.")
    finally:
        if multipart:
            context.log.update(handle, body_size=request.content.total_bytes)


def _fault_answer(request: web.Request, fault: Fault, status: int) -> web.Response:
    headers: dict[str, str] = {}  # the fault's own are added as it is sent (_on_prepare)
    body = fault.body
    if body is None:
        path = _path(request)
        error = error_body(
            family_of(path),
            status,
            reason(status),
            command=_command(path),
            generation=request.app[CONTEXT].profile.platform,
            url=str(request.url),
        )
        return json_response(error, status=status, headers=headers)
    if isinstance(body, (str, bytes)):
        data = body.encode() if isinstance(body, str) else body
        default_type = "text/plain" if isinstance(body, str) else "application/octet-stream"
        content_type = fault.content_type or default_type
    else:
        data = json.dumps(dict(body)).encode()
        content_type = fault.content_type or "application/json"
    headers["Content-Type"] = content_type
    return web.Response(body=data, status=status, headers=headers)


async def _paced(request: web.Request, response: web.Response, fault: Fault) -> web.StreamResponse:
    """Write a finished answer piece by piece, as ``Fault.chunk_size``/``slow_body`` say."""
    body = response.body if isinstance(response.body, bytes) else b""
    headers = {
        name: value
        for name, value in response.headers.items()
        if name.lower() not in ("content-length", "transfer-encoding")
    }
    stream = web.StreamResponse(status=response.status, headers=headers)
    stream.content_length = len(body)
    await stream.prepare(request)
    size = fault.chunk_size or max(len(body), 1)
    context = request.app[CONTEXT]
    for start in range(0, len(body), size):
        if start and fault.slow_body > 0:
            await context.sleep(fault.slow_body)
        await stream.write(body[start : start + size])
        await drain(request)
    await stream.write_eof()
    return stream


@web.middleware
async def _faults(request: web.Request, handler: _Handler) -> web.StreamResponse:
    context = request.app[CONTEXT]
    fault = context.faults.pop(request.method, _path(request))
    if fault is None:
        return await handler(request)
    request[FAULT] = fault
    await context.sleep(fault.delay)
    if fault.drop == "before":
        return await _abort(request)
    response: web.StreamResponse
    if fault.status is not None:
        await _drain_body(request)
        response = _fault_answer(request, fault, fault.status)
    elif fault.malformed:
        await _drain_body(request)
        response = web.Response(
            body=b'{"id": "malformed", "object": "truncated", "data": [{"a": 1}, {"b',
            content_type="application/json",
        )
    else:
        response = await handler(request)
    if fault.drop == "after":
        return await _abort(request)
    if fault.paced and isinstance(response, web.Response) and not response.prepared:
        return await _paced(request, response, fault)
    return response


def _credentials(header: str | None) -> tuple[str, str | None]:
    """The scheme of an Authorization header (lower case) and the key it carries."""
    if header is None:
        return "", None
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    scheme = scheme.lower()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return scheme, None
        user, colon, _ = decoded.partition(":")
        # The key is the user name; the password (normally empty) is not checked. FastAPI's
        # HTTPBasic refuses a pair without its colon.
        return scheme, user if colon else None
    return scheme, credentials or None


def _same(key: str | None, expected: str) -> bool:
    return key is not None and hmac.compare_digest(key.encode(), expected.encode())


def _platform_auth(context: Context, scheme: str, key: str | None) -> ApiError | None:
    """The platform's answer to its credentials: None when they are good.

    smarter v0.14.19: a missing key (or any scheme but ``Token``) is refused by the view with
    403; a wrong one by the token middleware with 401 (lib/drf/middleware.py). v0.13.223's
    middleware never fires, so a wrong key is a 403 too; v0.10.21 says "Unauthorized access
    attempted." for a missing one.
    """
    generation = context.profile.platform
    if scheme == "token" and _same(key, context.api_key):
        return None
    if scheme == "token" and key is not None and generation != "v0.13":
        return ApiError(
            401, "Authentication failed.", error_class="SmarterTokenAuthenticationError"
        )
    if generation == "v0.10":
        return ApiError(403, "Unauthorized access attempted.", error_class="APIV1CLIViewError")
    reason_ = (
        "authentication failed"
        if key is None
        else ("authentication failed due to an unexpected error")
    )
    return ApiError(
        403,
        f"Smarter api v1 command-line interface error: {reason_}",
        error_class="SmarterAPIV1CLIViewErrorNotAuthenticated",
    )


def _auth_error(request: web.Request) -> ApiError | None:
    """What the request's service answers to its credentials: None when they are good."""
    context = request.app[CONTEXT]
    scheme, key = _credentials(request.headers.get("Authorization"))
    service = service_of(request)
    if service == "platform":
        return _platform_auth(context, scheme, key)
    if service == "llm_engine":
        # scaleapi/llm-engine@a8236961:model-engine/model_engine_server/api/dependencies.py
        # (verify_authentication): Basic or Bearer, the key as the user name; anything
        # else is "No authentication was passed in". A Basic pair that does not decode is
        # refused by FastAPI's HTTPBasic first.
        if scheme == "basic" and key is None:
            return ApiError(401, "Not authenticated")
        if scheme not in ("basic", "bearer") or key is None:
            return ApiError(401, "No authentication was passed in")
        return None if _same(key, context.api_key) else ApiError(401, "Could not authenticate user")
    if scheme != "bearer" or not _same(key, context.api_key):
        return ApiError(401, "Incorrect API key provided.", code="invalid_api_key")
    return None


def _public(request: web.Request) -> bool:
    """A route that needs no key: a request without one passes.

    The platform's example-manifest and json-schema views authenticate nobody
    (``authentication_classes = ()``), but v0.14's and v0.10's token middleware still refuses
    a wrong key on them; v0.13's never fires (``lib/drf/middleware.py`` at each tag).
    """
    if service_of(request) != "platform" or not _routes_manifests.is_public(_path(request)):
        return False
    context = request.app[CONTEXT]
    return "Authorization" not in request.headers or context.profile.platform == "v0.13"


@web.middleware
async def _auth(request: web.Request, handler: _Handler) -> web.StreamResponse:
    if _path(request).startswith(_NO_AUTH_PREFIXES) or _public(request):
        return await handler(request)
    error = _auth_error(request)
    if error is not None:
        await _drain_body(request)
        response = _render(request, error)
        if service_of(request) == "llm_engine":
            scheme, _ = _credentials(request.headers.get("Authorization"))
            response.headers["WWW-Authenticate"] = "Basic" if scheme == "basic" else "Bearer"
        return response
    return await handler(request)


@dataclasses.dataclass
class _Remembered:
    done: asyncio.Future[None]
    expires: float = 0.0
    status: int = 0
    body: bytes = b""
    content_type: str | None = None


IDEMPOTENCY = web.AppKey("smarter_testing_idempotency", dict[tuple[str, str, str], _Remembered])


async def _streams(request: web.Request, path: str) -> bool:
    if path in _STREAMING_PATHS:
        return True
    if path not in _CHAT_PATHS:
        return False
    try:
        body = json.loads(await request.read())
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("stream") is True


def _replay(remembered: _Remembered) -> web.Response:
    response = web.Response(body=remembered.body, status=remembered.status)
    if remembered.content_type is not None:
        response.headers["Content-Type"] = remembered.content_type
    response.headers["Idempotent-Replayed"] = "true"
    return response


@web.middleware
async def _idempotency(request: web.Request, handler: _Handler) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    path = _path(request)
    if (
        not request.app[CONTEXT].profile.idempotency
        or request.method in ("GET", "HEAD", "OPTIONS")
        or not key
        or await _streams(request, path)
    ):
        return await handler(request)
    store = request.app[IDEMPOTENCY]
    now = time.monotonic()
    for slot in [slot for slot, item in store.items() if item.done.done() and item.expires < now]:
        del store[slot]
    slot = (request.method, path, key)
    while (remembered := store.get(slot)) is not None:
        if remembered.done.done():
            return _replay(remembered)
        # A duplicate of a request still in flight: wait for its outcome.
        await asyncio.shield(remembered.done)
    remembered = _Remembered(done=asyncio.get_running_loop().create_future())
    store[slot] = remembered
    try:
        response = await handler(request)
        body = response.body if isinstance(response, web.Response) else None
        if 200 <= response.status < 300 and isinstance(body, bytes) and not response.prepared:
            remembered.status = response.status
            remembered.body = body
            remembered.content_type = response.headers.get("Content-Type")
            remembered.expires = time.monotonic() + _IDEMPOTENCY_TTL
        else:
            del store[slot]
    except BaseException:
        store.pop(slot, None)
        raise
    finally:
        remembered.done.set_result(None)
    return response


@web.middleware
async def _errors(request: web.Request, handler: _Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return _render(request, error)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _failure(request, exc.status, exc.reason)


async def _on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    context = request.app[CONTEXT]
    response.headers["Server"] = f"smarter-reference/{__version__}"
    # The LLM Engine and the platform send no x-request-id; OpenAI does.
    stamped = context.profile.request_ids
    if stamped is None:
        stamped = service_of(request) == "openai"
    if stamped and REQUEST_ID in request:
        response.headers["x-request-id"] = request[REQUEST_ID]
    # A fault's headers go on whatever answer it makes: its status answer, or the route's
    # own (rate-limit headers on a success, say), JSON or stream.
    fault = request.get(FAULT)
    if fault is not None:
        response.headers.update(fault.headers)
    transport = request.transport
    if LOG_HANDLE in request and transport is not None and not transport.is_closing():
        context.log.update(request[LOG_HANDLE], status=response.status)


def create_app(context: Context) -> web.Application:
    """Build the application of one reference server.

    Args:
        context: The server's settings and memory.

    Returns:
        The application: the platform under ``/api/v1/``, the LLM Engine at the root and
        the OpenAI-compatible server under ``/openai/v1/``.
    """
    app = web.Application(
        middlewares=[_lifecycle, limits_middleware, _faults, _auth, _idempotency, _errors],
        client_max_size=64 * 1024 * 1024,
    )
    app[CONTEXT] = context
    app[IDEMPOTENCY] = {}
    app.add_routes(_routes_llm.routes(ENGINE_PATH + "v1/"))
    app.add_routes(_routes_endpoints.routes(ENGINE_PATH + "v1/"))
    app.add_routes(_routes_batch.routes(ENGINE_PATH))
    app.add_routes(_routes_files.routes(ENGINE_PATH + "v1/"))
    app.add_routes(_routes_openai.engine_routes(ENGINE_PATH + "v2/"))
    app.add_routes(_routes_openai.routes(OPENAI_PATH))
    app.add_routes(_routes_responses.routes(OPENAI_PATH))
    app.add_routes(_routes_cli.routes(PLATFORM_PATH, generation=context.profile.platform))
    app.add_routes(_routes_manifests.routes(PLATFORM_PATH, generation=context.profile.platform))
    app.on_response_prepare.append(_on_prepare)
    return app
