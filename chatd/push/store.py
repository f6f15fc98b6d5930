"""Push subscriptions: each belongs to an account, is named by its endpoint, and holds the keys
the pushes are encrypted to.

One node keeps them in ``push.sqlite3`` in the state directory (:class:`SQLitePushStore`); a
cluster in Redis (:mod:`chatd.cluster.push`), so a push leaves from whichever node a message was
said on.  Adding an endpoint the account already has replaces it (as ``draft/webpush`` asks);
an account has at most ``limit`` subscriptions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Awaitable, Optional, Protocol

import attrs
from twisted.internet import defer
from twisted.internet.interfaces import IReactorThreads

from ..core.casemap import casefold
from ..dbthread import SQLiteStore


@attrs.frozen
class Subscription:
    endpoint: str
    p256dh: str  # the browser's P-256 public key, URL-safe base64
    auth: str  # its 16-byte secret, URL-safe base64
    format: str  # "web": a JSON notification for the service worker; "irc": one IRC line (draft/webpush)
    device: str = ""  # what the person called it (the device name of the connection that added it)
    created: float = 0.0

    def as_json(self) -> str:
        return json.dumps(attrs.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Optional[Subscription]:
        try:
            return cls(**json.loads(text))
        except (TypeError, ValueError):
            return None


class PushStore(Protocol):
    def add(self, account: str, subscription: Subscription, limit: int) -> Awaitable[bool]:
        """Keep ``subscription`` (replacing one with its endpoint); False if the account has ``limit``."""

    def remove(self, account: str, endpoint: str) -> Awaitable[bool]: ...

    def of(self, account: str) -> Awaitable[list[Subscription]]: ...


SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    account  TEXT NOT NULL,       -- the folded account name
    endpoint TEXT NOT NULL,
    data     TEXT NOT NULL,       -- the Subscription as JSON
    PRIMARY KEY (account, endpoint)
);
"""


class SQLitePushStore(SQLiteStore):
    def __init__(self, path: Path | str, threaded: Optional[IReactorThreads] = None) -> None:
        super().__init__(path, SCHEMA, "chatd-push", threaded)

    def add(self, account: str, subscription: Subscription, limit: int) -> defer.Deferred[bool]:
        folded = casefold(account)

        def work() -> bool:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                (count,) = self.db.execute("SELECT COUNT(*) FROM subscriptions WHERE account=? AND endpoint<>?",
                                           (folded, subscription.endpoint)).fetchone()
                if count >= limit:
                    return False
                self.db.execute("INSERT OR REPLACE INTO subscriptions (account, endpoint, data) VALUES (?,?,?)",
                                (folded, subscription.endpoint, subscription.as_json()))
                return True

        return self._run(work)

    def remove(self, account: str, endpoint: str) -> defer.Deferred[bool]:
        def work() -> bool:
            with self.db:
                return self.db.execute("DELETE FROM subscriptions WHERE account=? AND endpoint=?",
                                       (casefold(account), endpoint)).rowcount > 0

        return self._run(work)

    def of(self, account: str) -> defer.Deferred[list[Subscription]]:
        def work() -> list[Subscription]:
            rows = self.db.execute("SELECT data FROM subscriptions WHERE account=? ORDER BY rowid",
                                   (casefold(account),)).fetchall()
            return [sub for (data,) in rows if (sub := Subscription.from_json(data)) is not None]

        return self._run(work)


