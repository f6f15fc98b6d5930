"""``draft/webpush``: an IRC client asks for Web Push notifications of what it would have missed.

``WEBPUSH REGISTER <endpoint> <keys>`` (keys in message-tag form: ``p256dh=...;auth=...``)
keeps a subscription for the client's account, replacing one with the same endpoint, and is
answered ``WEBPUSH REGISTER <endpoint>``; ``WEBPUSH UNREGISTER <endpoint>`` removes one (one that
does not exist is ignored, as the spec says) and is answered likewise; ``WEBPUSH VAPIDPUBKEY``
answers the server's VAPID key, which ISUPPORT also gives as ``VAPID=<key>``.  Each push carries
one IRC line (the message, with its ``msgid`` and ``time``).  What notifies, and when, is the
same for every protocol (:mod:`chatd.push.rules`).  The capability is offered only while push is
on; subscriptions belong to an account, so a guest gets ``FAIL WEBPUSH ACCOUNT_REQUIRED``.
Reference: the IRCv3 draft/webpush specification.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ..core import errors
from .commands import command
from .wire import unescape_tag_value

if TYPE_CHECKING:
    from .context import Context
    from .labels import HeldReply
    from .wire import Message as Line

CAP = "draft/webpush"


def offered(ctx: Any) -> bool:
    return ctx.session.network.push is not None


def isupport(network: Any) -> list[str]:
    return [f"VAPID={network.push.public_key}"] if network.push is not None else []


def parse_keys(text: str) -> dict[str, str]:
    keys = {}
    for item in text.split(";"):
        name, _, value = item.partition("=")
        if name:
            keys[name] = unescape_tag_value(value)
    return keys


@command("WEBPUSH", min_params=1)
def webpush(ctx: Context, msg: Line) -> None:
    sub = msg.params[0].upper()
    fail = f":{ctx.server} FAIL WEBPUSH"
    push = ctx.session.network.push
    if push is None or CAP not in ctx.caps:
        ctx.send(f"{fail} NEED_CAPABILITY {sub} :Request the {CAP} capability first")
        return
    if sub == "VAPIDPUBKEY":
        ctx.send(f":{ctx.server} WEBPUSH VAPIDPUBKEY {push.public_key}")
        return
    if sub not in ("REGISTER", "UNREGISTER") or len(msg.params) < (3 if sub == "REGISTER" else 2):
        ctx.send(f"{fail} INVALID_PARAMS {sub} :Use WEBPUSH REGISTER <endpoint> <keys> or UNREGISTER <endpoint>")
        return
    user = ctx.session.user
    account = user.account if user is not None else None
    if account is None:
        ctx.send(f"{fail} ACCOUNT_REQUIRED {sub} :Log in to an account first: push subscriptions are kept by it")
        return
    ctx.run(_change(ctx, account, sub, msg.params[1:], ctx.hold_reply()), "IRC WEBPUSH", ctx.internal_error)


async def _change(ctx: Context, account: str, sub: str, params: Sequence[str], reply: HeldReply) -> None:
    push = ctx.session.network.push
    endpoint = params[0]
    try:
        if sub == "REGISTER":
            keys = parse_keys(params[1])
            await push.subscribe(account, endpoint, keys.get("p256dh", ""), keys.get("auth", ""), "irc",
                                 ctx.session.device)
        else:
            await push.unsubscribe(account, endpoint)
    except errors.PushRefused as error:
        code = "MAX_REGISTRATIONS" if error.message.startswith("At most") else "INVALID_PARAMS"
        with reply:
            ctx.send(f":{ctx.server} FAIL WEBPUSH {code} {sub} :{error.describe()}")
        return
    with reply:
        ctx.send(f":{ctx.server} WEBPUSH {sub} {endpoint}")
