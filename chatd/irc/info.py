"""About the server: TIME, INFO, and HELP/HELPOP with help text per command.

Reference: modern.ircdocs.horse ("TIME", "INFO", "HELP" with 704-706 and 524).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .. import __version__
from . import numerics as N
from .commands import COMMANDS, command
from .help import HELP, INDEX
from .wire import Message

if TYPE_CHECKING:
    from .context import Context


def _our_server(ctx: Context, msg: Message) -> bool:
    """TIME and INFO may name a server: only this one answers (402 otherwise)."""
    if msg.params and msg.params[0] and msg.params[0].lower() != ctx.server.lower():
        ctx.reply(N.ERR_NOSUCHSERVER, msg.params[0], "No such server")
        return False
    return True


@command("TIME")
def time_(ctx: Context, msg: Message) -> None:
    if _our_server(ctx, msg):
        now = ctx.network.clock()
        human = time.strftime("%A %B %d %Y -- %H:%M:%S +00:00", time.gmtime(now))
        ctx.reply(N.RPL_TIME, ctx.server, str(int(now)), "0", human)


@command("INFO")
def info(ctx: Context, msg: Message) -> None:
    if not _our_server(ctx, msg):
        return
    lines = [
        f"chatd {__version__}: one chat network for IRC, telnet and browser users.",
        "Written in Python on Twisted; web sockets by Autobahn.",
        f"This server was created {ctx.factory.started}.",
        f"{len(ctx.network.users)} users in {len(ctx.network.rooms)} rooms.",
    ]
    for line in lines:
        ctx.reply(N.RPL_INFO, line)
    ctx.reply(N.RPL_ENDOFINFO, "End of INFO list")


@command("HELP")
def help_(ctx: Context, msg: Message) -> None:
    subject = msg.params[0].upper() if msg.params and msg.params[0] else "*"
    if subject == "*":
        text = INDEX + [" ".join(sorted(COMMANDS))]
    elif subject in HELP:
        text = HELP[subject]
    else:
        ctx.reply(N.ERR_HELPNOTFOUND, subject, "No help available on this topic")
        return
    ctx.reply(N.RPL_HELPSTART, subject, text[0])
    for line in text[1:]:
        ctx.reply(N.RPL_HELPTXT, subject, line)
    ctx.reply(N.RPL_ENDOFHELP, subject, "End of /HELP")


COMMANDS["HELPOP"] = COMMANDS["HELP"]
