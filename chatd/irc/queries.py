"""Looking people up: WHO, WHOIS, ISON, USERHOST.

Reference: modern.ircdocs.horse, "User-Based Queries".  In cluster mode a user
held by another node shows that node as their server.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import time
from typing import TYPE_CHECKING, Optional

from ..core import ROOM_PREFIXES, Room, User, casefold
from ..core.queries import can_find, rooms_shown
from . import numerics as N
from .commands import command
from .wire import Message

if TYPE_CHECKING:
    from .context import Context

USERHOST_MAX = 5


def server_of(ctx: Context, user: User) -> str:
    """The node a user is on: this server, or another node of the cluster."""
    return getattr(user.client, "node", None) or ctx.server


#: WHOX fields in the order their values are sent (ircv3.net/specs/extensions/whox).
WHOX_ORDER = "tcuihsnfdlaor"


def _visible(ctx: Context, user: User) -> bool:
    return can_find(user, ctx.session.user)


def _flags(ctx: Context, user: User, room: Optional[Room]) -> str:
    flags = ("G" if user.away else "H") + ("*" if "o" in user.modes else "") + ("B" if "B" in user.modes else "")
    if room is not None:
        flags += room.prefixes(user, "multi-prefix" in ctx.caps)
    return flags


def _matches(mask: str, user: User, server: str) -> bool:
    folded = casefold(mask)
    return any(fnmatch.fnmatchcase(casefold(value), folded)
               for value in (user.nick, user.user, user.host, server, user.realname))


def _who_targets(ctx: Context, mask: str) -> list[tuple[User, Optional[Room]]]:
    network = ctx.network
    if mask[:1] in ROOM_PREFIXES:
        room = network.find_room(mask)
        if room is None:
            return []
        inside = ctx.session.user in room.members
        return [(member, room) for member in list(room.members) if inside or _visible(ctx, member)]
    if not any(ch in mask for ch in "*?") and mask != "0":
        found = network.find_user(mask)  # an exact nick is answered, as WHOIS would
        return [(found, None)] if found is not None else []
    everyone = mask in ("*", "0")
    return [(user, None) for user in list(network.users.values())
            if _visible(ctx, user) and (everyone or _matches(mask, user, server_of(ctx, user)))]


@command("WHO")
def who(ctx: Context, msg: Message) -> None:
    mask = msg.params[0] if msg.params and msg.params[0] else "*"
    options = msg.params[1] if len(msg.params) > 1 else ""
    flags, whox, rest = options.partition("%")
    fields, _, token = rest.partition(",")
    for user, room in _who_targets(ctx, mask):
        if "o" in flags:
            continue  # only server operators were asked for, and there are none yet
        if whox:
            _whox_line(ctx, user, room, fields, token)
        else:
            ctx.reply(N.RPL_WHOREPLY, room.name if room else "*", user.user, user.host, server_of(ctx, user),
                      user.nick, _flags(ctx, user, room), f"0 {user.realname}")
    ctx.reply(N.RPL_ENDOFWHO, mask, "End of WHO list")


def _whox_line(ctx: Context, user: User, room: Optional[Room], fields: str, token: str) -> None:
    values = {
        "t": token if token.isdigit() and len(token) <= 3 else "0",
        "c": room.name if room else "*",
        "u": user.user,
        "i": user.host if _looks_like_ip(user.host) else "255.255.255.255",
        "h": user.host,
        "s": server_of(ctx, user),
        "n": user.nick,
        "f": _flags(ctx, user, room),
        "d": "0",
        "l": str(max(0, int(ctx.network.clock() - user.last_active))),
        "a": user.account or "0",
        "o": "n/a",
        "r": user.realname,
    }
    params = [values[field] for field in WHOX_ORDER if field in fields]
    if params:
        ctx.reply(N.RPL_WHOSPCRPL, *params)


def _looks_like_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@command("WHOWAS")
def whowas(ctx: Context, msg: Message) -> None:
    if not msg.params or not msg.params[0]:
        ctx.reply(N.ERR_NONICKNAMEGIVEN, "No nickname given")
        return
    count = int(msg.params[1]) if len(msg.params) > 1 and msg.params[1].isdigit() else 0
    for nick in msg.params[0].split(",")[:USERHOST_MAX]:
        entries = ctx.network.whowas.lookup(nick, count)
        if not entries:
            ctx.reply(N.ERR_WASNOSUCHNICK, nick, "There was no such nickname")
        for entry in entries:
            ctx.reply(N.RPL_WHOWASUSER, entry.nick, entry.user, entry.host, "*", entry.realname)
            when = time.strftime("%a %b %d %H:%M:%S %Y UTC", time.gmtime(entry.when))
            ctx.reply(N.RPL_WHOISSERVER, entry.nick, entry.server, when)
        ctx.reply(N.RPL_ENDOFWHOWAS, nick, "End of WHOWAS")


@command("WHOIS", min_params=1)
def whois(ctx: Context, msg: Message) -> None:
    nick = msg.params[-1]
    user = ctx.network.find_user(nick)
    if user is None:
        ctx.reply(N.ERR_NOSUCHNICK, nick, "No such nick/channel")
        ctx.reply(N.RPL_ENDOFWHOIS, nick, "End of /WHOIS list")
        return
    ctx.reply(N.RPL_WHOISUSER, user.nick, user.user, user.host, "*", user.realname)
    me = ctx.session.me()
    shown = rooms_shown(user, me)
    if shown:
        rooms = " ".join(r.prefixes(user) + r.name for r in shown)
        ctx.reply(N.RPL_WHOISCHANNELS, user.nick, rooms)
    ctx.reply(N.RPL_WHOISSERVER, user.nick, server_of(ctx, user), f"chatd ({user.protocol})")
    if "o" in user.modes:
        ctx.reply(N.RPL_WHOISOPERATOR, user.nick, "is an IRC operator")
    if user.account:
        ctx.reply(N.RPL_WHOISACCOUNT, user.nick, user.account, "is logged in as")
    if user.away:
        ctx.reply(N.RPL_AWAY, user.nick, user.away)
    if user.address and user.address != user.host and (user is me or "o" in me.modes):
        ctx.reply(N.RPL_WHOISHOST, user.nick, f"is connecting from *@{user.address} {user.address}")
    if "B" in user.modes:
        ctx.reply(N.RPL_WHOISBOT, user.nick, f"is a bot on {ctx.network.network_name}")
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
