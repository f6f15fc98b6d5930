"""Forward-only schema migrations from numbered SQL files.

``schema/NNN_name.sql`` files run in order, each in its own transaction, and
``schema_version`` remembers the last one applied, so an upgraded chatd
brings an old state directory forward on start and never runs a file twice.
"""

from __future__ import annotations

import re
import sqlite3
from importlib import resources

_NAME = re.compile(r"(\d+)_[\w-]+\.sql")


def migration_files() -> list[tuple[int, str]]:
    folder = resources.files("chatd.history") / "schema"
    found = []
    for entry in folder.iterdir():
        match = _NAME.fullmatch(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


def current_version(db: sqlite3.Connection) -> int:
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return row[0] or 0


def migrate(db: sqlite3.Connection) -> int:
    """Apply pending migrations; returns the resulting version."""
    version = current_version(db)
    for number, script in migration_files():
        if number <= version:
            continue
        try:
            db.executescript(
                f"BEGIN;\n{script}\n;INSERT INTO schema_version (version) VALUES ({number});\nCOMMIT;"
            )
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        version = number
    return version
