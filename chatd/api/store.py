"""Where API keys and webhooks (incoming hooks, outgoing subscriptions) live: a SQLite file
in the state directory on one node, Redis in cluster mode (every node sees a new or revoked key at once).

The daemon asks the store on every request instead of caching, so ``python -m
chatd.apikey revoke`` takes effect on the next request, without a restart or a
signal.  The lookups are one indexed row on the store's own thread (SQLite) or
one ``HGET`` (Redis).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional, Protocol

import attrs
from twisted.internet import defer
from twisted.internet.interfaces import IReactorThreads

from ..dbthread import SQLiteStore
from .keys import KeyRecord
from .subscriptions import Subscription

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    name    TEXT PRIMARY KEY,
    digest  TEXT NOT NULL UNIQUE,  -- SHA-256 of the key (the key itself is never stored)
    record  TEXT NOT NULL          -- JSON: scopes, rooms, created
);
CREATE TABLE IF NOT EXISTS hooks (
    id      TEXT PRIMARY KEY,
    record  TEXT NOT NULL          -- JSON: room, name, secret digest, created
);
CREATE TABLE IF NOT EXISTS subscriptions (
    id      TEXT PRIMARY KEY,
    record  TEXT NOT NULL          -- JSON: room, url, signing secret, events, triggers, nick
);
"""


@attrs.frozen
class HookRecord:
    """An incoming webhook: ``POST /hooks/{id}/{secret}`` posts to ``room`` as ``name``."""

    id: str
    digest: str  # of the secret
    room: str
    name: str
    created: float = 0.0
    created_by: str = ""

    def to_json(self) -> str:
        return json.dumps(attrs.asdict(self))

    def public(self) -> dict[str, Any]:
        """What a listing shows (never the secret's digest)."""
        return {"id": self.id, "room": self.room, "name": self.name, "created": self.created,
                "created_by": self.created_by}

    @classmethod
    def from_json(cls, raw: Any) -> Optional[HookRecord]:
        try:
            data = json.loads(raw)
            return cls(str(data["id"]), str(data["digest"]), str(data["room"]), str(data["name"]),
                       float(data.get("created", 0)), str(data.get("created_by", "")))
        except (ValueError, KeyError, TypeError):
            return None


class KeyStore(Protocol):
    def add_key(self, record: KeyRecord) -> defer.Deferred[bool]: ...
    def find_key(self, digest: str) -> defer.Deferred[Optional[KeyRecord]]: ...
    def keys(self) -> defer.Deferred[list[KeyRecord]]: ...
    def revoke_key(self, name: str) -> defer.Deferred[bool]: ...
    def add_hook(self, hook: HookRecord) -> defer.Deferred[None]: ...
    def find_hook(self, hook_id: str) -> defer.Deferred[Optional[HookRecord]]: ...
    def hooks(self) -> defer.Deferred[list[HookRecord]]: ...
    def remove_hook(self, hook_id: str) -> defer.Deferred[bool]: ...
    def add_subscription(self, sub: Subscription) -> defer.Deferred[None]: ...
    def subscriptions(self) -> defer.Deferred[list[Subscription]]: ...
    def remove_subscription(self, sub_id: str) -> defer.Deferred[bool]: ...


class SQLiteKeys(SQLiteStore):
    """Keys and hooks on one node: ``apikeys.sqlite3`` in the state directory (0600)."""

    def __init__(self, path: Path | str, threaded: Optional[IReactorThreads] = None) -> None:
        super().__init__(path, SCHEMA, "chatd-apikeys", threaded)

    def add_key(self, record: KeyRecord) -> defer.Deferred[bool]:
        def work() -> bool:
            cursor = self.db.execute("INSERT OR IGNORE INTO api_keys (name, digest, record) VALUES (?,?,?)",
                                     (record.name.lower(), record.digest, record.to_json()))
            return cursor.rowcount == 1
        return self._run(work)

    def find_key(self, digest: str) -> defer.Deferred[Optional[KeyRecord]]:
        def work() -> Optional[KeyRecord]:
            row = self.db.execute("SELECT record FROM api_keys WHERE digest=?", (digest,)).fetchone()
            return KeyRecord.from_json(row[0]) if row else None
        return self._run(work)

    def keys(self) -> defer.Deferred[list[KeyRecord]]:
        def work() -> list[KeyRecord]:
            rows = self.db.execute("SELECT record FROM api_keys ORDER BY name").fetchall()
            return [r for r in (KeyRecord.from_json(row[0]) for row in rows) if r is not None]
        return self._run(work)

    def revoke_key(self, name: str) -> defer.Deferred[bool]:
        return self._run(lambda: self.db.execute("DELETE FROM api_keys WHERE name=?",
                                                 (name.lower(),)).rowcount == 1)

    def add_hook(self, hook: HookRecord) -> defer.Deferred[None]:
        def work() -> None:
            self.db.execute("INSERT INTO hooks (id, record) VALUES (?,?)", (hook.id, hook.to_json()))
        return self._run(work)

    def find_hook(self, hook_id: str) -> defer.Deferred[Optional[HookRecord]]:
        def work() -> Optional[HookRecord]:
            row = self.db.execute("SELECT record FROM hooks WHERE id=?", (hook_id,)).fetchone()
            return HookRecord.from_json(row[0]) if row else None
        return self._run(work)

    def hooks(self) -> defer.Deferred[list[HookRecord]]:
        def work() -> list[HookRecord]:
            rows = self.db.execute("SELECT record FROM hooks ORDER BY id").fetchall()
            return [h for h in (HookRecord.from_json(row[0]) for row in rows) if h is not None]
        return self._run(work)

    def remove_hook(self, hook_id: str) -> defer.Deferred[bool]:
        return self._run(lambda: self.db.execute("DELETE FROM hooks WHERE id=?", (hook_id,)).rowcount == 1)

    def add_subscription(self, sub: Subscription) -> defer.Deferred[None]:
        def work() -> None:
            self.db.execute("INSERT OR REPLACE INTO subscriptions (id, record) VALUES (?,?)", (sub.id, sub.to_json()))
        return self._run(work)

    def subscriptions(self) -> defer.Deferred[list[Subscription]]:
        def work() -> list[Subscription]:
            rows = self.db.execute("SELECT record FROM subscriptions ORDER BY id").fetchall()
            return [s for s in (Subscription.from_json(row[0]) for row in rows) if s is not None]
        return self._run(work)

    def remove_subscription(self, sub_id: str) -> defer.Deferred[bool]:
        return self._run(lambda: self.db.execute("DELETE FROM subscriptions WHERE id=?",
                                                 (sub_id,)).rowcount == 1)


