"""IRCv3 ``CHATHISTORY`` (draft/chathistory): history pages as batches.

Reference: ircv3.net/specs/extensions/chathistory.  Replies are a
``chathistory`` batch of the original lines with ``msgid`` and ``time``
tags; bad requests get standard replies (``FAIL CHATHISTORY ...``).
"""

from __future__ import annotations

import calendar
import time
from typing import TYPE_CHECKING, Optional, Sequence

import attrs

from ..core import HistoryStore, Ref, TargetSummary, errors
from ..core.history import Message as Stored
from . import numerics as N
from .commands import command
from .render import iso_time

if TYPE_CHECKING:
    from .context import Context
    from .labels import HeldReply
    from .wire import Message

MAX_LIMIT = 100
SUBCOMMANDS = ("LATEST", "BEFORE", "AFTER", "AROUND", "BETWEEN", "TARGETS")


class BadParams(ValueError):
    pass


def parse_time(value: str) -> float:
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            parsed = time.strptime(value, fmt)
        except ValueError:
            continue
        fraction = float("0." + value.rsplit(".", 1)[1].rstrip("Z")) if "." in value else 0.0
        return calendar.timegm(parsed) + fraction
    raise BadParams(f"bad timestamp {value!r}")


def parse_ref(value: str, star: bool = False) -> Optional[Ref]:
    if value == "*" and star:
        return None
    kind, _, rest = value.partition("=")
    if kind == "msgid" and rest and len(rest) <= 64:
        return Ref(msgid=rest)
    if kind == "timestamp" and rest:
        return Ref(time=parse_time(rest))
    raise BadParams(f"bad message reference {value!r}")


def parse_limit(value: str) -> int:
    if not value.isdigit():
        raise BadParams(f"bad limit {value!r}")
    return max(1, min(int(value), MAX_LIMIT))


@attrs.frozen
class Request:
    sub: str
    target: str = "*"
    refs: tuple[Optional[Ref], ...] = ()
    limit: int = MAX_LIMIT


def parse_request(params: Sequence[str]) -> Request:
    """Check a CHATHISTORY command's parameters; raises BadParams with the reason."""
    sub = params[0].upper()
    if sub == "TARGETS":
        if len(params) < 4:
            raise BadParams("TARGETS needs two timestamps and a limit")
        start, end = parse_ref(params[1]), parse_ref(params[2])
        if start is None or end is None or start.time is None or end.time is None:
            raise BadParams("TARGETS takes timestamps")
        return Request(sub, "*", (start, end), parse_limit(params[3]))
    wanted = 5 if sub == "BETWEEN" else 4
    if len(params) < wanted:
        raise BadParams(f"{sub} needs {wanted - 1} parameters")
    refs = tuple(parse_ref(p, star=(sub == "LATEST")) for p in params[2 : wanted - 1])
    if sub != "LATEST" and any(r is None for r in refs):
        raise BadParams("a message reference is required")
    return Request(sub, params[1], refs, parse_limit(params[wanted - 1]))


@command("CHATHISTORY")
def chathistory(ctx: Context, msg: Message) -> None:
    store = ctx.network.history
    if store is None:
        ctx.reply("421", "CHATHISTORY", "History is not enabled on this server")
        return
    sub = msg.params[0].upper() if msg.params else ""
    if sub not in SUBCOMMANDS:
        ctx.send(f":{ctx.server} FAIL CHATHISTORY UNKNOWN_COMMAND {sub or '*'} :Unknown subcommand")
        return
    try:
        request = parse_request(msg.params)
    except BadParams as error:
        ctx.send(f":{ctx.server} FAIL CHATHISTORY INVALID_PARAMS {sub} :{error}")
        return
    if sub == "TARGETS":
        reply = ctx.hold_reply()
        ctx.run(_targets(ctx, store, request, reply), "CHATHISTORY TARGETS",
              lambda: reply.run(lambda: _failed(ctx, request)))
        return
    try:
        key = ctx.session.history_key(request.target)
    except errors.ChatError as error:
        ctx.send(f":{ctx.server} FAIL CHATHISTORY INVALID_TARGET {sub} {request.target} :{N.wording(error)}")
        return
    reply = ctx.hold_reply()
    ctx.run(_page(ctx, store, key, request, reply), f"CHATHISTORY {sub}",
        lambda: reply.run(lambda: _failed(ctx, request)))


async def _page(ctx: Context, store: HistoryStore, key: str, request: Request, reply: HeldReply) -> None:
    refs, limit = request.refs, request.limit
    if request.sub == "LATEST":
        found = await store.latest(key, limit, refs[0])
    elif request.sub == "BEFORE":
        found = await store.before(key, refs[0], limit)  # type: ignore[arg-type]
    elif request.sub == "AFTER":
        found = await store.after(key, refs[0], limit)  # type: ignore[arg-type]
    elif request.sub == "AROUND":
        found = await store.around(key, refs[0], limit)  # type: ignore[arg-type]
    else:
        found = await store.between(key, refs[0], refs[1], limit)  # type: ignore[arg-type]
    with reply:
        send_batch(ctx, request.target, found)


async def _targets(ctx: Context, store: HistoryStore, request: Request, reply: HeldReply) -> None:
    user = ctx.session.me()
    start, end = request.refs
    assert start is not None and end is not None and start.time is not None and end.time is not None
    rooms = [room.name for room in user.rooms.values()]
    found = await store.targets(user.person, rooms, start.time, end.time, request.limit)
    with reply:
        send_targets(ctx, found)


def _failed(ctx: Context, request: Request) -> None:
    ctx.send(f":{ctx.server} FAIL CHATHISTORY MESSAGE_ERROR {request.sub} {request.target} "
             ":Messages could not be retrieved")


def send_batch(ctx: Context, target: str, messages: Sequence[Stored]) -> None:
    if ctx.closing:
        return
    batch = ctx.open_batch("chathistory", target)
    renderer = ctx.factory.renderer(ctx.render_key)
    for message in messages:
        ctx.write(renderer.render_tagged(message, batch))
    ctx.close_batch(batch)


def send_targets(ctx: Context, found: Sequence[TargetSummary]) -> None:
    if ctx.closing:
        return
    batch = ctx.open_batch("draft/chathistory-targets")
    prefix = f"@batch={batch} " if batch else ""
    for summary in found:
        ctx.send(f"{prefix}:{ctx.server} CHATHISTORY TARGETS {summary.name} {iso_time(summary.latest)}")
    ctx.close_batch(batch)
