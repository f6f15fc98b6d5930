"""Full-text search over the SQLite history: filling the FTS5 index, and the query people's words make.

Messages are indexed after they are committed, not in their own transaction
(schema 005): a message queues its id in ``fts_pending``, and :func:`index`
moves the queue into the index in chunks while no messages wait to be
written. Each step is one set-wide statement, so SQLite does the work
without taking Python's GIL back per row from a busy reactor.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Optional, Sequence


def index(db: sqlite3.Connection, limit: int) -> int:
    """Move up to ``limit`` queued messages into the index, in one transaction; returns how many were
    queued (fewer than ``limit``: the queue is empty now)."""
    with db:
        db.execute("BEGIN")
        count, upto = db.execute("SELECT COUNT(*), MAX(rowid) FROM (SELECT rowid FROM fts_pending "
                                 "ORDER BY rowid LIMIT ?)", (limit,)).fetchone()
        if not count:
            return 0
        (before,) = db.execute("SELECT COALESCE(MAX(rid), 0) FROM fts_ids").fetchone()
        # A message removed before it was indexed has no row left to join, and is skipped.
        db.execute("INSERT OR IGNORE INTO fts_ids (id) SELECT m.id FROM fts_pending p "
                   "JOIN messages m ON m.id = p.id WHERE p.rowid <= ? ORDER BY p.rowid", (upto,))
        db.execute("INSERT INTO messages_fts (rowid, text) SELECT f.rid, m.text FROM fts_ids f "
                   "JOIN messages m ON m.id = f.id WHERE f.rid > ?", (before,))
        db.execute("DELETE FROM fts_pending WHERE rowid <= ?", (upto,))
    return int(count)


def index_all(db: sqlite3.Connection, chunk: int = 10000) -> None:
    while index(db, chunk) >= chunk:
        pass


def query(words: Sequence[str], rooms: Sequence[str], person: Optional[str], limit: int,
          columns: str) -> Optional[tuple[str, list[Any]]]:
    """The SQL and arguments that find ``words`` in ``rooms`` and in ``person``'s direct conversations,
    newest first; None when there is nowhere to look."""
    # Every word is a quoted FTS5 phrase: what people type is never read as query syntax.
    match = " ".join('"' + word.replace('"', '""') + '"' for word in words)
    places = ["m.target IN (" + ",".join("?" * len(rooms)) + ")"] if rooms else []
    args: list[Any] = [match, *rooms]
    if person is not None:
        places.append("m.peer_a = ? OR m.peer_b = ?")
        args += [person, person]
    if not places:
        return None
    selected = ", ".join("m." + c.strip() for c in columns.split(","))
    sql = (f"SELECT {selected} FROM messages_fts JOIN fts_ids i ON i.rid = messages_fts.rowid "
           f"JOIN messages m ON m.id = i.id WHERE messages_fts MATCH ? AND ({' OR '.join(places)}) "
           "ORDER BY m.id DESC LIMIT ?")
    return sql, [*args, limit]
