"""Web Push frames of ``chatd.v1`` (docs/protocol.md): a signed-in browser asks to be notified.

``welcome`` carries ``vapid``, the key a service worker subscribes with (null: push is off).
``push_subscribe`` keeps the browser's subscription (``endpoint``, ``keys.p256dh``, ``keys.auth``,
optional ``device``) for the account, ``push_unsubscribe`` drops one, ``push_list`` lists them.
What notifies is the same for every protocol (:mod:`chatd.push.rules`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .handlers import FrameError, Request, _run, handler, text_field

if TYPE_CHECKING:
    from .surface import WebConnection


def _push_and_account(conn: WebConnection) -> tuple[Any, str]:
    push = conn.session.network.push
    if push is None:
        raise FrameError("push_off", "This server sends no push notifications")
    user = conn.session.user
    if user is None or user.account is None:
        raise FrameError("account_required", "Sign in first: push subscriptions belong to an account")
    return push, user.account


@handler("push_subscribe")
def push_subscribe(conn: WebConnection, request: Request) -> None:
    push, account = _push_and_account(conn)
    endpoint = text_field(request, "endpoint")
    keys = request.get("keys")
    if not isinstance(keys, dict) or not all(isinstance(keys.get(k), str) for k in ("p256dh", "auth")):
        raise FrameError("bad_field", "'keys' must hold p256dh and auth")
    device = text_field(request, "device", required=False) or conn.session.device or "browser"

    async def work() -> None:
        await push.subscribe(account, endpoint, keys["p256dh"], keys["auth"], "web", device)
        conn.answer(request, {"type": "push_subscribed", "endpoint": endpoint})

    _run(conn, request, work(), "push subscribe")


@handler("push_unsubscribe")
def push_unsubscribe(conn: WebConnection, request: Request) -> None:
    push, account = _push_and_account(conn)
    endpoint = text_field(request, "endpoint")

    async def work() -> None:
        removed = await push.unsubscribe(account, endpoint)
        conn.answer(request, {"type": "push_unsubscribed", "endpoint": endpoint, "removed": removed})

    _run(conn, request, work(), "push unsubscribe")


@handler("push_list")
def push_list(conn: WebConnection, request: Request) -> None:
    push, account = _push_and_account(conn)

    async def work() -> None:
        found = await push.subscriptions(account)
        conn.answer(request, {"type": "push_subscriptions", "subscriptions": [
            {"endpoint": s.endpoint, "format": s.format, "device": s.device, "created": s.created}
            for s in found]})

    _run(conn, request, work(), "push list")
