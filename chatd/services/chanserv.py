"""ChanServ: registered rooms, and a room's webhooks for its operators (``HOOK``).

The rules (who may, what a hook is) are the session's and :mod:`chatd.api.roomhooks`'s;
this reads the words and tells the answers to the one who asked (a new hook's
URL and a webhook's secret are told only then).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from ..core import errors

if TYPE_CHECKING:
    from .user import ServiceUser

HELP = [
    "REGISTER <#room>  keep the room's modes, lists and operators (by account)",
    "INFO <#room>      who owns a room",
    "HOOK <#room> ...  the room's webhooks (HOOK alone tells more)",
]

HOOK_HELP = [
    "HOOK <#room> ADD <nick>                  a secret URL that posts to the room as <nick> (a bot)",
    "HOOK <#room> WEBHOOK <nick> <url> [!word ...]  POST the room's messages (or only those starting "
    "with a word), and mentions of <nick>, to url; its answers are <nick>'s replies",
    "HOOK <#room> LIST                        the room's hooks and webhooks",
    "HOOK <#room> DEL <id>                    remove one",
]


async def chanserv(user: ServiceUser, words: list[str], room_hooks: Any) -> None:
    def say(text: str) -> None:
        user.service_says("ChanServ", text)

    session = user.session
    verb = words[0].upper() if words else "HELP"
    try:
        if verb == "HOOK":
            await hook(user, words[1:], say, room_hooks)
        elif verb == "REGISTER" and len(words) > 1:
            room = session.moderation.register_room(words[1])
            say(f"{room.name} is registered to {room.founder}: its modes, lists and operators are kept")
        elif verb == "INFO" and len(words) > 1:
            room = session.network.room(words[1])
            founder: Optional[str] = room.founder
            say(f"{room.name}: " + (f"registered to {founder}; operators: {', '.join(sorted(room.op_accounts))}"
                                    if founder else "not registered"))
        else:
            for line in HELP:
                say(line)
    except errors.ChatError as error:
        say(error.describe())


async def hook(user: ServiceUser, words: list[str], say: Callable[[str], None], hooks: Any) -> None:
    if hooks is None:
        say("Hooks are not offered here")
        return
    if len(words) < 2:
        for line in HOOK_HELP:
            say(line)
        return
    session = user.session
    room = session.moderation.manage_room(words[0]).name
    verb, args = words[1].upper(), words[2:]
    by = f"account:{session.account}"
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
            for line in HOOK_HELP:
                say(line)
    except ValueError as error:
        raise errors.ChatError(room, str(error)) from None
