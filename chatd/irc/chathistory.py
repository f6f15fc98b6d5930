"""IRCv3 ``CHATHISTORY`` (draft/chathistory): history pages as batches.

Reference: ircv3.net/specs/extensions/chathistory.  Replies are a
``chathistory`` batch of the original lines with ``msgid`` and ``time``
tags; bad requests get standard replies (``FAIL CHATHISTORY ...``).
"""

from __future__ import annotations

import calendar
import time
from typing import TYPE_CHECKING, Any, Optional

from ..core import Ref, errors
from .render import iso_time

if TYPE_CHECKING:
    from .connection import IRCConnection
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


def handle(conn: IRCConnection, msg: Message) -> None:
    store = conn.network.history
    assert conn.user is not None
    if store is None:
        conn.reply("421", "CHATHISTORY", "History is not enabled on this server")
        return
    params = msg.params
    sub = params[0].upper() if params else ""
    if sub not in SUBCOMMANDS:
        conn.send(f":{conn.server} FAIL CHATHISTORY UNKNOWN_COMMAND {sub or '*'} :Unknown subcommand")
        return
    try:
        if sub == "TARGETS":
            if len(params) < 4:
                raise BadParams("TARGETS needs two timestamps and a limit")
            start, end = parse_ref(params[1]), parse_ref(params[2])
            if start is None or end is None or start.time is None or end.time is None:
                raise BadParams("TARGETS takes timestamps")
            limit = parse_limit(params[3])
        else:
            wanted = 5 if sub == "BETWEEN" else 4
            if len(params) < wanted:
                raise BadParams(f"{sub} needs {wanted - 1} parameters")
            target = params[1]
            refs = [parse_ref(p, star=(sub == "LATEST")) for p in params[2 : wanted - 1]]
            if sub != "LATEST" and any(r is None for r in refs):
                raise BadParams("a message reference is required")
            limit = parse_limit(params[wanted - 1])
    except BadParams as error:
        conn.send(f":{conn.server} FAIL CHATHISTORY INVALID_PARAMS {sub} :{error}")
        return

    if sub == "TARGETS":
        rooms = [room.name for room in conn.user.rooms.values()]
        d = store.targets(conn.user.nick, rooms, start.time, end.time, limit)  # type: ignore[union-attr]
        d.addCallbacks(lambda found: send_targets(conn, found), lambda f: fail(conn, sub, "*", f))
        return
    try:
        key = conn.network.history_key(conn.user, target)
    except errors.ChatError as error:
        conn.send(f":{conn.server} FAIL CHATHISTORY INVALID_TARGET {sub} {target} :{error.message}")
        return
    if sub == "LATEST":
        d = store.latest(key, limit, refs[0])
    elif sub == "BEFORE":
        d = store.before(key, refs[0], limit)  # type: ignore[arg-type]
    elif sub == "AFTER":
        d = store.after(key, refs[0], limit)  # type: ignore[arg-type]
    elif sub == "AROUND":
        d = store.around(key, refs[0], limit)  # type: ignore[arg-type]
    else:
        d = store.between(key, refs[0], refs[1], limit)  # type: ignore[arg-type]
    d.addCallbacks(lambda found: send_batch(conn, target, found), lambda f: fail(conn, sub, target, f))


def fail(conn: IRCConnection, sub: str, target: str, failure: Any) -> None:
    conn.log.failure("CHATHISTORY {sub} failed", failure, sub=sub)
    conn.send(f":{conn.server} FAIL CHATHISTORY MESSAGE_ERROR {sub} {target} :Messages could not be retrieved")


def send_batch(conn: IRCConnection, target: str, messages: list[Any]) -> None:
    if conn.closing:
        return
    batch = conn.open_batch("chathistory", target)
    renderer = conn.factory.renderer(conn.format_key[1:])
    for message in messages:
        conn.write(renderer.render_tagged(message, batch))
    conn.close_batch(batch)


def send_targets(conn: IRCConnection, found: list[Any]) -> None:
    if conn.closing:
        return
    batch = conn.open_batch("draft/chathistory-targets")
    prefix = f"@batch={batch} " if batch else ""
    for summary in found:
        conn.send(f"{prefix}:{conn.server} CHATHISTORY TARGETS {summary.name} {iso_time(summary.latest)}")
    conn.close_batch(batch)
