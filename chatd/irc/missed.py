"""Direct messages kept while a person was offline, shown when they sign in on IRC.

A client with ``draft/chathistory`` fetches them itself (CHATHISTORY TARGETS, then LATEST), so it
gets nothing here. Any other client (irssi, HexChat, most bots) is told how many came and gets them
as the PRIVMSGs they were (with ``server-time`` tags when it asked for them), then the
conversations count as read, so the next sign-in does not show them again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import errors
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
        found = await ctx.session.catch_up.missed_direct()
    except errors.ChatError:
        return
    if not found or ctx.closing:
        return
    ctx.send(f":{ctx.server} NOTICE {ctx.me} {trailing(f'{len(found)} message(s) came while you were away:')}")
    renderer = ctx.factory.renderer(ctx.render_key)
    newest: dict[str, float] = {}
    for message in found:
        line = renderer.render(message)
        if line is not None:
            ctx.write(line)
        newest[message.sender.nick] = max(newest.get(message.sender.nick, 0.0), message.time)
    for nick, until in newest.items():
        try:
            await ctx.session.mark_read(nick, until)
        except errors.ChatError:
            pass
