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
