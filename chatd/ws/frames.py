"""Core events as ``chatd.v1`` JSON frames (documented in docs/protocol.md).

Broadcast frames carry nothing specific to a recipient, so one encoding (and
one prepared WebSocket message) serves every browser in a room.
"""

from __future__ import annotations

import functools
import json
import re
from typing import TYPE_CHECKING, Any, Iterable, Optional

from ..core import events as ev
from ..core.text import unicode_problem

if TYPE_CHECKING:
    from ..core import Room, User


#: Deepest nesting of arrays and objects a client frame may have (chatd.v1 needs 2).
MAX_DEPTH = 16
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")


def too_deep(payload: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON in ``payload`` nests deeper than ``limit``, found before parsing it.

    Strings are skipped (a bracket inside one does not count); the parser
    never sees a frame that could exhaust its recursion.
    """
    depth = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub(b"", payload)):
        depth += 1 if bracket in b"[{" else -1
        if depth > limit:
            return True
    return False


def bad_text(value: Any) -> bool:
    """Whether any string in a parsed frame (keys included) is not valid Unicode."""
    if isinstance(value, str):
        return unicode_problem(value) is not None
    if isinstance(value, dict):
        return any(bad_text(k) or bad_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(bad_text(item) for item in value)
    return False


def dumps(frame: dict[str, Any]) -> bytes:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def member(room: Room, user: User) -> dict[str, Any]:
    status = room.members.get(user, set())
    return {
        "nick": user.nick,
        "protocol": user.protocol,
        "account": user.account,
        "op": "o" in status,
        "voice": "v" in status,
        "away": user.away,
        "bot": "B" in user.modes,
    }


def members(room: Room, users: Optional[Iterable[User]] = None) -> list[dict[str, Any]]:
    """``room``'s members as frames: ``users`` (as a query answered them), or all of them."""
    return [member(room, user) for user in (room.members if users is None else users)]


@functools.singledispatch
def frame(event: object) -> Optional[dict[str, Any]]:
    return None


def _chat(event: ev.RoomMessage | ev.DirectMessage, where: dict[str, Any]) -> dict[str, Any]:
    base = {"id": event.id, "time": event.time, **where, "from": event.sender.nick}
    tags = dict(event.tags)
    if event.kind == "tagmsg":
        if set(tags) == {"+typing"}:
            return {"type": "typing", **base, "state": tags["+typing"]}
        return {"type": "tagmsg", **base, "tags": tags}
    out = {"type": "message", **base, "protocol": event.sender.protocol, "kind": event.kind, "text": event.text}
    if "+draft/reply" in tags:
        out["reply_to"] = tags.pop("+draft/reply")
    if tags:
        out["tags"] = tags
    if event.sender.bot:
        out["bot"] = True
    if event.sender.account:
        out["account"] = event.sender.account
    return out


@frame.register
def _(event: ev.RoomMessage) -> dict[str, Any]:
    return _chat(event, {"room": event.room})


@frame.register
def _(event: ev.DirectMessage) -> dict[str, Any]:
    return _chat(event, {"to": event.target})


def presence(kind: str, event: Any, **extra: Any) -> dict[str, Any]:
    out = {"type": "presence", "event": kind, "time": event.time, "nick": event.who.nick}
    out.update(extra)
    return out


@frame.register
def _(event: ev.Joined) -> dict[str, Any]:
    if event.who.account:
        return presence("join", event, room=event.room, protocol=event.who.protocol, account=event.who.account)
    return presence("join", event, room=event.room, protocol=event.who.protocol)


@frame.register
def _(event: ev.Parted) -> dict[str, Any]:
    return presence("part", event, room=event.room, reason=event.reason)


@frame.register
def _(event: ev.Quit) -> dict[str, Any]:
    return presence("quit", event, reason=event.reason)


@frame.register
def _(event: ev.NickChanged) -> dict[str, Any]:
    return presence("nick", event, new_nick=event.new_nick)


@frame.register
def _(event: ev.AwayChanged) -> dict[str, Any]:
    return presence("away", event, message=event.message)


@frame.register
def _(event: ev.AccountChanged) -> dict[str, Any]:
    return presence("account", event, account=event.who.account)


@frame.register
def _(event: ev.Kicked) -> dict[str, Any]:
    return {"type": "presence", "event": "kick", "time": event.time, "room": event.room,
            "nick": event.target, "by": event.who.nick, "reason": event.reason}


@frame.register
def _(event: ev.TopicChanged) -> dict[str, Any]:
    return {"type": "topic", "room": event.room, "topic": event.topic, "by": event.who.nick, "time": event.time}


@frame.register
def _(event: ev.ModeChanged) -> dict[str, Any]:
    return {"type": "mode", "room": event.room, "by": event.who.nick, "time": event.time,
            "changes": [list(change) for change in event.changes]}


@frame.register
def _(event: ev.ReadMarked) -> dict[str, Any]:
    where = {"room": event.target} if event.target.startswith("#") else {"with": event.target}
    return {"type": "read", **where, "time": event.until}


@frame.register
def _(event: ev.Redacted) -> dict[str, Any]:
    where = {"room": event.target} if event.target.startswith("#") else {"to": event.target}
    return {"type": "redact", **where, "msgid": event.msgid, "by": event.who.nick, "reason": event.reason,
            "time": event.time}


@frame.register
def _(event: ev.Invited) -> Optional[dict[str, Any]]:
    if event.notice:
        return None
    return {"type": "invite", "room": event.room, "from": event.who.nick, "time": event.time}
