"""One ``twisted.web`` Site: ``/`` the web client, ``/ws`` the WebSocket,
``/api/v1/`` and ``/hooks/`` (:mod:`chatd.api`, unless ``--api`` gives them a
listener of their own), ``/healthz`` for load balancers and monitoring.  Metrics have a listener of
their own (``--metrics``), never the public one.

Paths that cannot name a file (NUL, control bytes, invalid UTF-8) are
answered ``400`` before any resource sees them; connections live under the
limits of :mod:`.channel`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from autobahn.twisted.resource import WebSocketResource
from twisted.web import pages, resource, server, static

import chatd

from .channel import HTTPLimits, LimitedHTTPChannel, LimitedRequest

if TYPE_CHECKING:
    from ..ws.factory import ChatWebSocketFactory

# Nothing but our own files, and sockets back to where the page came from.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def find_web_root(configured: Optional[str] = None) -> Path:
    """The web client's files: installed beside the package, or ``web/`` in a checkout."""
    if configured:
        return Path(configured)
    package = Path(chatd.__file__).resolve().parent
    for candidate in (package / "webclient", package.parent / "web"):
        if (candidate / "index.html").is_file():
            return candidate
    raise FileNotFoundError("the web client (index.html) is not installed; use --web-root")


class Health(resource.Resource):
    isLeaf = True

    def __init__(self, report: Callable[[], dict[str, Any]]) -> None:
        super().__init__()
        self.report = report

    def render_GET(self, request: server.Request) -> bytes:
        body = self.report()
        request.setResponseCode(200 if body.get("status") in ("ok", "degraded") else 503)
        request.setHeader(b"content-type", b"application/json")
        request.setHeader(b"cache-control", b"no-store")
        return json.dumps(body).encode("utf-8")


def bad_path(segments: list[bytes]) -> bool:
    for segment in segments:
        if any(byte < 0x20 or byte == 0x7F for byte in segment):
            return True
        try:
            segment.decode("utf-8")
        except UnicodeDecodeError:
            return True
    return False


class ChatSite(server.Site):
    protocol = LimitedHTTPChannel  # type: ignore[assignment]
    requestFactory = LimitedRequest
    limits: HTTPLimits

    def getResourceFor(self, request: server.Request) -> resource.IResource:
        request.setHeader(b"content-security-policy", CSP.encode())
        request.setHeader(b"x-content-type-options", b"nosniff")
        request.setHeader(b"referrer-policy", b"no-referrer")
        if bad_path(list(request.prepath or []) + list(request.postpath or [])):
            return pages.errorPage(400, "Bad Request", "That path cannot name anything here.")
        return super().getResourceFor(request)


class ChatWebSocketResource(WebSocketResource):
    """Autobahn's resource, telling the HTTP channel that its socket is upgraded."""

    def render(self, request: server.Request) -> Any:
        upgraded = getattr(request.channel, "upgraded", None)
        if upgraded is not None and request.channel.transport is not None:
            upgraded()
        return super().render(request)


class ClientFiles(static.File):
    """The web client's files; folders are not listed."""

    def directoryListing(self) -> resource.IResource:
        return pages.forbidden("No listing")


def make_site(
    web_root: Path,
    ws_factory: ChatWebSocketFactory,
    health: Callable[[], dict[str, Any]],
    limits: HTTPLimits,
    api: Optional[dict[bytes, resource.IResource]] = None,
) -> ChatSite:
    root = ClientFiles(str(web_root))
    root.contentTypes = dict(root.contentTypes, **{".js": "text/javascript", ".mjs": "text/javascript",
                                                    ".css": "text/css", ".svg": "image/svg+xml"})
    root.indexNames = ["index.html"]
    root.putChild(b"ws", ChatWebSocketResource(ws_factory))
    root.putChild(b"healthz", Health(health))
    for name, child in (api or {}).items():  # /api and /hooks, unless --api gives them a listener
        root.putChild(name, child)
    return _site(root, limits)


def make_api_site(api: dict[bytes, resource.IResource], health: Callable[[], dict[str, Any]],
                  limits: HTTPLimits) -> ChatSite:
    """The API's own listener (``--api``): ``/api/v1/``, ``/hooks/`` and ``/healthz``."""
    root = resource.Resource()
    for name, child in api.items():
        root.putChild(name, child)
    root.putChild(b"healthz", Health(health))
    return _site(root, limits)


def make_metrics_site(metrics: resource.IResource, health: Callable[[], dict[str, Any]],
                      limits: HTTPLimits) -> ChatSite:
    """The operator's listener: ``/metrics`` (Prometheus) and ``/healthz``."""
    root = resource.Resource()
    root.putChild(b"metrics", metrics)
    root.putChild(b"healthz", Health(health))
    return _site(root, limits)


def _site(root: resource.IResource, limits: HTTPLimits) -> ChatSite:
    site = ChatSite(root)
    site.limits = limits
    site.timeOut = 60  # idle keep-alive connections go after a minute, not twisted.web's 12 hours
    site.noisy = False
    site.displayTracebacks = False
    return site
