"""``soju.im/search``: searching history from an IRC client, as soju and its clients do.

``SEARCH in=#room;text=deploy;from=alice;after=...;before=...;limit=20`` answers a ``soju.im/search``
batch of the matching PRIVMSG and NOTICE lines, oldest first, with their msgid and server-time.
It reads the same index and follows the same privacy rules as the web's and telnet's search: rooms
the person is in, and their own direct conversations (a guest's last as long as the connection).
With ``text`` it is a full-text search (every word must appear); without it, ``in`` is required
and the room's or conversation's lines are read from the newest (or from ``after``) and filtered.
Bad attributes are ``FAIL SEARCH INVALID_PARAMS``; a store that cannot answer ``INTERNAL_ERROR``.
Reference: soju's doc/ext/search.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import attrs

from ..core import Ref, casefold, errors
from .chathistory import BadParams, parse_time
from .commands import command
from .wire import unescape_tag_value

if TYPE_CHECKING:
    from ..core.history import Message
    from .context import Context
    from .labels import HeldReply
    from .wire import Message as Line

CAP = "soju.im/search"
MAX_LIMIT = 100
ATTRIBUTES = ("in", "from", "after", "before", "text", "limit")


@attrs.frozen
class Query:
    target: Optional[str] = None
    sender: Optional[str] = None
    after: Optional[float] = None
    before: Optional[float] = None
    text: str = ""
    limit: int = MAX_LIMIT

    def keeps(self, message: Message) -> bool:
        return ((self.sender is None or casefold(message.sender.nick) == casefold(self.sender))
                and (self.after is None or message.time >= self.after)
                and (self.before is None or message.time <= self.before)
                and message.kind in ("privmsg", "notice", "action"))


def parse(attributes: str) -> Query:
    """``key=value;key=value`` (values escaped as message-tag values) into a :class:`Query`."""
    found: dict[str, Any] = {}
    for item in attributes.split(";"):
        if not item:
            continue
        key, _, raw = item.partition("=")
        value = unescape_tag_value(raw)
        if key not in ATTRIBUTES or key in found or not value:
            raise BadParams(key)
        if key in ("after", "before"):
            found[key] = parse_time(value)
        elif key == "limit":
            if not value.isdigit() or int(value) < 1:
                raise BadParams(key)
            found[key] = min(int(value), MAX_LIMIT)
        else:
            found["target" if key == "in" else "sender" if key == "from" else key] = value
    if not found.get("text") and not found.get("target"):
        raise BadParams("in")  # without words to look for, say where to look
    return Query(**found)


@command("SEARCH", min_params=1)
def search(ctx: Context, msg: Line) -> None:
    if CAP not in ctx.caps:
        ctx.send(f":{ctx.server} FAIL SEARCH NEED_CAPABILITY :Request the {CAP} capability first")
        return
    try:
        query = parse(msg.params[0])
    except BadParams as error:
        ctx.send(f":{ctx.server} FAIL SEARCH INVALID_PARAMS {str(error) or '*'} :Invalid parameters")
        return
    ctx.run(_answer(ctx, query, ctx.hold_reply()), "IRC SEARCH", ctx.internal_error)


async def _answer(ctx: Context, query: Query, reply: HeldReply) -> None:
    try:
        found = await _find(ctx, query)
    except errors.ChatError as error:
        with reply:
            code = "INTERNAL_ERROR" if error.code == "error" else "INVALID_PARAMS"
            ctx.send(f":{ctx.server} FAIL SEARCH {code} {query.target or '*'} :{error.describe()}")
        return
    with reply:
        if ctx.closing:
            return
        batch = ctx.open_batch(CAP)
        renderer = ctx.factory.renderer(ctx.render_key)
        for message in found:
            ctx.write(renderer.render_tagged(message, batch))
        ctx.close_batch(batch)


async def _find(ctx: Context, query: Query) -> list[Message]:
    """The matching messages, oldest first: the newest ``limit`` of them (or the first after ``after``)."""
    session = ctx.session
    if query.text:
        found = [m for m in await session.search(query.text, query.target, 200) if query.keeps(m)]
        found.sort(key=lambda message: message.id)
    else:
        store = session.network.history
        if store is None:
            raise errors.ChatError("search", "History is not kept on this server")
        assert query.target is not None
        key = session.history_key(query.target)
        if query.after is not None:
            found = [m for m in await store.after(key, Ref(time=query.after - 0.000001), 200) if query.keeps(m)]
            return found[:query.limit]
        until = Ref(time=(query.before if query.before is not None else session.network.clock()) + 0.000001)
        found = [m for m in await store.before(key, until, 200) if query.keeps(m)]
    return found[-query.limit:] if query.after is None else found[:query.limit]
