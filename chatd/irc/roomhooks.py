"""``/msg ChanServ HOOK <#room> ...``: a room's operators make and remove its webhooks from IRC.

The rules (who may, what a hook is) are the session's and :mod:`chatd.api.roomhooks`'s;
this only reads the words and tells the answers, as ChanServ notices to the one
who asked (a new hook's URL and a webhook's secret are told only then).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..api.roomhooks import HELP
from ..core import errors

if TYPE_CHECKING:
    from .context import Context


async def hook(ctx: Context, words: list[str], say: Callable[[str], None]) -> None:
    hooks = ctx.factory.room_hooks
    if hooks is None:
        say("Hooks are not offered here")
        return
    if len(words) < 2:
        for line in HELP:
            say(line)
        return
    room = ctx.session.manage_room(words[0]).name
    verb, args = words[1].upper(), words[2:]
    by = f"account:{ctx.session.account}"
    try:
        if verb == "ADD" and len(args) == 1:
            _, url = await hooks.add_hook(room, args[0], by)
            say(f"POST JSON {{\"text\": ...}} to this URL to post to {room} as {args[0]}; "
                "keep it secret, it is shown only now:")
            say(url)
        elif verb == "WEBHOOK" and len(args) >= 2:
            sub = await hooks.add_webhook(room, args[0], args[1], args[2:], by)
            say(f"Webhook {sub.id}: {room}'s messages go to {sub.url}; its requests are signed "
                "(X-Chatd-Signature) with this secret, shown only now:")
            say(sub.secret)
        elif verb == "LIST" and not args:
            lines = await hooks.listing(room)
            for line in lines:
                say(line)
            say(f"End of {room}'s hooks ({len(lines)})")
        elif verb == "DEL" and len(args) == 1:
            if not await hooks.remove(room, args[0]):
                raise errors.ChatError(room, f"{room} has no hook {args[0]}")
            say(f"Hook {args[0]} of {room} removed")
        else:
            for line in HELP:
                say(line)
    except ValueError as error:
        raise errors.ChatError(room, str(error)) from None
