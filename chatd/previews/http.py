"""``/previews``: the web client asks for a link's preview (``GET /previews?url=...``, JSON) and
loads its image (``GET /previews/<token>``), both from chatd, in parallel with the chat (a slow
site never holds a connection's frames).  Each address may ask ``PER_MINUTE`` times a minute;
answers from the cache count too, so the server cannot be used as a crawler."""

from __future__ import annotations

from typing import Any

from twisted.internet import defer
from twisted.logger import Logger
from twisted.web import resource, server

from ..core.throttle import Throttle
from ..http.answers import json_answer
from .service import Previews

log = Logger()
PER_MINUTE = 60
IMAGE_CSP = b"default-src 'none'; sandbox"


class PreviewResource(resource.Resource):
    isLeaf = True

    def __init__(self, previews: Previews, clock: Any) -> None:
        super().__init__()
        self.previews = previews
        self.asked = Throttle(clock, PER_MINUTE, 60.0)  # per address

    def render_GET(self, request: server.Request) -> Any:
        address = getattr(request.getClientAddress(), "host", "?")
        if not self.asked.allowed(address):
            request.setHeader(b"retry-after", b"60")
            return json_answer(request, 429, {"error": "rate_limited", "message": "Too many previews asked for"})
        self.asked.record(address)
        path = [p for p in (request.postpath or []) if p]
        if path:
            work = self.previews.image(path[0].decode("utf-8", "replace"))
            return self._answer(request, work, self._image)
        url = (request.args or {}).get(b"url", [b""])[0].decode("utf-8", "replace")
        if not url:
            return json_answer(request, 400, {"error": "bad_field", "message": "Give the link as ?url="})
        return self._answer(request, self.previews.preview(url), self._preview)

    def _answer(self, request: server.Request, work: Any, render: Any) -> Any:
        def done(result: Any) -> None:
            if not request._disconnected:
                request.write(render(request, result))
                request.finish()

        def failed(failure: Any) -> None:
            log.failure("a link preview failed", failure)
            if not request._disconnected:
                request.write(json_answer(request, 500, {"error": "internal", "message": "No preview"}))
                request.finish()

        defer.ensureDeferred(work).addCallbacks(done, failed)
        return server.NOT_DONE_YET

    @staticmethod
    def _preview(request: server.Request, found: Any) -> bytes:
        if found is None:
            return json_answer(request, 404, {"error": "no_preview", "message": "That link has no preview"})
        request.setHeader(b"cache-control", b"private, max-age=3600")
        return json_answer(request, 200, found, cache=True)

    @staticmethod
    def _image(request: server.Request, found: Any) -> bytes:
        if found is None:
            return json_answer(request, 404, {"error": "no_preview", "message": "No such image"})
        data, kind = found
        request.setHeader(b"content-type", kind.encode())
        request.setHeader(b"content-security-policy", IMAGE_CSP)
        request.setHeader(b"cache-control", b"private, max-age=86400")
        return bytes(data)


def preview_resources(previews: Any, clock: Any) -> dict[bytes, resource.IResource]:
    return {} if previews is None else {b"previews": PreviewResource(previews, clock)}
