"""One thread for one SQLite database: its queries never run on the reactor; and how the stores open one.

The history store and the account store each own one.  A single thread keeps
SQLite's one-writer rule without locks, and keeps the order of writes.  With
no reactor to hand the results back to (unit tests on a memory reactor), the
work runs inline instead.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

from twisted.application import service
from twisted.internet import defer, threads
from twisted.internet.interfaces import IReactorThreads
from twisted.python.threadpool import ThreadPool

T = TypeVar("T")


class DatabaseThread:
    def __init__(self, reactor: Optional[IReactorThreads], name: str) -> None:
        self.reactor = reactor
        self.pool = ThreadPool(minthreads=1, maxthreads=1, name=name) if reactor is not None else None

    def run(self, fn: Callable[..., T], *args: Any) -> defer.Deferred[T]:
        """Run ``fn(*args)`` on the thread; the Deferred fires on the reactor with its result."""
        if self.pool is None:
            return defer.maybeDeferred(fn, *args)
        return threads.deferToThreadPool(self.reactor, self.pool, fn, *args)  # type: ignore[arg-type]

    def start(self) -> None:
        if self.pool is not None:
            self.pool.start()

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.stop()


def open_database(path: Path | str) -> sqlite3.Connection:
    """A SQLite file as chatd's stores use it: autocommit (transactions are explicit), usable from
    the store's own thread, write-ahead log, and every commit synced to disk.

    The file is the owner's alone (0600), whatever the umask, and so are its write-ahead log and
    shared-memory files, which SQLite creates with the database file's permissions: it holds
    password hashes, the token key and private history."""
    if str(path) != ":memory:":
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        os.chmod(path, 0o600)  # a file from an older version, made under the umask
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    if str(path) != ":memory:":
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


class SQLiteStore(service.Service):
    """A small store on one SQLite file, with its own thread: the account store and the API key
    store.  The file opens (:func:`open_database`) and gets its schema when the store is made;
    the thread runs while the service does.  ``":memory:"`` (``--no-history``) has nothing to
    wait for and runs inline."""

    def __init__(self, path: Path | str, schema: str, name: str, threaded: Optional[IReactorThreads] = None) -> None:
        self.path = str(path)
        self.db = open_database(self.path)
        self.db.executescript(schema)
        self.thread = DatabaseThread(threaded if self.path != ":memory:" else None, name)
        self._run = self.thread.run

    def startService(self) -> None:
        super().startService()
        self.thread.start()

    def stopService(self) -> Any:
        super().stopService()
        self.thread.stop()
        self.db.close()
