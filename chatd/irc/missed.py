"""What a signed-in IRC client missed while it was away, for clients that do not ask for history.

A client with ``draft/chathistory`` fetches it itself (CHATHISTORY TARGETS, LATEST, AFTER), so it
gets nothing here. Any other client (irssi, HexChat, most bots):

- is told how many direct messages came while the person was offline and gets them as the PRIVMSGs
  they were (with ``server-time`` tags when it asked for them); the conversations then count as
  read, so the next sign-in does not show them again;
- gets, on joining a room (or being shown one another device is in), the room's lines said since
  this device left it: each device (``alice@phone`` at login; a client that names none is the
  account's default device) has its own mark per room, set when it leaves, so two devices each
  catch up once. At most ``missed-lines`` lines of the last ``missed-days`` days; a notice says how
  many came and whether older ones were left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import Ref, casefold, errors
from ..net.tasks import spawn
from .render import trailing

if TYPE_CHECKING:
    from .context import Context


def replay_missed(ctx: Context) -> None:
    """After a sign-in with the user registered: show what is waiting (answered in order)."""
    if ctx.session.account is None or ctx.session.user is None or "draft/chathistory" in ctx.caps:
        return
    ctx.run(_replay(ctx), "missed messages", lambda: None)


async def _replay(ctx: Context) -> None:
    try:
        await _show(ctx)
    except errors.ChatError:
        pass  # the store cannot be reached: nothing shown now, all of it next time


async def _show(ctx: Context) -> None:
    found = await ctx.session.catch_up.missed_direct()
    if not found or ctx.closing:
        return
    ctx.send(f":{ctx.server} NOTICE {ctx.me} {trailing(f'{len(found)} message(s) came while you were away:')}")
    renderer = ctx.factory.renderer(ctx.render_key)
    for message in found:
        line = renderer.render(message)
        if line is not None:
            ctx.write(line)
    await ctx.session.catch_up.shown(found)


def device_person(ctx: Context) -> str:
    """Under which name this device's marks are kept ("" for a guest or a client with chathistory)."""
    account = ctx.session.account
    if account is None or "draft/chathistory" in ctx.caps:
        return ""
    return f"d:{casefold(account)}/{ctx.session.device}"


def replay_room(ctx: Context, name: str) -> None:
    """The room's lines this device missed since it left ``name`` (answered in order)."""
    if device_person(ctx) and ctx.factory.missed_lines > 0 and ctx.network.history is not None:
        ctx.run(_room(ctx, name), "missed room lines", lambda: None)


async def _room(ctx: Context, name: str) -> None:
    person, key = device_person(ctx), casefold(name)
    messaging = ctx.network.messaging
    try:
        mark = await messaging.read_marker(person, key)
        if mark is None or ctx.closing:
            return  # a device this room has not seen before: nothing to catch up on
        now = ctx.network.clock()
        live = ctx.session.catch_up.note_live(name)
        since = Ref(time=max(mark, now - ctx.factory.missed_days * 86400))
        found, complete = await ctx.session.catch_up.recover(name, since, ctx.factory.missed_lines)
        missed = live(found)
        await messaging.store_read_marker(person, key, now)
    except errors.ChatError:
        return  # left the room meanwhile, or the store cannot be reached
    if not missed or ctx.closing:
        return
    older = "" if complete else "; older ones are not shown"
    ctx.send(f":{ctx.server} NOTICE {ctx.me} "
             f"{trailing(f'{len(missed)} line(s) in {name} since you left{older}:')}")
    renderer = ctx.factory.renderer(ctx.render_key)
    for message in missed:
        line = renderer.render(message)
        if line is not None:
            ctx.write(line)


def left(ctx: Context) -> None:
    """This device is going: note, for each of its rooms, that it saw everything until now."""
    person, user = device_person(ctx), ctx.session.user
    if not person or user is None:
        return
    now = ctx.network.clock()
    for room in list(user.rooms.values()):
        spawn(ctx.network.messaging.store_read_marker(person, casefold(room.name), now), "device mark")
