"""``/upload`` and ``/files/<id>/<name>``: the HTTP side of uploads.

``POST /upload`` takes the raw file (soju's filehost draft, which ``draft/FILEHOST`` advertises):
its type in ``Content-Type`` (a hint only: the bytes are sniffed), its name in
``Content-Disposition: attachment; filename=...`` (RFC 6266, ``filename*`` too), credentials in
``Authorization``; it answers ``201 Created`` with ``Location`` and a JSON body.  ``OPTIONS``
answers with ``Accept-Post``.  The channel lets this path's bodies grow to ``--upload-max-size``
(every other path keeps the API's bound).

A file is served with its sniffed type, ``X-Content-Type-Options: nosniff``, a sandboxing CSP,
and ``Content-Disposition``: images, video and audio ``inline``, everything else ``attachment``,
so nothing uploaded ever runs as a page of the chat's origin.  ``twisted.web.static.File``
serves the bytes (HEAD, ranges for video seeking, conditional requests); it reads in 64 KiB
pieces, from the page cache in practice, which is the one disk read left on the reactor.
"""

from __future__ import annotations

import email.message
from typing import Any, Optional
from urllib.parse import quote

from twisted.internet import defer
from twisted.logger import Logger
from twisted.web import resource, server, static

from ..http.answers import json_answer
from .service import UploadRefused, Uploads
from .sniff import inline

log = Logger()
FILE_CSP = b"default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def filename_of(header: Optional[str]) -> str:
    """The file name a ``Content-Disposition`` header gives (``filename*`` first), or ""."""
    if not header:
        return ""
    message = email.message.Message()
    message["content-disposition"] = header
    try:
        return str(message.get_filename() or "")
    except (ValueError, LookupError):
        return ""


class UploadResource(resource.Resource):
    isLeaf = True

    def __init__(self, uploads: Uploads) -> None:
        super().__init__()
        self.uploads = uploads

    def render_OPTIONS(self, request: server.Request) -> bytes:
        request.setResponseCode(204)
        request.setHeader(b"accept-post", ", ".join(self.uploads.settings.types).encode())
        request.setHeader(b"allow", b"OPTIONS, POST")
        return b""

    def render_POST(self, request: server.Request) -> Any:
        if request.postpath not in ([], [b""]):
            return json_answer(request, 404, {"error": "not_found", "message": "Upload to /upload"})
        assert request.content is not None
        request.content.seek(0, 2)
        length = request.content.tell()
        name = filename_of(request.getHeader("content-disposition"))
        address = request.getClientAddress()
        work = self.uploads.upload(request.getHeader("authorization") or "", getattr(address, "host", "?"),
                                   name, length, request.content)

        def done(record: Any) -> None:
            url = self.uploads.file_url(record)
            request.setHeader(b"location", url.encode("ascii"))
            body = json_answer(request, 201, {"url": url, "id": record.id, "name": record.name, "type": record.type,
                                        "size": record.size, "expires": record.expires or None})
            request.write(body)

        def refused(failure: Any) -> None:
            if failure.check(UploadRefused):
                error = failure.value
                for header, value in error.headers.items():
                    request.setHeader(header.encode(), value.encode())
                request.write(json_answer(request, error.status, {"error": error.code, "message": error.message}))
            else:
                log.failure("upload failed", failure)
                request.write(json_answer(request, 500, {"error": "internal", "message": "The upload failed"}))

        def finish(_: Any) -> None:
            if not request.finished and not request._disconnected:
                request.finish()

        defer.ensureDeferred(work).addCallbacks(done, refused).addBoth(finish)
        return server.NOT_DONE_YET

    def render_GET(self, request: server.Request) -> bytes:
        request.setHeader(b"allow", b"OPTIONS, POST")
        return json_answer(request, 405, {"error": "method_not_allowed", "message": "POST a file here"})


class FileResource(resource.Resource):
    """``/files/<id>/<name>``: the name is for people and saving; the id finds the file."""

    isLeaf = True

    def __init__(self, uploads: Uploads) -> None:
        super().__init__()
        self.uploads = uploads

    def render_GET(self, request: server.Request) -> Any:
        path = request.postpath or []
        if not path or not path[0]:
            return json_answer(request, 404, {"error": "not_found", "message": "No such file"})
        file_id = path[0].decode("utf-8", "replace")
        if file_id in self.uploads.gone:
            return json_answer(request, 404, {"error": "not_found", "message": "Deleted with its message"})

        def found(result: Any) -> None:
            if request._disconnected:
                return
            if result is None or (result[0].expires and result[0].expires <= self.uploads.clock()):
                request.write(json_answer(request, 404, {"error": "not_found", "message": "No such file (it may have "
                                                   "expired or been deleted with its message)"}))
                request.finish()
                return
            record, where = result
            request.setHeader(b"content-security-policy", FILE_CSP)
            request.setHeader(b"x-content-type-options", b"nosniff")
            request.setHeader(b"cross-origin-resource-policy", b"same-origin")
            request.setHeader(b"cache-control", b"private, max-age=86400")
            how = "inline" if inline(record.type) else "attachment"
            ascii_name = record.name.encode("ascii", "replace").decode().replace("?", "_").replace("\\", "_")
            request.setHeader(b"content-disposition", (
                f"{how}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(record.name, safe='')}").encode())
            served = static.File(str(where), defaultType=record.type)
            charset = "; charset=utf-8" if record.type == "text/plain" else ""
            served.type, served.encoding = record.type + charset, None
            body = served.render(request)
            if body is not server.NOT_DONE_YET:  # HEAD, not modified, a bad range: all said in headers
                request.write(body)
                request.finish()

        def failed(failure: Any) -> None:
            log.failure("serving a file", failure)
            if not request._disconnected:
                request.write(json_answer(request, 500, {"error": "internal", "message": "The file could not be read"}))
                request.finish()

        self.uploads.store.get(file_id).addCallbacks(found, failed)
        return server.NOT_DONE_YET

    render_HEAD = render_GET


def upload_resources(uploads: Optional[Uploads]) -> dict[bytes, resource.IResource]:
    """The web listener's ``/upload`` and ``/files`` (none when uploads are off)."""
    if uploads is None:
        return {}
    return {b"upload": UploadResource(uploads), b"files": FileResource(uploads)}
