"""JSON answers of chatd's own HTTP resources (uploads, previews): one shape, ``{"error": code,
"message": ...}`` for refusals, never cached unless the caller says so."""

from __future__ import annotations

import json
from typing import Any

from twisted.web import server


def json_answer(request: server.Request, status: int, body: Any, cache: bool = False) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json")
    if not cache:
        request.setHeader(b"cache-control", b"no-store")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
