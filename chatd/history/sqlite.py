"""The embedded history store: one SQLite file in the state directory.

All database work runs on one dedicated thread, never on the reactor.  Writes
are group-committed: messages accepted during one reactor turn go to disk in
one transaction, so a busy room costs one commit (one fsync) per batch, not
per message, and each message's Deferred fires when its batch is durable.
The full-text index is filled afterwards, in small transactions of its own
whenever no messages wait (a search first brings it up to date), so that it
never stands between a message and its commit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import attrs
from twisted.application import service
from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall, IReactorThreads, IReactorTime
from twisted.logger import Logger

from ..core import events as ev
from ..core.casemap import casefold
from ..core.history import Message, Ref, RoomRecord, TargetSummary, target_key
from ..dbthread import DatabaseThread, open_database
from . import search as fulltext
from .migrations import migrate

log = Logger()
MAX_BATCH = 5000
INDEX_CHUNK = 1000  # messages indexed per transaction: the few milliseconds a message batch may wait
INDEX_HEADROOM = 0.05  # seconds: below this writer lag, index chunks take turns with message batches

_COLUMNS = ("id, target, room, recipient, peer_a, peer_b, time, sender_nick, sender_user, sender_host, "
            "sender_realname, sender_protocol, kind, text, sender_account, sender_person, sender_bot")
_SELECT = f"SELECT {_COLUMNS} FROM messages"
_INSERT_BATCH = (f"INSERT OR IGNORE INTO messages ({_COLUMNS}) SELECT "
                 + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(_COLUMNS.split(","))))
                 + " FROM json_each(?) ORDER BY key")


@attrs.frozen
class Retention:
    """How long a room keeps its messages: days (0: forever) and a count (0: no cap)."""

    max_age_days: float = 0
    max_count: int = 0


def _row(message: Message) -> tuple[Any, ...]:
    who = message.sender
    if isinstance(message, ev.RoomMessage):
        room, recipient, peer_a, peer_b, person = message.room, None, None, None, None
    else:
        room, recipient, person = None, message.target, message.peers[0]
        peer_a, peer_b = sorted(message.peers)
    return (message.id, target_key(message), room, recipient, peer_a, peer_b, message.time, who.nick, who.user,
            who.host, who.realname, who.protocol, message.kind, message.text, who.account, person, int(who.bot))


def _message(row: Sequence[Any]) -> Message:
    (msgid, _target, room, recipient, a, b, when, nick, user, host, realname, protocol, kind, text, account,
     person, bot) = row
    sender = ev.Identity(nick, user, host, realname, protocol, bool(bot), account)
    if room is not None:
        return ev.RoomMessage(msgid, when, room, sender, kind, text)
    other = b if person == a else a
    return ev.DirectMessage(msgid, when, sender, recipient, kind, text, (), (person or "", other or ""))


def _bound(ref: Ref, op: str) -> tuple[str, Any]:
    if ref.msgid is not None:
        return f"id {op} ?", ref.msgid
    return f"time {op} ?", ref.time


class SQLiteHistory(service.Service):
    """A :class:`chatd.core.HistoryStore` on SQLite, and the service that owns it."""

    def __init__(
        self,
        path: Path | str,
        clock: IReactorTime,
        threaded: Optional[IReactorThreads] = None,
        retention: Retention = Retention(),
        room_retention: Optional[dict[str, Retention]] = None,
    ) -> None:
        self.path = str(path)
        self.clock = clock
        self.retention = retention
        self.room_retention = {casefold(k): v for k, v in (room_retention or {}).items()}
        self.db = open_database(self.path)
        self.version = migrate(self.db)
        self.pending: list[tuple[tuple[Any, ...], defer.Deferred[bool]]] = []
        self.scheduled: Optional[IDelayedCall] = None
        self.flushing = False
        self.idle_waiters: list[defer.Deferred[None]] = []
        self.closed = False
        self.unindexed = True  # committed messages may wait for the full-text index (also from a last run)
        self.indexed_last = False  # the writer's last job was an index chunk: a message batch goes next
        # Figures for /metrics.
        self.batches = 0
        self.last_batch_size = 0
        self.last_batch_seconds = 0.0
        self.batch_seconds_total = 0.0
        self.messages_written = 0
        # The writer's lag: from a batch's oldest message being accepted to its commit, i.e. how much
        # a crash right now could lose. The last batch's, and the largest since start.
        self.pending_since: Optional[float] = None
        self.last_lag = 0.0
        self.max_lag = 0.0
        self.thread = DatabaseThread(threaded, "chatd-history")
        self.run = self.thread.run  # database work on the history thread (inline in unit tests)

    def startService(self) -> None:
        super().startService()
        self.thread.start()
        self._kick()  # index what a previous run committed but did not index

    def stopService(self) -> defer.Deferred[None]:
        return defer.ensureDeferred(self._stop())

    async def _stop(self) -> None:
        super().stopService()
        await self.flush_all()
        self.closed = True
        self.thread.stop()
        self.db.close()
        log.info("history flushed and closed ({n} messages written)", n=self.messages_written)

    # -- writes ------------------------------------------------------------------------

    def append(self, message: Message) -> defer.Deferred[bool]:
        """Queue a message for the next batch; fires True once committed, False if that failed."""
        if self.closed:
            log.warn("history is closed: message {id} not stored", id=message.id)
            return defer.succeed(False)
        d: defer.Deferred[bool] = defer.Deferred()
        if not self.pending:
            self.pending_since = self.clock.seconds()
        self.pending.append((_row(message), d))
        self._kick()
        return d

    def _kick(self) -> None:
        if self.flushing or self.scheduled is not None:
            return
        if not self.pending:
            waiters, self.idle_waiters = self.idle_waiters, []
            for waiter in waiters:
                waiter.callback(None)
            if self.unindexed and not self.closed:
                self._index_some()
            return
        if self.unindexed and not self.indexed_last and self.last_lag < INDEX_HEADROOM and not self.closed:
            # The writer keeps pace: the index gets a turn between two batches, so it does not trail
            # far behind. When the writer falls behind, messages come first and the index waits.
            self._index_some()
            return
        # Everything accepted in this reactor turn goes into one transaction.
        self.scheduled = self.clock.callLater(0, self._flush)

    def _index_some(self) -> None:
        """Index one chunk of committed messages; messages that arrive meanwhile go next."""
        self.flushing = True

        def done(count: int) -> None:
            self.flushing = False
            self.indexed_last = True
            self.unindexed = count >= INDEX_CHUNK
            self._kick()

        def failed(failure: Any) -> None:
            self.flushing = False
            self.unindexed = False  # tried again after the next batch, not in a loop
            log.failure("indexing messages for search failed", failure)
            self._kick()

        self.run(fulltext.index, self.db, INDEX_CHUNK).addCallbacks(done, failed)

    def _flush(self) -> None:
        self.scheduled = None
        batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
        self.flushing = True
        started = self.clock.seconds()
        oldest = self.pending_since if self.pending_since is not None else started
        self.pending_since = started if self.pending else None
        d = self.run(self._write, [row for row, _ in batch])

        def done(committed: float) -> None:
            self.flushing = False
            self.unindexed, self.indexed_last = True, False
            self.batches += 1
            self.last_batch_size = len(batch)
            self.last_batch_seconds = self.clock.seconds() - started
            self.batch_seconds_total += self.last_batch_seconds
            self.messages_written += len(batch)
            # What a crash could lose: from the oldest message's acceptance to its commit on disk.
            self.last_lag = committed - oldest
            self.max_lag = max(self.max_lag, self.last_lag)
            for _, waiter in batch:
                waiter.callback(True)
            self._kick()

        def failed(failure: Any) -> None:
            self.flushing = False
            log.failure("history write of {n} messages failed", failure, n=len(batch))
            for _, waiter in batch:
                waiter.callback(False)  # logged above, once for the batch
            self._kick()

        d.addCallbacks(done, failed)

    def _write(self, rows: list[tuple[Any, ...]]) -> float:
        """Commit ``rows``; returns when the commit ended (the reactor may hear of it later)."""
        # The whole batch is one JSON array bound to one statement: SQLite then inserts every row (and
        # its index entries) inside a single call that runs without the GIL. With executemany the
        # thread must win the GIL back from a busy reactor between rows, and under load it wrote
        # about 150 rows/s instead of 20,000 (measured; see docs/benchmarks.md). One statement is
        # one transaction (the connection autocommits): one call, one GIL round trip.
        self.db.execute(_INSERT_BATCH, (json.dumps(rows, ensure_ascii=False),))
        return self.clock.seconds()

    def flush_all(self) -> defer.Deferred[None]:
        """Fires once everything accepted so far is on disk."""
        if not self.flushing and not self.pending:
            return defer.succeed(None)
        d: defer.Deferred[None] = defer.Deferred()
        self.idle_waiters.append(d)
        if self.scheduled is not None and self.scheduled.active():
            self.scheduled.cancel()
            self.scheduled = None
            self._flush()
        return d

    def save_room(self, room: RoomRecord) -> defer.Deferred[None]:
        def failed(failure: Any) -> None:
            log.failure("saving room {room} failed", failure, room=room.name)

        return self.run(self._save_room, room).addErrback(failed)

    def _save_room(self, room: RoomRecord) -> None:
        self.db.execute(
            "INSERT INTO rooms (folded, name, created, topic, topic_by, topic_time, state) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT (folded) DO UPDATE SET topic=excluded.topic, topic_by=excluded.topic_by, "
            "topic_time=excluded.topic_time, state=excluded.state",
            (casefold(room.name), room.name, room.created, room.topic, room.topic_by, room.topic_time,
             json.dumps(room.state)),
        )

    def load_rooms(self) -> list[RoomRecord]:
        rows = self.db.execute("SELECT name, created, topic, topic_by, topic_time, state FROM rooms ORDER BY created")
        return [RoomRecord(name, created, topic, topic_by, topic_time, json.loads(state or "{}"))
                for name, created, topic, topic_by, topic_time, state in rows]

    # -- reads -----------------------------------------------------------------------

    def _query(self, sql: str, args: Iterable[Any], reverse: bool) -> list[Message]:
        rows = [_message(row) for row in self.db.execute(sql, tuple(args))]
        if reverse:
            rows.reverse()
        return rows

    def find(self, key: str, msgid: str) -> defer.Deferred[Optional[Message]]:
        def query(_: object) -> defer.Deferred[Optional[Message]]:
            return self.run(lambda: next(iter(self._query(f"{_SELECT} WHERE target=? AND id=?", (key, msgid),
                                                          False)), None))

        return self.flush_all().addCallback(query)  # a message still in the write batch counts

    def remove(self, key: str, msgid: str) -> defer.Deferred[bool]:
        def delete(_: object) -> defer.Deferred[bool]:
            return self.run(lambda: self.db.execute("DELETE FROM messages WHERE target=? AND id=?",
                                                    (key, msgid)).rowcount > 0)

        return self.flush_all().addCallback(delete)

    def search(self, words: Sequence[str], rooms: Sequence[str], person: Optional[str],
               limit: int) -> defer.Deferred[list[Message]]:
        found = fulltext.query(words, rooms, person, limit, _COLUMNS)
        if found is None:
            return defer.succeed([])
        sql, args = found

        def query(_: object) -> defer.Deferred[list[Message]]:
            def indexed_then_query() -> list[Message]:
                fulltext.index_all(self.db)  # everything said before the search is found by it
                return self._query(sql, args, False)

            return self.run(indexed_then_query)

        return self.flush_all().addCallback(query)

    def read_marker(self, person: str, target: str) -> defer.Deferred[Optional[float]]:
        def query() -> Optional[float]:
            row = self.db.execute("SELECT time FROM read_markers WHERE person=? AND target=?",
                                  (person, target)).fetchone()
            return row[0] if row else None

        return self.run(query)

    def mark_read(self, person: str, target: str, when: float) -> defer.Deferred[float]:
        def upsert() -> float:
            self.db.execute(
                "INSERT INTO read_markers (person, target, time) VALUES (?,?,?) "
                "ON CONFLICT (person, target) DO UPDATE SET time=max(time, excluded.time)", (person, target, when))
            return float(self.db.execute("SELECT time FROM read_markers WHERE person=? AND target=?",
                                         (person, target)).fetchone()[0])

        return self.run(upsert)

    def latest(self, key: str, limit: int, after: Optional[Ref] = None) -> defer.Deferred[list[Message]]:
        if after is None:
            return self.run(self._query, f"{_SELECT} WHERE target=? ORDER BY id DESC LIMIT ?", (key, limit), True)
        clause, value = _bound(after, ">")

        def query(_: object) -> defer.Deferred[list[Message]]:
            return self.run(self._query, f"{_SELECT} WHERE target=? AND {clause} ORDER BY id DESC LIMIT ?",
                            (key, value, limit), True)

        # What someone missed since a point (a device coming back, a web client's recovery): a message
        # still in the write batch was said after that point too.
        return self.flush_all().addCallback(query)

    def before(self, key: str, ref: Ref, limit: int) -> defer.Deferred[list[Message]]:
        clause, value = _bound(ref, "<")
        return self.run(self._query, f"{_SELECT} WHERE target=? AND {clause} ORDER BY id DESC LIMIT ?",
                        (key, value, limit), True)

    def after(self, key: str, ref: Ref, limit: int) -> defer.Deferred[list[Message]]:
        clause, value = _bound(ref, ">")
        return self.run(self._query, f"{_SELECT} WHERE target=? AND {clause} ORDER BY id ASC LIMIT ?",
                        (key, value, limit), False)

    def around(self, key: str, ref: Ref, limit: int) -> defer.Deferred[list[Message]]:
        def query() -> list[Message]:
            older_clause, value = _bound(ref, "<")
            newer_clause, _ = _bound(ref, ">=")
            older = self._query(f"{_SELECT} WHERE target=? AND {older_clause} ORDER BY id DESC LIMIT ?",
                                (key, value, limit // 2), True)
            newer = self._query(f"{_SELECT} WHERE target=? AND {newer_clause} ORDER BY id ASC LIMIT ?",
                                (key, value, limit - len(older)), False)
            return older + newer

        return self.run(query)

    def between(self, key: str, start: Ref, end: Ref, limit: int) -> defer.Deferred[list[Message]]:
        def query() -> list[Message]:
            low, high = start, end
            forward = True
            if (start.time is not None and end.time is not None and start.time > end.time) or (
                start.msgid is not None and end.msgid is not None and start.msgid > end.msgid
            ):
                low, high, forward = end, start, False
            low_clause, low_value = _bound(low, ">")
            high_clause, high_value = _bound(high, "<")
            order = "ASC" if forward else "DESC"
            return self._query(
                f"{_SELECT} WHERE target=? AND {low_clause} AND {high_clause} ORDER BY id {order} LIMIT ?",
                (key, low_value, high_value, limit), not forward,
            )

        return self.run(query)

    def targets(self, person: str, rooms: Sequence[str], start: float, end: float,
                limit: int) -> defer.Deferred[list[TargetSummary]]:
        me = person
        low, high = sorted((start, end))

        def query() -> list[TargetSummary]:
            marks = ",".join("?" for _ in rooms)
            room_clause = f"target IN ({marks}) OR " if rooms else ""
            sql = (
                "SELECT target, MAX(time), room, peer_a, peer_b, "
                "(SELECT CASE WHEN m2.room IS NOT NULL THEN m2.room "
                " WHEN m2.sender_person = ? THEN m2.recipient ELSE m2.sender_nick END "
                " FROM messages m2 WHERE m2.target = m.target ORDER BY id DESC LIMIT 1) "
                f"FROM messages m WHERE ({room_clause}peer_a = ? OR peer_b = ?) AND time > ? AND time < ? "
                "GROUP BY target ORDER BY MAX(time) ASC LIMIT ?"
            )
            args = [me, *[casefold(r) for r in rooms], me, me, low, high, limit]
            return [TargetSummary(key, name, latest) for key, latest, _r, _a, _b, name in self.db.execute(sql, args)]

        # Which conversations someone has (CHATHISTORY TARGETS, what waits for them on signing in):
        # one that a message still in the write batch began counts too.
        return self.flush_all().addCallback(lambda _: self.run(query))

    # -- retention -----------------------------------------------------------------------

    def prune(self) -> defer.Deferred[int]:
        """Apply retention to every conversation; returns how many messages went."""
        now = self.clock.seconds()

        def work() -> int:
            removed = 0
            targets = [row[0] for row in self.db.execute("SELECT DISTINCT target FROM messages")]
            for target in targets:
                rule = self.room_retention.get(target, self.retention)
                with self.db:
                    self.db.execute("BEGIN")
                    if rule.max_age_days > 0:
                        cutoff = now - rule.max_age_days * 86400
                        removed += self.db.execute(
                            "DELETE FROM messages WHERE target=? AND time < ?", (target, cutoff)).rowcount
                    if rule.max_count > 0:
                        removed += self.db.execute(
                            "DELETE FROM messages WHERE target=? AND id <= (SELECT id FROM messages "
                            "WHERE target=? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                            (target, target, rule.max_count)).rowcount
            return removed

        def report(removed: int) -> int:
            if removed:
                log.info("history retention removed {n} messages", n=removed)
            return removed

        return self.run(work).addCallback(report)
