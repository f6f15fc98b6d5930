"""History in cluster mode: every node reads the same Redis streams.

The room-message script appends each message to its room's capped stream as
it publishes it, so there is nothing to write here; this store only reads.
Message ids are the nodes' own ULIDs; each stream's id index (a sorted set of
id -> the millisecond Redis stored it) finds a message's entry for paging
around it.  Entries are in the order Redis stored them, which is the order
every node delivered them.

The reads are ``async def`` over the link's Deferreds; :func:`deferred` hands
callers a Deferred, as the history interface promises, so a read starts at
once and a caller that drops it leaves no coroutine behind.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Coroutine, Optional, ParamSpec, Sequence, TypeVar

from twisted.internet import defer

from ..core.casemap import casefold
from ..core.history import Message, Ref, RoomRecord, TargetSummary, dm_key, person_name
from . import codec, scripts
from .keys import Keys

SEARCH_DEPTH = 2000  # newest entries per conversation searched in cluster mode
SEARCH_TARGETS = 200  # direct conversations searched in cluster mode
_MAX_SEQ = "18446744073709551615"

P = ParamSpec("P")
T = TypeVar("T")


def deferred(read: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, defer.Deferred[T]]:
    """An ``async def`` read, started at once, its result a Deferred."""
    @functools.wraps(read)
    def started(*args: P.args, **kwargs: P.kwargs) -> defer.Deferred[T]:
        return defer.ensureDeferred(read(*args, **kwargs))
    return started


class RedisHistory:
    def __init__(self, link: Any, keys: Keys) -> None:
        self.link = link
        self.keys = keys

    def _parse(self, entries: Sequence[Any], reverse: bool) -> list[Message]:
        found = []
        for _entry_id, fields in entries or []:
            payload = codec.entry_payload(fields)
            if payload:
                found.append(codec.message_from(payload))
        if reverse:
            found.reverse()
        return found

    @deferred
    async def locate(self, key: str, msgid: str) -> Optional[str]:
        """The stream entry id of message ``msgid``, or None: the id index gives its millisecond,
        and the entries of that millisecond are searched for it."""
        if not msgid or len(msgid) > 64:
            return None
        ms = await self.link.call("ZSCORE", self.keys.ids(key), msgid)
        if ms is None:
            return None
        ms = int(float(ms))
        entries = await self.link.call("XRANGE", self.keys.history(key), f"{ms}-0", f"{ms}-{_MAX_SEQ}")
        for entry_id, fields in entries or []:
            if f'"i":"{msgid}"' in codec.entry_payload(fields):
                return entry_id
        return None

    async def _bound(self, key: str, ref: Ref, after: bool) -> Optional[str]:
        """An exclusive XRANGE bound just after (or before) ``ref``; None if its message is unknown."""
        if ref.msgid is not None:
            entry = await self.locate(key, ref.msgid)
            return None if entry is None else "(" + entry
        ms = int((ref.time or 0) * 1000)
        return f"({ms}-{_MAX_SEQ}" if after else f"({ms}-0"

    async def _range(self, command: str, key: str, first: Optional[str], last: Optional[str], limit: int,
                     reverse: bool) -> list[Message]:
        if first is None or last is None or limit <= 0:
            return []
        entries = await self.link.call(command, self.keys.history(key), first, last, "COUNT", limit)
        return self._parse(entries, reverse)

    def append(self, message: Message) -> defer.Deferred[bool]:
        # Never reached: in cluster mode messages are stored by the publishing script (or the outbox).
        return defer.succeed(False)

    @deferred
    async def latest(self, key: str, limit: int, after: Optional[Ref] = None) -> list[Message]:
        low = (await self._bound(key, after, True)) if after is not None else "-"
        return (await self._range("XREVRANGE", key, "+", low, limit, True))

    @deferred
    async def before(self, key: str, ref: Ref, limit: int) -> list[Message]:
        high = await self._bound(key, ref, False)
        return (await self._range("XREVRANGE", key, high, "-", limit, True))

    @deferred
    async def after(self, key: str, ref: Ref, limit: int) -> list[Message]:
        low = await self._bound(key, ref, True)
        return (await self._range("XRANGE", key, low, "+", limit, False))

    @deferred
    async def around(self, key: str, ref: Ref, limit: int) -> list[Message]:
        older = await self.before(key, ref, limit // 2)
        if ref.msgid is not None:
            start = await self.locate(key, ref.msgid)
            if start is None:
                return older
        else:
            start = f"{int((ref.time or 0) * 1000)}-0"
        newer = await self._range("XRANGE", key, start, "+", limit - len(older), False)
        return older + newer

    @deferred
    async def between(self, key: str, start: Ref, end: Ref, limit: int) -> list[Message]:
        low_after = await self._bound(key, start, True)
        high_before = await self._bound(key, end, False)
        if low_after is None or high_before is None:
            return []
        if _order(low_after) <= _order(high_before):
            return (await self._range("XRANGE", key, low_after, high_before, limit, False))
        high = await self._bound(key, start, False)
        low = await self._bound(key, end, True)
        return (await self._range("XREVRANGE", key, high, low, limit, True))

    @deferred
    async def targets(self, person: str, rooms: Sequence[str], start: float, end: float,
                      limit: int) -> list[TargetSummary]:
        low, high = sorted((start, end))
        found: list[TargetSummary] = []
        peers = await self.link.call("ZRANGEBYSCORE", self.keys.peers(person),
                                     f"({int(low * 1000)}", f"({int(high * 1000)}", "WITHSCORES")
        for peer, score in zip(peers[::2], peers[1::2], strict=False):
            found.append(TargetSummary(dm_key(person, peer), person_name(peer), int(float(score)) / 1000.0))
        for room in rooms:
            newest = await self.link.call("XREVRANGE", self.keys.history(casefold(room)), "+", "-", "COUNT", 1)
            if newest:
                when = codec.stream_time(newest[0][0])  # when Redis last stored one
                if low < when < high:
                    found.append(TargetSummary(casefold(room), room, when))
        found.sort(key=lambda t: t.latest)
        return found[:limit]

    @deferred
    async def find(self, key: str, msgid: str) -> Optional[Message]:
        entry = await self.locate(key, msgid)
        if entry is None:
            return None
        found = await self._range("XRANGE", key, entry, entry, 1, False)
        return found[0] if found else None

    @deferred
    async def remove(self, key: str, msgid: str) -> bool:
        entry = await self.locate(key, msgid)
        if entry is None:
            return False
        removed = await self.link.call("XDEL", self.keys.history(key), entry)
        return int(removed) > 0

    @deferred
    async def search(self, words: Sequence[str], rooms: Sequence[str], person: Optional[str],
                     limit: int) -> list[Message]:
        """Redis has no text index: the newest SEARCH_DEPTH entries of each conversation are read
        and filtered here. Slower, and bounded; documented as such."""
        keys = list(rooms)
        if person is not None:
            peers = await self.link.call("ZREVRANGE", self.keys.peers(person), 0, SEARCH_TARGETS)
            keys += [dm_key(person, peer) for peer in peers]
        wanted = [word.casefold() for word in words]
        found: list[Message] = []
        for key in keys:
            recent = await self._range("XREVRANGE", key, "+", "-", SEARCH_DEPTH, False)
            found += [m for m in recent if all(w in m.text.casefold() for w in wanted)]
        found.sort(key=lambda m: (m.time, m.id), reverse=True)
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


def _order(bound: str) -> tuple[int, int]:
    """Where an exclusive bound "(<ms>-<seq>" sits, for comparing two."""
    ms, _, seq = bound.lstrip("(").partition("-")
    return int(ms), int(seq)
