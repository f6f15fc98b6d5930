"""Channels: JOIN, PART, TOPIC, NAMES, LIST, KICK, INVITE and MODE.

Reference: modern.ircdocs.horse, "Channel Operations".  Mode arguments are
parsed by the pure functions of :mod:`.modes`; the rules (who may do what)
are the core's.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Optional

from ..core import ROOM_PREFIXES, Room, casefold, errors
from ..core.events import Joined
from . import numerics as N
from .commands import command
from .missed import replay_room
from .modes import MAX_CHANGES, not_applied, parse_room_modes, parse_user_modes
from .wire import Message

if TYPE_CHECKING:
    from ..core import User
    from .context import Context


@command("JOIN", min_params=1)
def join(ctx: Context, msg: Message) -> None:
    if msg.params[0] == "0":
        ctx.session.part_all()
        return
    names = msg.params[0].split(",")
    keys = msg.params[1].split(",") if len(msg.params) > 1 else []
    for index, name in enumerate(names):
        key = keys[index] if index < len(keys) else None
        try:
            room, new = ctx.session.join(name, key)
        except errors.ChatError as error:
            ctx.fail(error)
            continue
        if new:
            if room.topic:
                send_topic(ctx, room)
            send_names(ctx, room)
            replay_room(ctx, room.name)
            if "draft/read-marker" in ctx.caps:
                ctx.run(_marker_on_join(ctx, room.name), "read marker on join")


def show_room(ctx: Context, name: str, joined: bool) -> None:
    """The person is in ``name`` through another of their connections (multiclient): this client
    sees it as its own join (the JOIN unless fan-out already brought it, the topic, NAMES)."""
    user = ctx.session.user
    room = ctx.network.find_room(name)
    if user is None or room is None or user not in room.members or ctx.closing:
        return
    if not joined:
        line = ctx.encode(Joined(ctx.network.clock(), room.name, user.identity, user.away))
        if line is not None:
            ctx.write(line)
    if room.topic:
        send_topic(ctx, room)
    send_names(ctx, room)
    if not joined:
        replay_room(ctx, room.name)


async def _marker_on_join(ctx: Context, name: str) -> None:
    """draft/read-marker: a client joining a room learns how far its person has read it."""
    from .messaging import send_marker

    try:
        found = await ctx.session.read_marker(name)
    except errors.ChatError:
        return  # left again meanwhile
    if not ctx.closing:
        send_marker(ctx, name, found)


@command("PART", min_params=1)
def part(ctx: Context, msg: Message) -> None:
    reason = msg.params[1] if len(msg.params) > 1 else ""
    for name in msg.params[0].split(","):
        try:
            ctx.session.part(name, reason)
        except errors.ChatError as error:
            ctx.fail(error)


def send_topic(ctx: Context, room: Room) -> None:
    ctx.reply(N.RPL_TOPIC, room.name, room.topic)
    ctx.reply(N.RPL_TOPICWHOTIME, room.name, room.topic_by, str(int(room.topic_time)))


def send_names(ctx: Context, room: Room, members: Optional[list[User]] = None) -> None:
    """353 lines of ``members`` (all of ``room``'s when not given: the joiner's own view), then 366."""
    multi = "multi-prefix" in ctx.caps
    full = "userhost-in-names" in ctx.caps
    names = [room.prefixes(member, multi) + (member.identity.mask if full else member.nick)
             for member in (room.members if members is None else members)]
    symbol = "@" if "s" in room.flags else "="  # RPL_NAMREPLY: "@" secret, "=" public
    # Keep each 353 line comfortably under 512 bytes.
    head = len(ctx.server) + len(ctx.me) + len(room.name) + 16
    batch: list[str] = []
    size = head
    for name in names:
        if batch and size + len(name) + 1 > 500:
            ctx.reply(N.RPL_NAMREPLY, symbol, room.name, " ".join(batch))
            batch, size = [], head
        batch.append(name)
        size += len(name) + 1
    if batch:
        ctx.reply(N.RPL_NAMREPLY, symbol, room.name, " ".join(batch))
    ctx.reply(N.RPL_ENDOFNAMES, room.name, "End of /NAMES list.")


@command("NAMES")
def names(ctx: Context, msg: Message) -> None:
    if not msg.params:
        ctx.reply(N.RPL_ENDOFNAMES, "*", "End of /NAMES list.")
        return
    for name in msg.params[0].split(","):
        try:
            room, members = ctx.session.members(name)
        except errors.NoSuchRoom:  # also a secret room asked for by an outsider
            ctx.reply(N.RPL_ENDOFNAMES, name, "End of /NAMES list.")
        else:
            send_names(ctx, room, members)


@command("TOPIC", min_params=1)
def topic(ctx: Context, msg: Message) -> None:
    name = msg.params[0]
    if len(msg.params) > 1:
        ctx.session.set_topic(name, msg.params[1])
        return
    room = ctx.network.room(name)
    if room.topic:
        send_topic(ctx, room)
    else:
        ctx.reply(N.RPL_NOTOPIC, room.name, "No topic is set")


@command("LIST")
def list_(ctx: Context, msg: Message) -> None:
    ctx.reply(N.RPL_LISTSTART, "Channel", "Users  Name")
    terms = [t for t in (msg.params[0].split(",") if msg.params and msg.params[0] else []) if t]
    if terms and all(t[:1] in ROOM_PREFIXES and not any(c in t for c in "*?") for t in terms):
        rooms = [room for room in (ctx.network.find_room(name) for name in terms) if room is not None]
    else:
        now = ctx.network.clock()
        rooms = [room for room in ctx.network.rooms.values() if list_matches(room, terms, now)]
    visible = set(ctx.session.rooms())  # secret rooms are listed to their members only
    for room in rooms:
        if room in visible:
            ctx.reply(N.RPL_LIST, room.name, str(len(room.members)), room.topic)
    ctx.reply(N.RPL_LISTEND, "End of /LIST")


def list_matches(room: Room, terms: list[str], now: float) -> bool:
    """ELIST conditions (ISUPPORT ELIST=CMNTU): all must hold.

    ``>n``/``<n`` users; ``C>m``/``C<m`` created more/less than m minutes ago;
    ``T>m``/``T<m`` topic set more/less than m minutes ago; a mask (M), or
    ``!mask`` to exclude (N).  An unreadable condition matches nothing.
    """
    for term in terms:
        kind, op, value = (term[0], term[1:2], term[2:]) if term[:1] in "CT" and term[1:2] in "<>" \
            else ("U", term[:1], term[1:])
        if op in ("<", ">") and kind in "CTU":
            if not value.isdigit():
                return False
            if kind == "U":
                amount = len(room.members)
            else:
                since = room.created if kind == "C" else room.topic_time
                if kind == "T" and not room.topic:
                    return False
                amount = int((now - since) // 60)
            if not (amount > int(value) if op == ">" else amount < int(value)):
                return False
        elif term.startswith("!"):
            if fnmatch.fnmatchcase(casefold(room.name), casefold(term[1:])):
                return False
        elif not fnmatch.fnmatchcase(casefold(room.name), casefold(term)):
            return False
    return True


@command("KICK", min_params=2)
def kick(ctx: Context, msg: Message) -> None:
    reason = msg.params[2] if len(msg.params) > 2 else ctx.me
    for target in msg.params[1].split(","):
        try:
            ctx.session.kick(msg.params[0], target, reason)
        except errors.ChatError as error:
            ctx.fail(error)


@command("INVITE", min_params=2)
def invite(ctx: Context, msg: Message) -> None:
    target, name = msg.params[0], msg.params[1]
    victim = ctx.session.invite(target, name)
    ctx.reply(N.RPL_INVITING, victim.nick, name)
    if victim.away:
        ctx.reply(N.RPL_AWAY, victim.nick, victim.away)


@command("MODE", min_params=1)
def mode(ctx: Context, msg: Message) -> None:
    target = msg.params[0]
    if target[:1] in ROOM_PREFIXES:
        _room_mode(ctx, target, msg.params[1:])
    else:
        _user_mode(ctx, target, msg.params[1:])


def _room_mode(ctx: Context, name: str, params: tuple[str, ...]) -> None:
    room = ctx.network.room(name)
    if not params:
        modes, args = room.mode_string(show_key=ctx.session.me() in room.members)
        ctx.reply(N.RPL_CHANNELMODEIS, room.name, modes, *args)
        ctx.reply(N.RPL_CREATIONTIME, room.name, str(int(room.created)))
        return
    parsed = parse_room_modes(params[0], params[1:])
    for kind, letter in parsed.notes:
        if kind == "list":
            _show_list(ctx, room.name, letter)
        elif kind == "unknown":
            ctx.reply(N.ERR_UNKNOWNMODE, letter, "is unknown mode char to me")
    if not_applied(parsed):
        ctx.send(f":{ctx.server} NOTICE {ctx.me} :Not applied: {not_applied(parsed)} "
                 f"(at most {MAX_CHANGES} modes with a parameter per MODE; send the rest in another)")
    if parsed.missing_param:
        ctx.reply(N.ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters")
    elif parsed.changes:
        ctx.session.change_modes(room.name, parsed.changes)


#: A list mode's entry and end numerics, and what the end line says.
_LISTS = {"b": (N.RPL_BANLIST, N.RPL_ENDOFBANLIST, "End of channel ban list"),
          "e": (N.RPL_EXCEPTLIST, N.RPL_ENDOFEXCEPTLIST, "End of channel exception list"),
          "I": (N.RPL_INVITELIST, N.RPL_ENDOFINVITELIST, "End of channel invite list"),
          "q": (N.RPL_QUIETLIST, N.RPL_ENDOFQUIETLIST, "End of channel quiet list")}


def _show_list(ctx: Context, name: str, letter: str) -> None:
    entry, end, text = _LISTS[letter]
    for item in ctx.session.moderation.room_list(name, letter):
        extra = ("q",) if letter == "q" else ()  # 728 names the mode letter
        ctx.reply(entry, name, *extra, item.mask, item.set_by, str(int(item.time)))
    ctx.reply(end, name, *(("q",) if letter == "q" else ()), text)


def _user_mode(ctx: Context, nick: str, params: tuple[str, ...]) -> None:
    user = ctx.session.me()
    if casefold(nick) != user.folded:
        if ctx.network.find_user(nick) is None:
            raise errors.NoSuchNick(nick)
        ctx.reply(N.ERR_USERSDONTMATCH, "Can't change mode for other users")
        return
    if not params:
        ctx.reply(N.RPL_UMODEIS, "+" + user.mode_letters)
        return
    modes, applied, unknown = parse_user_modes(params[0], frozenset(user.modes))
    for _letter in unknown:
        ctx.reply(N.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag")
    if applied:
        ctx.session.set_user_modes(set(modes))
        ctx.send(f":{user.identity.mask} MODE {user.nick} :{applied}")