# KEYS: names hash, digests hash; ARGV: folded name, digest, record JSON. 1 if added.
ADD_KEY = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# KEYS: names hash, digests hash; ARGV: folded name. 1 if it was there.
REVOKE_KEY = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
redis.call('HDEL', KEYS[2], cjson.decode(raw)['digest'])
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
"""


def _values(reply: Any) -> list[Any]:
    """The values of an HGETALL reply (a flat list of field, value, ... from txredisapi)."""
    if isinstance(reply, dict):
        return list(reply.values())
    return list(reply or [])[1::2]


class RedisKeys:
    """Keys and hooks shared by every node (``<prefix>apikeys``, ``apikey-digests``, ``hooks``)."""

    def __init__(self, link: Any, prefix: str) -> None:
        self.link = link
        self.names, self.digests, self.hook_key = prefix + "apikeys", prefix + "apikey-digests", prefix + "hooks"
        self.sub_key = prefix + "webhooks"

    def add_key(self, record: KeyRecord) -> defer.Deferred[bool]:
        d = self.link.script(ADD_KEY, [self.names, self.digests],
                             [record.name.lower(), record.digest, record.to_json()])
        return d.addCallback(lambda added: bool(added))

    def find_key(self, digest: str) -> defer.Deferred[Optional[KeyRecord]]:
        return defer.ensureDeferred(self._find_key(digest))

    async def _find_key(self, digest: str) -> Optional[KeyRecord]:
        name = await self.link.call("HGET", self.digests, digest)
        if not name:
            return None
        raw = await self.link.call("HGET", self.names, name)
        record = KeyRecord.from_json(raw) if raw else None
        return record if record is not None and record.digest == digest else None

    def keys(self) -> defer.Deferred[list[KeyRecord]]:
        def records(values: Any) -> list[KeyRecord]:
            found = [KeyRecord.from_json(raw) for raw in _values(values)]
            return sorted((r for r in found if r is not None), key=lambda r: r.name.lower())
        return self.link.call("HGETALL", self.names).addCallback(records)

    def revoke_key(self, name: str) -> defer.Deferred[bool]:
        d = self.link.script(REVOKE_KEY, [self.names, self.digests], [name.lower()])
        return d.addCallback(lambda removed: bool(removed))

    def add_hook(self, hook: HookRecord) -> defer.Deferred[None]:
        return self.link.call("HSET", self.hook_key, hook.id, hook.to_json()).addCallback(lambda _: None)

    def find_hook(self, hook_id: str) -> defer.Deferred[Optional[HookRecord]]:
        return self.link.call("HGET", self.hook_key, hook_id).addCallback(
            lambda raw: HookRecord.from_json(raw) if raw else None)

    def hooks(self) -> defer.Deferred[list[HookRecord]]:
        def records(values: Any) -> list[HookRecord]:
            found = [HookRecord.from_json(raw) for raw in _values(values)]
            return sorted((h for h in found if h is not None), key=lambda h: h.id)
        return self.link.call("HGETALL", self.hook_key).addCallback(records)

    def remove_hook(self, hook_id: str) -> defer.Deferred[bool]:
        return self.link.call("HDEL", self.hook_key, hook_id).addCallback(lambda n: bool(n))

    def add_subscription(self, sub: Subscription) -> defer.Deferred[None]:
        return self.link.call("HSET", self.sub_key, sub.id, sub.to_json()).addCallback(lambda _: None)

    def subscriptions(self) -> defer.Deferred[list[Subscription]]:
        def records(values: Any) -> list[Subscription]:
            found = [Subscription.from_json(raw) for raw in _values(values)]
            return sorted((s for s in found if s is not None), key=lambda s: s.id)
        return self.link.call("HGETALL", self.sub_key).addCallback(records)

    def remove_subscription(self, sub_id: str) -> defer.Deferred[bool]:
        return self.link.call("HDEL", self.sub_key, sub_id).addCallback(lambda n: bool(n))
