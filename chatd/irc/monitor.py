"""IRCv3 MONITOR (with extended-monitor): being told when nicks come and go.

Each IRC listener keeps who watches which (folded) nick; the network tells it
when anyone, on any protocol and any node, comes online, goes offline, or
changes their away message or real name: :meth:`Monitors.changed` is a sink
of every record the network applies (``Network.seen``).  Watchers
get 730/731, and with ``extended-monitor`` (plus ``away-notify`` or
``setname``) the AWAY and SETNAME lines of people they share no room with.
Reference: ircv3.net/specs/extensions/monitor, .../extended-monitor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

from ..core import User, casefold, events
from . import numerics as N
from .commands import command
from .render import trailing
from .wire import Message

if TYPE_CHECKING:
    from .context import Context


class Monitors:
    def __init__(self, find_user: Callable[[str], Optional[User]]) -> None:
        self.find_user = find_user
        self.watching: dict[str, set[Context]] = {}  # folded nick -> connections

    def add(self, conn: Context, folded: str) -> None:
        self.watching.setdefault(folded, set()).add(conn)
        if not isinstance(conn.monitoring, set):
            conn.monitoring = set()  # the first MONITOR of this client
        conn.monitoring.add(folded)

    def remove(self, conn: Context, folded: str) -> None:
        conns = self.watching.get(folded)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.watching[folded]
        if isinstance(conn.monitoring, set):
            conn.monitoring.discard(folded)

    def clear(self, conn: Context) -> None:
        for folded in list(conn.monitoring):
            self.remove(conn, folded)

    def changed(self, record: events.Event) -> None:
        """A change applied anywhere in the network: watchers of the nicks it is about hear of it."""
        if not self.watching:
            return
        if isinstance(record, events.Connected):
            self._tell("online", record.who.nick)
        elif isinstance(record, events.Quit):
            self._tell("offline", record.who.nick)
        elif isinstance(record, events.NickChanged):
            if casefold(record.who.nick) != casefold(record.new_nick):
                self._tell("offline", record.who.nick)
                self._tell("online", record.new_nick)
        elif isinstance(record, events.AwayChanged):
            self._tell("away", record.who.nick)
        elif isinstance(record, events.UserChanged) and record.realname_changed:
            self._tell("realname", record.who.nick)

    def _tell(self, kind: str, nick: str) -> None:
        conns = self.watching.get(casefold(nick))
        if not conns:
            return
        user = self.find_user(nick)
        for conn in list(conns):
            if conn.closing:
                continue
            if kind == "offline":
                conn.reply(N.RPL_MONOFFLINE, nick)
            elif user is None:
                continue
            elif kind == "online":
                conn.reply(N.RPL_MONONLINE, user.identity.mask)
            elif "extended-monitor" in conn.caps and not _share_a_room(conn, user):
                if kind == "away" and "away-notify" in conn.caps:
                    conn.send(f":{user.identity.mask} AWAY {trailing(user.away)}" if user.away
                              else f":{user.identity.mask} AWAY")
                elif kind == "realname" and "setname" in conn.caps:
                    conn.send(f":{user.identity.mask} SETNAME {trailing(user.realname)}")


def _share_a_room(conn: Context, user: User) -> bool:
    me = conn.session.user
    return me is not None and any(me in room.members for room in user.rooms.values())


@command("MONITOR", min_params=1)
def monitor(ctx: Context, msg: Message) -> None:
    conn = ctx  # MONITOR keeps its list on the connection itself
    monitors = ctx.factory.monitors
    sub = msg.params[0]
    targets = [t for t in (msg.params[1].split(",") if len(msg.params) > 1 else []) if t]
    if sub == "+":
        limit = ctx.network.limits.monitor
        online: list[str] = []
        offline: list[str] = []
        for index, nick in enumerate(targets):
            if len(conn.monitoring) >= limit and casefold(nick) not in conn.monitoring:
                ctx.reply(N.ERR_MONLISTFULL, str(limit), ",".join(targets[index:]), "Monitor list is full.")
                break
            monitors.add(conn, casefold(nick))
            user = ctx.network.find_user(nick)
            (online if user is not None else offline).append(user.identity.mask if user else nick)
        if online:
            ctx.reply(N.RPL_MONONLINE, ",".join(online))
        if offline:
            ctx.reply(N.RPL_MONOFFLINE, ",".join(offline))
    elif sub == "-":
        for nick in targets:
            monitors.remove(conn, casefold(nick))
    elif sub.upper() == "C":
        monitors.clear(conn)
    elif sub.upper() == "L":
        if conn.monitoring:
            ctx.reply(N.RPL_MONLIST, ",".join(sorted(conn.monitoring)))
        ctx.reply(N.RPL_ENDOFMONLIST, "End of MONITOR list")
    elif sub.upper() == "S":
        users = [ctx.network.find_user(nick) for nick in sorted(conn.monitoring)]
        on = [u.identity.mask for u in users if u is not None]
        off = [nick for nick, u in zip(sorted(conn.monitoring), users, strict=True) if u is None]
        if on:
            ctx.reply(N.RPL_MONONLINE, ",".join(on))
        if off:
            ctx.reply(N.RPL_MONOFFLINE, ",".join(off))
    else:
        ctx.reply(N.ERR_UNKNOWNCOMMAND, "MONITOR", "Unknown MONITOR subcommand")
