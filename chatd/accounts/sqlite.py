"""Accounts and server bans on one node: a small SQLite file in the state directory.

Queries are tiny (one row by key), but still run on one dedicated thread so
that a slow disk never stalls the reactor.  With ``":memory:"`` (``--no-history``)
accounts last as long as the process.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Optional

from twisted.internet import defer
from twisted.internet.interfaces import IReactorThreads

from ..core.accounts import AccountRecord, ScramInfo, TokenRecord
from ..core.casemap import casefold
from ..core.events import ServerBan
from ..dbthread import SQLiteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    folded   TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    password TEXT NOT NULL,       -- $scrypt$... (never the password)
    scram    TEXT,                -- JSON: salt, stored_key, server_key (hex), iterations
    created  REAL NOT NULL,
    email    TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS nicks (
    folded  TEXT PRIMARY KEY,     -- a folded nick
    nick    TEXT NOT NULL,
    account TEXT NOT NULL         -- the owning account's folded name
);
CREATE TABLE IF NOT EXISTS certfps (
    fingerprint TEXT PRIMARY KEY,
    account     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id      TEXT PRIMARY KEY,     -- a session token's random id (the token itself is signed, never stored)
    account TEXT NOT NULL,        -- the folded account name
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_account ON tokens (account);
CREATE TABLE IF NOT EXISTS verified_emails (
    account TEXT PRIMARY KEY,     -- the folded account name
    email   TEXT NOT NULL         -- the address whose code was entered (verified while it is the account's)
);
CREATE TABLE IF NOT EXISTS always_on (
    account TEXT PRIMARY KEY,     -- the folded account name
    value   INTEGER NOT NULL      -- 1: stays present while disconnected, 0: never (no row: the server's default)
);
CREATE TABLE IF NOT EXISTS highlights (
    account TEXT PRIMARY KEY,     -- the folded account name
    words   TEXT NOT NULL         -- words that notify besides the nick, space-separated
);
CREATE TABLE IF NOT EXISTS secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS server_bans (
    mask    TEXT PRIMARY KEY,     -- nick!user@host glob, or a:account
    reason  TEXT NOT NULL,
    set_by  TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL                  -- NULL: never
);
"""


def _scram_json(info: Optional[ScramInfo]) -> Optional[str]:
    if info is None:
        return None
    return json.dumps({"salt": info.salt.hex(), "stored": info.stored_key.hex(), "server": info.server_key.hex(),
                       "iterations": info.iterations})


def _scram(text: Optional[str]) -> Optional[ScramInfo]:
    if not text:
        return None
    data = json.loads(text)
    return ScramInfo(bytes.fromhex(data["salt"]), bytes.fromhex(data["stored"]), bytes.fromhex(data["server"]),
                     int(data["iterations"]))


