"""The node's outbox: messages accepted while Redis could not take them, kept on disk until it can.

A message that the node accepted but could not hand to Redis (the link is
down, a call timed out, or older messages are still waiting) is written here
with its id before it is acknowledged, shown to the node's own members, and
published when Redis is back, oldest first.  Publishing is idempotent by
message id (the Lua scripts skip ids they already hold), so a message that
reached Redis just before its call timed out is not stored or sent twice.

One SQLite file in the state directory (``outbox.sqlite3``), written on its
own thread and group-committed per reactor turn like the history store: a
burst costs one commit, and each message's Deferred fires once its row is
durable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import attrs
from twisted.internet import defer
from twisted.internet.interfaces import IReactorThreads, IReactorTime
from twisted.logger import Logger

from ..dbthread import DatabaseThread, open_database

log = Logger()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    msgid TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,   -- the message as nodes exchange it (codec.message_payload)
    nodes TEXT NOT NULL      -- direct messages: the node channels it goes to, space-separated
)
"""


@attrs.frozen
class Parcel:
    """One waiting message: its id, its cluster payload, and (direct messages) the nodes it goes to."""

    msgid: str
    payload: str
    nodes: tuple[str, ...] = ()


class Outbox:
    """Durable, ordered, node-local: what Redis has not taken yet."""

    def __init__(self, path: Path | str, clock: IReactorTime, threaded: Optional[IReactorThreads] = None) -> None:
        self.clock = clock
        self.db = open_database(path)
        self.db.execute(_SCHEMA)
        self.thread = DatabaseThread(threaded, "chatd-outbox")
        self.adds: list[tuple[Parcel, defer.Deferred[bool]]] = []
        self.removes: list[str] = []
        self.scheduled: Optional[Any] = None
        self.busy = False
        self.idle: list[defer.Deferred[None]] = []  # flush() callers, told once nothing is left to write

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.thread.stop()
        self.db.close()

    def load(self) -> list[Parcel]:
        """What a previous run left unpublished, oldest first (read once at start-up)."""
        rows = self.db.execute("SELECT msgid, payload, nodes FROM outbox ORDER BY seq").fetchall()
        return [Parcel(msgid, payload, tuple(nodes.split())) for msgid, payload, nodes in rows]

    def add(self, parcel: Parcel) -> defer.Deferred[bool]:
        """Keep a message; fires True once it is on disk (False if the disk refused, logged)."""
        d: defer.Deferred[bool] = defer.Deferred()
        self.adds.append((parcel, d))
        self._kick()
        return d

    def remove(self, msgid: str) -> None:
        """Redis has it now: forget it (batched with the rest of this turn's changes)."""
        self.removes.append(msgid)
        self._kick()

    def _kick(self) -> None:
        if self.scheduled is None and not self.busy and (self.adds or self.removes):
            self.scheduled = self.clock.callLater(0, self._flush)

    def _flush(self) -> None:
        self.scheduled = None
        adds, self.adds = self.adds, []
        removes, self.removes = self.removes, []
        self.busy = True
        d = self.thread.run(self._write, [(p.msgid, p.payload, " ".join(p.nodes)) for p, _ in adds], removes)

        def done(ok: bool) -> None:
            self.busy = False
            for _, waiter in adds:
                waiter.callback(ok)
            if self.idle and not self.adds and not self.removes:
                waiters, self.idle = self.idle, []
                for idle in waiters:
                    idle.callback(None)
            self._kick()

        def failed(failure: Any) -> bool:
            log.failure("outbox write of {n} messages failed", failure, n=len(adds))
            return False

        d.addErrback(failed).addCallback(done)

    def _write(self, rows: list[tuple[str, str, str]], removes: list[str]) -> bool:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR IGNORE INTO outbox (msgid, payload, nodes) VALUES (?,?,?)", rows)
            self.db.executemany("DELETE FROM outbox WHERE msgid = ?", [(m,) for m in removes])
        return True

    def flush(self) -> defer.Deferred[None]:
        """Fires once everything handed over so far is on disk (used when stopping)."""
        if not self.busy and not self.adds and not self.removes:
            return defer.succeed(None)
        if self.scheduled is not None:
            self.scheduled.cancel()
            self.scheduled = None
        waiter: defer.Deferred[None] = defer.Deferred()
        self.idle.append(waiter)
        if not self.busy:
            self._flush()
        return waiter
