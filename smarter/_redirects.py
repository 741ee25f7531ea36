"""Which redirects a call follows, and why it refuses the others.

The transport follows no redirect on its own (aiohttp would turn a POST answered 301, 302 or
303 into a GET whose answer passes for the result, and follow a 307 from https to http with
the prompt and the key in cleartext). It asks :func:`next_hop` instead: a redirect is
followed only when it keeps the method and its body, stays on https when it was, can send
the body again, and is not one of too many; otherwise the call fails with an error that says
where the server pointed and why the client did not go there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import yarl

from smarter._bodies import finished
from smarter._exceptions import APIStatusError
from smarter._request import SERVICE_SETTINGS

if TYPE_CHECKING:
    from smarter._request import Request

__all__ = [
    "MAX_REDIRECTS",
    "REDIRECTS",
    "RedirectRefusedError",
    "follow",
    "next_hop",
    "same_origin",
]

REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS: Final = 5
# Statuses whose redirect a browser (and aiohttp) follows with a GET: only a GET or a HEAD
# keeps its meaning through one.
_TO_GET: Final = frozenset({301, 302, 303})


class RedirectRefusedError(Exception):
    """A redirect the client does not follow; the message says why."""

    def __init__(self, reason: str, target: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.target = target


def same_origin(one: yarl.URL, other: yarl.URL) -> bool:
    """Whether two URLs share scheme, host and port (the Authorization header may go along)."""
    return (one.scheme, one.host, one.port) == (other.scheme, other.host, other.port)


def next_hop(  # noqa: PLR0917 (one decision, all its facts)
    method: str,
    url: yarl.URL,
    status: int,
    location: str | None,
    hops: int,
    replayable: bool,
) -> yarl.URL:
    """Where the request goes after a redirect.

    Args:
        method: The request's method.
        url: Where it was sent.
        status: The redirect's status (one of :data:`REDIRECTS`).
        location: The ``Location`` header, if any.
        hops: How many redirects this call followed already.
        replayable: Whether the body can be sent again (an upload streamed from a file
            cannot).

    Raises:
        RedirectRefusedError: the redirect is not followed; its reason says why.
    """
    if not location:
        raise RedirectRefusedError("the redirect has no Location", "(no Location)")
    try:
        target = url.join(yarl.URL(location))
    except ValueError:
        raise RedirectRefusedError("its Location is not a URL", location) from None
    shown = str(target)
    if target.scheme not in ("http", "https") or not target.host:
        raise RedirectRefusedError("it does not point to an http(s) URL", shown)
    if url.scheme == "https" and target.scheme == "http":
        raise RedirectRefusedError(
            "it leaves https for plain http, where the request and its key would travel "
            "unencrypted",
            shown,
        )
    if status in _TO_GET and method not in ("GET", "HEAD"):
        raise RedirectRefusedError(
            f"a {status} turns a {method} into a GET without its body, whose answer is not "
            "the answer to this call",
            shown,
        )
    if not replayable:
        raise RedirectRefusedError("an upload cannot be sent again to another address", shown)
    if hops >= MAX_REDIRECTS:
        raise RedirectRefusedError(f"it is redirect number {hops + 1} of this call", shown)
    return target


def follow(
    request: Request, response: Any, url: yarl.URL, hops: int
) -> tuple[yarl.URL, dict[str, str]]:
    """Where a redirect (an aiohttp response) sends *request* next, with which headers.

    Raises:
        APIStatusError: the redirect is refused; the message says where the server pointed
            and why (not retried).
    """
    response.release()  # a redirect's body is not read: the connection may go back
    try:
        target = next_hop(
            request.method,
            url,
            response.status,
            response.headers.get("Location"),
            hops,
            request.body is None or isinstance(request.body, bytes),
        )
    except RedirectRefusedError as refused:
        argument, variable = SERVICE_SETTINGS[request.service]
        error = APIStatusError(
            f"The server redirected {request.method} {url} to {refused.target} "
            f"({response.status}) and the client did not follow: {refused.reason}. If the "
            f"service moved, point {argument} (or {variable}) at its new address.",
            response=finished(request, response, b""),
        )
        error._permanent = True
        raise error from None
    headers = request.headers
    if not same_origin(target, request.url):
        # The key is for the service's own address, never for another host.
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    return target, headers