class SQLiteAccounts(SQLiteStore):
    """A :class:`chatd.core.accounts.AccountStore` (and server-ban store) on SQLite."""

    complete_index = True  # one node: every nick registration passes through this process

    def __init__(self, path: Path | str, threaded: Optional[IReactorThreads] = None) -> None:
        super().__init__(path, SCHEMA, "chatd-accounts", threaded)

    # -- accounts --------------------------------------------------------------------

    def create(self, record: AccountRecord) -> defer.Deferred[bool]:
        folded = casefold(record.name)

        def work() -> bool:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                if self.db.execute("SELECT 1 FROM nicks WHERE folded=?", (folded,)).fetchone():
                    return False
                try:
                    self.db.execute("INSERT INTO accounts (folded, name, password, scram, created, email) "
                                    "VALUES (?,?,?,?,?,?)", (folded, record.name, record.password,
                                                            _scram_json(record.scram), record.created, record.email))
                except sqlite3.IntegrityError:
                    return False
                self.db.execute("INSERT INTO nicks (folded, nick, account) VALUES (?,?,?)",
                                (folded, record.name, folded))
                return True

        return self._run(work)

    def _get(self, name: str) -> Optional[AccountRecord]:
        folded = casefold(name)
        row = self.db.execute("SELECT name, password, scram, created, email FROM accounts WHERE folded=?",
                              (folded,)).fetchone()
        if row is None:
            return None
        nicks = tuple(r[0] for r in self.db.execute(
            "SELECT nick FROM nicks WHERE account=? AND folded<>? ORDER BY nick", (folded, folded)))
        certs = tuple(r[0] for r in self.db.execute(
            "SELECT fingerprint FROM certfps WHERE account=? ORDER BY fingerprint", (folded,)))
        verified = self.db.execute("SELECT email FROM verified_emails WHERE account=?", (folded,)).fetchone()
        always = self.db.execute("SELECT value FROM always_on WHERE account=?", (folded,)).fetchone()
        words = self.db.execute("SELECT words FROM highlights WHERE account=?", (folded,)).fetchone()
        return AccountRecord(row[0], row[1], _scram(row[2]), row[3], row[4], nicks, certs,
                             verified[0] if verified else "", None if always is None else bool(always[0]),
                             tuple(words[0].split()) if words else ())

    def get(self, name: str) -> defer.Deferred[Optional[AccountRecord]]:
        return self._run(self._get, name)

    def set_password(self, account: str, password: str, scram: Optional[ScramInfo]) -> defer.Deferred[bool]:
        def work() -> bool:
            with self.db:
                return self.db.execute("UPDATE accounts SET password=?, scram=? WHERE folded=?",
                                       (password, _scram_json(scram), casefold(account))).rowcount > 0

        return self._run(work)

    def set_email(self, account: str, email: str) -> defer.Deferred[bool]:
        def work() -> bool:
            with self.db:
                return self.db.execute("UPDATE accounts SET email=? WHERE folded=?",
                                       (email, casefold(account))).rowcount > 0

        return self._run(work)

    def set_highlights(self, account: str, words: tuple[str, ...]) -> defer.Deferred[bool]:
        def work() -> bool:
            with self.db:
                folded = casefold(account)
                if not self.db.execute("SELECT 1 FROM accounts WHERE folded=?", (folded,)).fetchone():
                    return False
                self.db.execute("INSERT OR REPLACE INTO highlights (account, words) VALUES (?,?)",
                                (folded, " ".join(words)))
                return True

        return self._run(work)

    def set_always_on(self, account: str, value: Optional[bool]) -> defer.Deferred[bool]:
        def work() -> bool:
            with self.db:
                folded = casefold(account)
                if not self.db.execute("SELECT 1 FROM accounts WHERE folded=?", (folded,)).fetchone():
                    return False
                if value is None:
                    self.db.execute("DELETE FROM always_on WHERE account=?", (folded,))
                else:
                    self.db.execute("INSERT OR REPLACE INTO always_on (account, value) VALUES (?,?)",
                                    (folded, int(value)))
                return True

        return self._run(work)

    def verify_email(self, account: str, email: str) -> defer.Deferred[bool]:
        def work() -> bool:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                folded = casefold(account)
                row = self.db.execute("SELECT email FROM accounts WHERE folded=?", (folded,)).fetchone()
                if row is None or not email or row[0] != email:
                    return False
                self.db.execute("INSERT OR REPLACE INTO verified_emails (account, email) VALUES (?,?)",
                                (folded, email))
                return True

        return self._run(work)

    def _name_of(self, folded_account: str) -> Optional[str]:
        row = self.db.execute("SELECT name FROM accounts WHERE folded=?", (folded_account,)).fetchone()
        return row[0] if row else None

    def nick_owner(self, nick: str) -> defer.Deferred[Optional[str]]:
        def work() -> Optional[str]:
            row = self.db.execute("SELECT account FROM nicks WHERE folded=?", (casefold(nick),)).fetchone()
            return self._name_of(row[0]) if row else None

        return self._run(work)

    def claim_nick(self, nick: str, account: str) -> defer.Deferred[bool]:
        def work() -> bool:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                row = self.db.execute("SELECT account FROM nicks WHERE folded=?", (casefold(nick),)).fetchone()
                if row is not None:
                    return bool(row[0] == casefold(account))
                self.db.execute("INSERT INTO nicks (folded, nick, account) VALUES (?,?,?)",
                                (casefold(nick), nick, casefold(account)))
                return True

        return self._run(work)

    def release_nick(self, nick: str, account: str) -> defer.Deferred[bool]:
        def work() -> bool:
            return self.db.execute("DELETE FROM nicks WHERE folded=? AND account=? AND folded<>account",
                                   (casefold(nick), casefold(account))).rowcount > 0

        return self._run(work)

    def add_certfp(self, account: str, fingerprint: str) -> defer.Deferred[bool]:
        def work() -> bool:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                row = self.db.execute("SELECT account FROM certfps WHERE fingerprint=?", (fingerprint,)).fetchone()
                if row is not None:
                    return bool(row[0] == casefold(account))
                self.db.execute("INSERT INTO certfps (fingerprint, account) VALUES (?,?)",
                                (fingerprint, casefold(account)))
                return True

        return self._run(work)

    def certfp_owner(self, fingerprint: str) -> defer.Deferred[Optional[str]]:
        def work() -> Optional[str]:
            row = self.db.execute("SELECT account FROM certfps WHERE fingerprint=?", (fingerprint,)).fetchone()
            return self._name_of(row[0]) if row else None

        return self._run(work)

    def secret(self) -> defer.Deferred[bytes]:
        def work() -> bytes:
            self.db.execute("INSERT OR IGNORE INTO secrets (name, value) VALUES ('tokens', ?)", (os.urandom(32),))
            return bytes(self.db.execute("SELECT value FROM secrets WHERE name='tokens'").fetchone()[0])

        return self._run(work)

    # -- session tokens ------------------------------------------------------------------

    def add_token(self, account: str, token: TokenRecord) -> defer.Deferred[None]:
        def work() -> None:
            self.db.execute("DELETE FROM tokens WHERE expires <= ?", (token.created,))  # keeps the table small
            self.db.execute("INSERT INTO tokens (id, account, created, expires) VALUES (?,?,?,?)",
                            (token.id, account, token.created, token.expires))

        return self._run(work)

    def token_valid(self, account: str, token_id: str) -> defer.Deferred[bool]:
        return self._run(lambda: self.db.execute("SELECT 1 FROM tokens WHERE id=? AND account=?",
                                                 (token_id, account)).fetchone() is not None)

    def revoke_tokens(self, account: str, token_id: Optional[str] = None) -> defer.Deferred[int]:
        if token_id is None:
            return self._run(lambda: self.db.execute("DELETE FROM tokens WHERE account=?", (account,)).rowcount)
        return self._run(lambda: self.db.execute("DELETE FROM tokens WHERE id=? AND account=?",
                                                 (token_id, account)).rowcount)

    def tokens(self, account: str) -> defer.Deferred[list[TokenRecord]]:
        def work() -> list[TokenRecord]:
            rows = self.db.execute("SELECT id, created, expires FROM tokens WHERE account=? ORDER BY created",
                                   (account,))
            return [TokenRecord(*row) for row in rows]

        return self._run(work)

    def nick_owners(self) -> dict[str, str]:
        rows = self.db.execute("SELECT n.folded, a.name FROM nicks n JOIN accounts a ON a.folded = n.account")
        return dict(rows.fetchall())

    # -- server bans (KLINE) -----------------------------------------------------------

    def save_ban(self, ban: ServerBan) -> defer.Deferred[None]:
        def work() -> None:
            self.db.execute("INSERT OR REPLACE INTO server_bans (mask, reason, set_by, created, expires) "
                            "VALUES (?,?,?,?,?)", (ban.mask, ban.reason, ban.set_by, ban.created, ban.expires))

        return self._run(work)

    def remove_ban(self, mask: str) -> defer.Deferred[bool]:
        return self._run(lambda: self.db.execute("DELETE FROM server_bans WHERE mask=?", (mask,)).rowcount > 0)

    def load_bans(self) -> list[ServerBan]:
        rows = self.db.execute("SELECT mask, reason, set_by, created, expires FROM server_bans ORDER BY created")
        return [ServerBan(*row) for row in rows]
