"""Server operators over IRC: OPER, KILL, KLINE/UNKLINE, WALLOPS and REHASH.

``KLINE [duration] <mask> [:reason]``: the mask is ``nick!user@host`` (globs
allowed; ``user@host`` is enough) or ``a:account``; the duration is in
minutes as in other servers, or with a unit (``90s``, ``2h``, ``7d``), and
none means permanent.  The rules are the core's (:mod:`chatd.core.operators`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import errors
from ..core.moderating import DURATION
from ..net.certfp import peer_fingerprint
from . import numerics as N
from .commands import command

if TYPE_CHECKING:
    from .context import Context
    from .wire import Message

@command("OPER", min_params=2)
def oper(ctx: Context, msg: Message) -> None:
    ctx.session.certfp = peer_fingerprint(ctx.transport)
    ctx.run(_oper(ctx, msg.params[0], msg.params[1]), "OPER", ctx.internal_error)


async def _oper(ctx: Context, name: str, password: str) -> None:
    try:
        await ctx.session.moderation.oper(name, password)
    except errors.BadLogin:
        ctx.reply(N.ERR_PASSWDMISMATCH, "Password incorrect")
        return
    user = ctx.session.user
    if user is not None:
        ctx.reply(N.RPL_YOUREOPER, "You are now an IRC operator")
        ctx.send(f":{user.nick} MODE {user.nick} :+o")


@command("KILL", min_params=1)
def kill(ctx: Context, msg: Message) -> None:
    victim = ctx.session.moderation.kill(msg.params[0], msg.params[1] if len(msg.params) > 1 else "")
    ctx.send(f":{ctx.server} NOTICE {ctx.me} :Killed {victim.nick}")


@command("KLINE", min_params=1)
def kline(ctx: Context, msg: Message) -> None:
    params = list(msg.params)
    duration = params.pop(0) if len(params) > 1 and DURATION.fullmatch(params[0]) else "0"
    if not params:
        ctx.reply(N.ERR_NEEDMOREPARAMS, "KLINE", "Not enough parameters")
        return
    mask, reason = params[0], (params[1] if len(params) > 1 else "")
    ban, hit = ctx.session.moderation.server_ban(mask, duration, reason)
    until = "permanently" if ban.expires is None else f"for {int(ban.expires - ban.created)} seconds"
    ctx.send(f":{ctx.server} NOTICE {ctx.me} :Banned {ban.mask} {until} ({ban.reason}); "
             f"{hit} connection(s) closed")


@command("UNKLINE", min_params=1)
def unkline(ctx: Context, msg: Message) -> None:
    ban = ctx.session.moderation.lift_server_ban(msg.params[0])
    ctx.send(f":{ctx.server} NOTICE {ctx.me} :Lifted the ban on {ban.mask}")


@command("WALLOPS", min_params=1)
def wallops(ctx: Context, msg: Message) -> None:
    ctx.session.moderation.wallops(msg.params[0])


@command("REHASH")
def rehash(ctx: Context, msg: Message) -> None:
    """Read the configuration again, as SIGHUP does (chatd.reload): 382, then what changed."""
    ctx.session.moderation.require_oper()
    reload = ctx.factory.rehash
    if reload is None:
        ctx.send(f":{ctx.server} NOTICE {ctx.me} :This server has no configuration to reload")
        return
    outcome = reload()
    if not outcome.ok:
        ctx.send(f":{ctx.server} FAIL REHASH CONFIG_ERROR :{outcome.problem} (the running configuration stays)")
        return
    ctx.reply(N.RPL_REHASHING, ctx.factory.rehash_source, "Rehashing")
    said = ", ".join(outcome.changed) if outcome.changed else "nothing"
    later = f"; after a restart only: {', '.join(outcome.restart)}" if outcome.restart else ""
    ctx.send(f":{ctx.server} NOTICE {ctx.me} :Reloaded: changed {said}{later}")
