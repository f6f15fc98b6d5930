"""Looking people up: WHO, WHOIS, ISON, USERHOST.

Reference: modern.ircdocs.horse, "User-Based Queries".  In cluster mode a user
held by another node shows that node as their server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import ROOM_PREFIXES, User
from . import numerics as N
from .commands import command
from .wire import Message

if TYPE_CHECKING:
    from .context import Context

USERHOST_MAX = 5


def server_of(ctx: Context, user: User) -> str:
    """The node a user is on: this server, or another node of the cluster."""
    return getattr(user.client, "node", None) or ctx.server


def _who_line(ctx: Context, user: User, room_name: str, prefix: str) -> None:
    here = "G" if user.away else "H"
    ctx.reply(N.RPL_WHOREPLY, room_name, user.user, user.host, server_of(ctx, user), user.nick, here + prefix,
              f"0 {user.realname}")


@command("WHO")
def who(ctx: Context, msg: Message) -> None:
    mask = msg.params[0] if msg.params else "*"
    if mask[:1] in ROOM_PREFIXES:
        room = ctx.network.find_room(mask)
        if room is not None:
            multi = "multi-prefix" in ctx.caps
            for member in list(room.members):
                _who_line(ctx, member, room.name, room.prefixes(member, multi))
    else:
        user = ctx.network.find_user(mask)
        if user is not None:
            room_name = next(iter(user.rooms.values())).name if user.rooms else "*"
            _who_line(ctx, user, room_name, "")
    ctx.reply(N.RPL_ENDOFWHO, mask, "End of WHO list")


@command("WHOIS", min_params=1)
def whois(ctx: Context, msg: Message) -> None:
    nick = msg.params[-1]
    user = ctx.network.find_user(nick)
    if user is None:
        ctx.reply(N.ERR_NOSUCHNICK, nick, "No such nick/channel")
        ctx.reply(N.RPL_ENDOFWHOIS, nick, "End of /WHOIS list")
        return
    ctx.reply(N.RPL_WHOISUSER, user.nick, user.user, user.host, "*", user.realname)
    if user.rooms:
        rooms = " ".join(r.prefixes(user) + r.name for r in user.rooms.values())
        ctx.reply(N.RPL_WHOISCHANNELS, user.nick, rooms)
    ctx.reply(N.RPL_WHOISSERVER, user.nick, server_of(ctx, user), f"chatd ({user.protocol})")
    if user.away:
        ctx.reply(N.RPL_AWAY, user.nick, user.away)
    idle = int(ctx.network.clock() - user.last_active)
    ctx.reply(N.RPL_WHOISIDLE, user.nick, str(idle), str(int(user.signon)), "seconds idle, signon time")
    ctx.reply(N.RPL_ENDOFWHOIS, user.nick, "End of /WHOIS list")


@command("ISON", min_params=1)
def ison(ctx: Context, msg: Message) -> None:
    found = []
    for nick in " ".join(msg.params).split():
        user = ctx.network.find_user(nick)
        if user is not None:
            found.append(user.nick)
    ctx.reply(N.RPL_ISON, " ".join(found))


@command("USERHOST", min_params=1)
def userhost(ctx: Context, msg: Message) -> None:
    found = []
    for nick in " ".join(msg.params).split()[:USERHOST_MAX]:
        user = ctx.network.find_user(nick)
        if user is not None:
            found.append(f"{user.nick}={'-' if user.away else '+'}{user.user}@{user.host}")
    ctx.reply(N.RPL_USERHOST, " ".join(found))
