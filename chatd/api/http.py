"""What every API and webhook request shares: JSON errors, bodies, keys, and the per-key limit.

Errors are ``{"error": code, "message": ...}`` with a 4xx status; the
core's refusals (:class:`~chatd.core.errors.ChatError`) keep their codes, the
same the WebSocket protocol uses, under the status an HTTP client expects.
"""

from __future__ import annotations

import json
import math
from typing import Any, Optional

from twisted.internet.interfaces import IReactorTime
from twisted.web.server import Request

from ..core import errors

STATUS = {
    errors.NoSuchRoom: 404, errors.NoSuchNick: 404, errors.NoSuchAccount: 404, errors.UnknownMessage: 404,
    errors.NickInUse: 409, errors.NickReserved: 409, errors.AlreadyRegistered: 409,
    errors.CannotSend: 403, errors.Banned: 403, errors.InviteOnly: 403, errors.BadKey: 403,
    errors.RoomFull: 403, errors.NotOperator: 403, errors.NotOnRoom: 403, errors.ServerBanned: 403,
    errors.NotServerOperator: 403, errors.AccountRequired: 403, errors.TooManyRooms: 403,
    errors.UserNotInRoom: 404, errors.AccountsUnavailable: 503,
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: Optional[dict[str, str]] = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def from_chat_error(error: errors.ChatError) -> ApiError:
    status = next((s for kind, s in STATUS.items() if isinstance(error, kind)), 400)
    return ApiError(status, error.code, error.describe())


def failure_body(request: Request, failure: Any, not_found: str) -> bytes:
    """Any failure of an API or hook handler as its JSON answer: refusals keep their status, a
    routing miss is 404 or 405, anything else is logged and answered 500 without a traceback."""
    from twisted.logger import Logger
    from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

    if failure.check(ApiError):
        return error_body(request, failure.value)
    if failure.check(errors.ChatError):
        return error_body(request, from_chat_error(failure.value))
    if failure.check(NotFound):
        return error_body(request, ApiError(404, "not_found", not_found))
    if failure.check(MethodNotAllowed):
        return error_body(request, ApiError(405, "method_not_allowed", "That method is not allowed here"))
    if failure.check(HTTPException):
        return error_body(request, ApiError(400, "bad_request", "Bad request"))
    Logger().failure("API request failed", failure)
    return error_body(request, ApiError(500, "internal", "The request failed on the server"))


def respond(request: Request, status: int, body: Any) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json")
    request.setHeader(b"cache-control", b"no-store")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def error_body(request: Request, error: ApiError) -> bytes:
    for name, value in error.headers.items():
        request.setHeader(name.encode(), value.encode())
    return respond(request, error.status, {"error": error.code, "message": error.message})


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (the channel already refused bodies over the bound)."""
    kind = (request.getHeader("content-type") or "application/json").split(";", 1)[0].strip().lower()
    if kind != "application/json":
        raise ApiError(415, "bad_content_type", "Send JSON (Content-Type: application/json)")
    assert request.content is not None
    raw = request.content.read()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "bad_json", "The body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "The body must be a JSON object")
    return data


def field(data: dict[str, Any], name: str, required: bool = True, default: Optional[str] = None) -> Optional[str]:
    value = data.get(name, default)
    if value is None:
        if required:
            raise ApiError(400, "bad_field", f"'{name}' is required")
        return None
    if not isinstance(value, str):
        raise ApiError(400, "bad_field", f"'{name}' must be a string")
    return value


def bearer(request: Request) -> Optional[str]:
    header = request.getHeader("authorization") or ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class RateLimit:
    """A token bucket per key: ``rate`` requests a second, ``burst`` at once; over it, 429 with
    ``Retry-After`` (whole seconds until one more request would pass)."""

    def __init__(self, clock: IReactorTime, rate: float, burst: int) -> None:
        self.clock, self.rate, self.burst = clock, rate, burst
        self.buckets: dict[str, tuple[float, float]] = {}

    def check(self, who: str) -> None:
        if self.rate <= 0:
            return
        now = self.clock.seconds()
        tokens, stamp = self.buckets.get(who, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
        if tokens < 1:
            self.buckets[who] = (tokens, now)
            wait = max(1, math.ceil((1 - tokens) / self.rate))
            raise ApiError(429, "rate_limited", f"Too many requests; try again in {wait} s",
                           {"Retry-After": str(wait)})
        self.buckets[who] = (tokens - 1, now)
        if len(self.buckets) > 10000:  # forget full buckets: they are the default
            self.buckets = {k: v for k, v in self.buckets.items() if v[0] < self.burst}
