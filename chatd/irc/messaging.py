"""Talking: PRIVMSG, NOTICE (and CTCP ACTION), and AWAY.

Reference: modern.ircdocs.horse, "Sending Messages".  A NOTICE is never
answered automatically, errors included, so two bots cannot loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from ..core import ROOM_PREFIXES, errors
from ..core.authored import EDIT_TAG
from . import numerics as N
from .accounts import services
from .chathistory import BadParams, parse_time
from .commands import command
from .render import iso_time
from .wire import Message

if TYPE_CHECKING:
    from .context import Context
    from .labels import HeldReply

MAX_TARGETS = 4


@command("PRIVMSG")
def privmsg(ctx: Context, msg: Message) -> None:
    _message(ctx, msg, "privmsg")


@command("NOTICE")
def notice(ctx: Context, msg: Message) -> None:
    _message(ctx, msg, "notice")


def _message(ctx: Context, msg: Message, kind: str) -> None:
    quiet = kind == "notice"
    if not msg.params or not msg.params[0]:
        if not quiet:
            ctx.reply(N.ERR_NORECIPIENT, f"No recipient given ({msg.command})")
        return
    if len(msg.params) < 2 or not msg.params[1]:
        if not quiet:
            ctx.reply(N.ERR_NOTEXTTOSEND, "No text to send")
        return
    text = msg.params[1]
    if kind == "privmsg" and text.startswith("\x01ACTION ") and len(text) > 8:
        kind, text = "action", text[8:].rstrip("\x01")
    tags = client_tags(ctx, msg)
    edited = dict(tags).get(EDIT_TAG)
    if edited and not quiet:  # a correction of one's own message (the web's edit, from IRC)
        target = msg.params[0].split(",")[0]
        reply = ctx.hold_reply()
        failed = f":{ctx.server} FAIL PRIVMSG INTERNAL_ERROR {target} :Try again"
        ctx.run(_edit(ctx, target, edited, text, reply), "IRC edit", lambda: reply.run(lambda: ctx.send(failed)))
        return
    for target in msg.params[0].split(",")[:MAX_TARGETS]:
        if kind == "privmsg" and services(ctx, target, text):
            continue
        try:
            sent = ctx.session.send(target, kind, text, tags)
        except errors.ChatError as error:
            if not quiet:
                ctx.fail(error)
            continue
        if sent.offline and not quiet:  # an account nobody is connected to: kept for them
            ctx.reply(N.RPL_AWAY, sent.offline, "is offline; your message waits for them")
            continue
        if target[:1] not in ROOM_PREFIXES and not quiet:
            peer = ctx.network.find_user(target)
            if peer is not None and peer.away:
                ctx.reply(N.RPL_AWAY, peer.nick, peer.away)


async def _edit(ctx: Context, target: str, msgid: str, text: str, reply: HeldReply) -> None:
    """``PRIVMSG`` with ``+draft/edit=<msgid>``: the server checks that the sender wrote that message
    (core/authored.py) and says the new text tagged with the original's id; a refusal is a ``FAIL``."""
    codes = {"unknown_msgid": "UNKNOWN_MSGID", "edit_forbidden": "EDIT_FORBIDDEN"}
    try:
        await ctx.session.edit(target, msgid, text)
    except errors.ChatError as error:
        code = codes.get(error.code, "INVALID_TARGET")
        shown = "".join(c for c in msgid[:64] if c.isprintable() and c != " ") or "*"  # a tag may hold spaces
        refusal = f":{ctx.server} FAIL PRIVMSG {code} {target} {shown} :{error.message}"
        reply.run(lambda: ctx.send(refusal))
        return
    with reply:  # the corrected line went out through the fan-out (an echo with echo-message)
        pass


def client_tags(ctx: Context, msg: Message) -> tuple[tuple[str, str], ...]:
    """The client-only tags (``+name``) of a message, when the client negotiated message-tags."""
    if "message-tags" not in ctx.caps:
        return ()
    return tuple((name, value) for name, value in msg.tags if name.startswith("+"))


