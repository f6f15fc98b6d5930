"""The outgoing webhooks' durable queue: each event waits in SQLite until its receiver took it.

An event is written before the first attempt, so a restart (or a crash)
loses nothing that was queued: the daemon resumes sending where it stopped,
each subscription's events in the order they happened.  A subscription's
queue is bounded: past ``cap`` events the oldest go (counted), so a receiver
that is down for a week does not fill the disk.  The file is
``webhooks.sqlite3`` in the state directory, the node's own: in cluster mode
each node sends what happened on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import attrs
from twisted.internet import defer
from twisted.internet.interfaces import IReactorThreads

from ..dbthread import SQLiteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_queue (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,  -- the delivery id (X-Chatd-Delivery)
    hook      TEXT NOT NULL,
    body      BLOB NOT NULL,                      -- the JSON event, signed as it is
    attempts  INTEGER NOT NULL DEFAULT 0,
    due       REAL NOT NULL                       -- not before (seconds since the epoch)
);
CREATE INDEX IF NOT EXISTS webhook_queue_hook ON webhook_queue (hook, seq);
"""


@attrs.frozen
class Queued:
    seq: int
    hook: str
    body: bytes
    attempts: int
    due: float


class WebhookQueue(SQLiteStore):
    def __init__(self, path: Path | str, threaded: Optional[IReactorThreads] = None) -> None:
        super().__init__(path, SCHEMA, "chatd-webhooks", threaded)

    def push(self, hook: str, body: bytes, now: float, cap: int) -> defer.Deferred[int]:
        """Queue ``body`` for ``hook``; how many of its oldest events were dropped to stay under ``cap``."""
        def work() -> int:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute("INSERT INTO webhook_queue (hook, body, due) VALUES (?,?,?)", (hook, body, now))
                dropped = self.db.execute(
                    "DELETE FROM webhook_queue WHERE seq IN (SELECT seq FROM webhook_queue WHERE hook=? "
                    "ORDER BY seq DESC LIMIT -1 OFFSET ?)", (hook, cap)).rowcount
            finally:
                self.db.execute("COMMIT")
            return dropped
        return self._run(work)

    def first(self, hook: str) -> defer.Deferred[Optional[Queued]]:
        """The oldest event waiting for ``hook``."""
        def work() -> Optional[Queued]:
            row = self.db.execute("SELECT seq, hook, body, attempts, due FROM webhook_queue WHERE hook=? "
                                  "ORDER BY seq LIMIT 1", (hook,)).fetchone()
            return Queued(row[0], row[1], bytes(row[2]), row[3], row[4]) if row else None
        return self._run(work)

    def done(self, seq: int) -> defer.Deferred[None]:
        def work() -> None:
            self.db.execute("DELETE FROM webhook_queue WHERE seq=?", (seq,))
        return self._run(work)

    def later(self, seq: int, attempts: int, due: float) -> defer.Deferred[None]:
        def work() -> None:
            self.db.execute("UPDATE webhook_queue SET attempts=?, due=? WHERE seq=?", (attempts, due, seq))
        return self._run(work)

    def forget(self, hook: str) -> defer.Deferred[int]:
        """Drop what waits for a removed subscription."""
        return self._run(lambda: self.db.execute("DELETE FROM webhook_queue WHERE hook=?", (hook,)).rowcount)

    def waiting(self) -> defer.Deferred[dict[str, int]]:
        """How many events wait, per subscription."""
        def work() -> dict[str, int]:
            return dict(self.db.execute("SELECT hook, COUNT(*) FROM webhook_queue GROUP BY hook").fetchall())
        return self._run(work)
