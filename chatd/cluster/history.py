"""History in cluster mode: every node reads the same Redis streams.

The room-message script appends each message to its room's capped stream as
it publishes it, so there is nothing to write here; this store only reads.
Message ids in cluster mode are the stream entry ids ("<ms>-<seq>").
"""

from __future__ import annotations

import re
from typing import Any, Optional, Sequence

from twisted.internet import defer

from ..core.casemap import casefold
from ..core.history import Message, Ref, RoomRecord, TargetSummary, dm_key, person_name
from . import codec, scripts
from .keys import Keys

_STREAM_ID = re.compile(r"\d{1,20}-\d{1,20}")
SEARCH_DEPTH = 2000  # newest entries per conversation searched in cluster mode
SEARCH_TARGETS = 200  # direct conversations searched in cluster mode
_MAX_SEQ = "18446744073709551615"


def _after(ref: Ref) -> Optional[str]:
    """Exclusive lower bound: entries after ``ref``."""
    if ref.msgid is not None:
        return "(" + ref.msgid if _STREAM_ID.fullmatch(ref.msgid) else None
    return f"({int((ref.time or 0) * 1000)}-{_MAX_SEQ}"


def _before(ref: Ref) -> Optional[str]:
    """Exclusive upper bound: entries before ``ref``."""
    if ref.msgid is not None:
        return "(" + ref.msgid if _STREAM_ID.fullmatch(ref.msgid) else None
    return f"({int((ref.time or 0) * 1000)}-0"


class RedisHistory:
    def __init__(self, link: Any, keys: Keys) -> None:
        self.link = link
        self.keys = keys

    def _parse(self, entries: Sequence[Any], reverse: bool) -> list[Message]:
        found = []
        for entry_id, fields in entries or []:
            values = dict(zip(fields[::2], fields[1::2], strict=False))
            if "m" in values:
                found.append(codec.message_from(entry_id, values["m"]))
        if reverse:
            found.reverse()
        return found

    def _range(self, command: str, key: str, first: Optional[str], last: Optional[str], limit: int,
               reverse: bool) -> defer.Deferred[list[Message]]:
        if first is None or last is None:
            return defer.succeed([])
        d = self.link.call(command, self.keys.history(key), first, last, "COUNT", limit)
        return d.addCallback(self._parse, reverse)

    def append(self, message: Message) -> defer.Deferred[bool]:
        # Only reached while Redis is down: the message went to local users only
        # and is not stored (the link's state is logged where it changes).
        return defer.succeed(False)

    def latest(self, key: str, limit: int, after: Optional[Ref] = None) -> defer.Deferred[list[Message]]:
        low = _after(after) if after is not None else "-"
        return self._range("XREVRANGE", key, "+", low, limit, True)

    def before(self, key: str, ref: Ref, limit: int) -> defer.Deferred[list[Message]]:
        return self._range("XREVRANGE", key, _before(ref), "-", limit, True)

    def after(self, key: str, ref: Ref, limit: int) -> defer.Deferred[list[Message]]:
        return self._range("XRANGE", key, _after(ref), "+", limit, False)

    @defer.inlineCallbacks
    def around(self, key: str, ref: Ref, limit: int) -> Any:
        older = yield self.before(key, ref, limit // 2)
        start = ref.msgid if ref.msgid is not None else f"{int((ref.time or 0) * 1000)}-0"
        if not _STREAM_ID.fullmatch(start):
            return older
        newer = yield self._range("XRANGE", key, start, "+", limit - len(older), False)
        return older + newer

    def between(self, key: str, start: Ref, end: Ref, limit: int) -> defer.Deferred[list[Message]]:
        forward = (start.msgid or "", start.time or 0) <= (end.msgid or "", end.time or 0)
        if start.msgid and end.msgid and _STREAM_ID.fullmatch(start.msgid) and _STREAM_ID.fullmatch(end.msgid):
            forward = tuple(map(int, start.msgid.split("-"))) <= tuple(map(int, end.msgid.split("-")))
        if forward:
            return self._range("XRANGE", key, _after(start), _before(end), limit, False)
        return self._range("XREVRANGE", key, _before(start), _after(end), limit, True)

    @defer.inlineCallbacks
    def targets(self, person: str, rooms: Sequence[str], start: float, end: float, limit: int) -> Any:
        low, high = sorted((start, end))
        found: list[TargetSummary] = []
        peers = yield self.link.call("ZRANGEBYSCORE", self.keys.peers(person),
                                     f"({int(low * 1000)}", f"({int(high * 1000)}", "WITHSCORES")
        for peer, score in zip(peers[::2], peers[1::2], strict=False):
            found.append(TargetSummary(dm_key(person, peer), person_name(peer), int(float(score)) / 1000.0))
        for room in rooms:
            newest = yield self.link.call("XREVRANGE", self.keys.history(casefold(room)), "+", "-", "COUNT", 1)
            if newest:
                when = codec.stream_time(newest[0][0])
                if low < when < high:
                    found.append(TargetSummary(casefold(room), room, when))
        found.sort(key=lambda t: t.latest)
        return found[:limit]

    def find(self, key: str, msgid: str) -> defer.Deferred[Optional[Message]]:
        if not _STREAM_ID.fullmatch(msgid):
            return defer.succeed(None)
        d = self._range("XRANGE", key, msgid, msgid, 1, False)
        return d.addCallback(lambda found: found[0] if found else None)

    def remove(self, key: str, msgid: str) -> defer.Deferred[bool]:
        if not _STREAM_ID.fullmatch(msgid):
            return defer.succeed(False)
        return self.link.call("XDEL", self.keys.history(key), msgid).addCallback(lambda n: int(n) > 0)

    @defer.inlineCallbacks
    def search(self, words: Sequence[str], rooms: Sequence[str], person: Optional[str], limit: int) -> Any:
        """Redis has no text index: the newest SEARCH_DEPTH entries of each conversation are read
        and filtered here. Slower, and bounded; documented as such."""
        keys = list(rooms)
        if person is not None:
            peers = yield self.link.call("ZREVRANGE", self.keys.peers(person), 0, SEARCH_TARGETS)
            keys += [dm_key(person, peer) for peer in peers]
        wanted = [word.casefold() for word in words]
        found: list[Message] = []
        for key in keys:
            recent = yield self._range("XREVRANGE", key, "+", "-", SEARCH_DEPTH, False)
            found += [m for m in recent if all(w in m.text.casefold() for w in wanted)]
        found.sort(key=lambda m: codec.stream_order(m.id), reverse=True)
        return found[:limit]

    def read_marker(self, person: str, target: str) -> defer.Deferred[Optional[float]]:
        d = self.link.call("HGET", self.keys.read_markers(person), target)
        return d.addCallback(lambda value: float(value) if value is not None else None)

    def mark_read(self, person: str, target: str, when: float) -> defer.Deferred[float]:
        d = self.link.script(scripts.MARK_READ, [self.keys.read_markers(person)], [target, repr(when)])
        return d.addCallback(float)

    def save_room(self, room: RoomRecord) -> defer.Deferred[None]:
        return defer.succeed(None)  # the bridge keeps rooms in Redis

    def load_rooms(self) -> list[RoomRecord]:
        return []  # the bridge learns rooms from Redis when it connects