@command("TAGMSG", min_params=1)
def tagmsg(ctx: Context, msg: Message) -> None:
    """Only tags (typing, reactions): relayed to those with message-tags, never stored, never answered."""
    tags = client_tags(ctx, msg)
    for target in msg.params[0].split(",")[:MAX_TARGETS]:
        try:
            ctx.session.send_tags(target, tags)
        except errors.ChatError as error:
            ctx.fail(error)


@command("REDACT", min_params=2)
def redact(ctx: Context, msg: Message) -> None:
    """draft/message-redaction: remove a message everywhere, history included."""
    target, msgid = msg.params[0], msg.params[1]
    reason = msg.params[2] if len(msg.params) > 2 else ""
    ctx.run(_redact(ctx, target, msgid, reason), "IRC REDACT", ctx.internal_error)


async def _redact(ctx: Context, target: str, msgid: str, reason: str) -> None:
    codes = {"unknown_msgid": "UNKNOWN_MSGID", "redact_forbidden": "REDACT_FORBIDDEN"}
    try:
        await ctx.session.redact(target, msgid, reason)
    except errors.ChatError as error:
        code = codes.get(error.code, "INVALID_TARGET")
        context = f"{target} {msgid}" if error.code in codes else target
        ctx.send(f":{ctx.server} FAIL REDACT {code} {context} :{error.message}")


@command("MARKREAD")
def markread(ctx: Context, msg: Message) -> None:
    """draft/read-marker: ask for, or move, how far you have read a room or conversation."""
    if not msg.params or not msg.params[0]:
        ctx.send(f":{ctx.server} FAIL MARKREAD NEED_MORE_PARAMS :Missing parameters")
        return
    target = msg.params[0]
    until = None
    if len(msg.params) > 1:
        kind, _, value = msg.params[1].partition("=")
        try:
            if kind != "timestamp":
                raise BadParams(kind)
            # IRC timestamps stop at milliseconds; a client that read the message stamped
            # 12:00:00.123 read everything in that millisecond.
            until = parse_time(value) + 0.000999
        except BadParams:
            ctx.send(f":{ctx.server} FAIL MARKREAD INVALID_PARAMS {target} :Give timestamp=YYYY-MM-DDThh:mm:ss.sssZ")
            return
    reply = ctx.hold_reply()
    ctx.run(_markread(ctx, target, until, reply), "IRC MARKREAD",
        lambda: reply.run(lambda: ctx.send(f":{ctx.server} FAIL MARKREAD INTERNAL_ERROR {target} :Try again")))


async def _markread(ctx: Context, target: str, until: Optional[float], reply: HeldReply) -> None:
    try:
        if until is None:
            found = await ctx.session.read_marker(target)
            with reply:
                send_marker(ctx, target, found)
            return
        shown, stored = await ctx.session.save_read_marker(target, until)
    except errors.ChatError as error:
        refusal = f":{ctx.server} FAIL MARKREAD INVALID_TARGET {target} :{error.message}"
        reply.run(lambda: ctx.send(refusal))
        return
    with reply:  # every connection of this person, this one too, is told by the fan-out
        ctx.session.show_read_marker(shown, stored)


def send_marker(ctx: Context, target: str, until: Optional[float]) -> None:
    if "draft/read-marker" in ctx.caps or until is not None:
        stamp = iso_time(until) if until is not None else "*"
        ctx.send(f":{ctx.server} MARKREAD {target} timestamp={stamp}")


@command("SETNAME", min_params=1)
def setname(ctx: Context, msg: Message) -> None:
    """IRCv3 setname: a new real name, seen by everyone who shares a room (with the cap)."""
    if "setname" not in ctx.caps:
        ctx.send(f":{ctx.server} FAIL SETNAME CANNOT_CHANGE_REALNAME :Request the setname capability first")
        return
    try:
        ctx.session.set_realname(msg.params[0])
    except errors.ChatError:
        ctx.send(f":{ctx.server} FAIL SETNAME INVALID_REALNAME :Realname is not valid")


@command("AWAY")
def away(ctx: Context, msg: Message) -> None:
    if ctx.session.set_away(msg.params[0] if msg.params else None) is None:
        ctx.reply(N.RPL_UNAWAY, "You are no longer marked as being away")
    else:
        ctx.reply(N.RPL_NOWAWAY, "You have been marked as being away")
