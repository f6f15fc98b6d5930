"""``python -m chatd.backup export --account``: whose messages an account's export holds."""

from __future__ import annotations

import sqlite3

import pytest

pytestmark = pytest.mark.unit


def test_an_account_export_holds_its_own_conversations_only(tmp_path):
    """Accounts whose names differ only where a SQL LIKE wildcard stands ("a_b", "axb") and folded
    names (rfc1459: "[x]" is "{x}") each get exactly their own direct messages and room lines."""
    from twisted.internet.task import Clock

    from chatd.backup import messages
    from chatd.core.events import DirectMessage, Identity, RoomMessage
    from chatd.history.sqlite import SQLiteHistory

    clock = Clock()
    store = SQLiteHistory(tmp_path / "history.sqlite3", clock)
    bob = Identity("bob", "bob", "h", "bob", "irc", account="bob")

    def dm(n: int, to: str) -> DirectMessage:
        return DirectMessage(f"01JDM{n:021d}", float(n), bob, to, "privmsg", f"to {to}", (), ("a:bob", "a:" + to))

    for n, to in enumerate(("a_b", "axb", "{x}"), start=1):
        store.append(dm(n, to))
    for n, name in enumerate(("a_b", "axb", "[x]"), start=10):
        who = Identity(name, name, "h", name, "irc", account=name)
        store.append(RoomMessage(f"01JRM{n:021d}", float(n), "#r", who, "privmsg", f"{name} here", ()))
    clock.advance(0)
    db = sqlite3.connect(tmp_path / "history.sqlite3")
    assert [f["text"] for f in messages(db, None, "a_b")] == ["to a_b", "a_b here"]
    assert [f["text"] for f in messages(db, None, "axb")] == ["to axb", "axb here"]
    assert [f["text"] for f in messages(db, None, "[X]")] == ["to {x}", "[x] here"]
