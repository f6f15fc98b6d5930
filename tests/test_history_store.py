"""The SQLite history store: group commit, paging, queries, retention, schema."""

from __future__ import annotations

import sqlite3

import pytest

from chatd.core import Identity, Ref, RoomMessage, RoomRecord, dm_key
from chatd.core.events import DirectMessage
from chatd.history.migrations import current_version, migrate
from chatd.history.sqlite import Retention, SQLiteHistory, _row

from .support.memory import memory_history, memory_network

pytestmark = pytest.mark.unit

ALICE = Identity("alice", "~a", "h", "Alice", "irc")
BOB = Identity("Bob", "web", "h2", "Bob", "web")


def result(d):
    out = []
    d.addBoth(out.append)
    assert out, "the Deferred did not fire"
    if hasattr(out[0], "raiseException"):
        out[0].raiseException()
    return out[0]


def fill(network, clock, store, count, room="#room"):
    sent = []
    for i in range(count):
        clock.advance(0.001)
        msg = RoomMessage(network.new_id(), clock.seconds(), room, ALICE, "privmsg", f"message {i}")
        store.append(msg)
        sent.append(msg)
    clock.advance(0)
    return sent


def test_one_commit_per_reactor_turn():
    network, clock = memory_network()
    store = memory_history(network, clock)
    durable = [store.append(RoomMessage(network.new_id(), clock.seconds(), "#r", ALICE, "privmsg", str(i)))
               for i in range(50)]
    assert store.batches == 0 and not any(d.called for d in durable)
    clock.advance(0)
    assert store.batches == 1 and store.last_batch_size == 50
    assert all(d.called for d in durable)


def test_paging_backwards_1000_messages_by_100_without_gaps_or_repeats():
    network, clock = memory_network()
    store = memory_history(network, clock)
    sent = fill(network, clock, store, 1000)
    pages = [result(store.latest("#room", 100))]
    while True:
        page = result(store.before("#room", Ref(msgid=pages[-1][0].id), 100))
        if not page:
            break
        pages.append(page)
    assert len(pages) == 10
    seen = [m.id for page in reversed(pages) for m in page]
    assert seen == [m.id for m in sent]


def test_after_around_between_and_timestamps():
    network, clock = memory_network()
    store = memory_history(network, clock)
    sent = fill(network, clock, store, 20)
    ids = [m.id for m in sent]
    assert [m.id for m in result(store.after("#room", Ref(msgid=ids[4]), 3))] == ids[5:8]
    assert [m.id for m in result(store.around("#room", Ref(msgid=ids[10]), 4))] == ids[8:12]
    assert [m.id for m in result(store.between("#room", Ref(msgid=ids[2]), Ref(msgid=ids[9]), 100))] == ids[3:9]
    assert [m.id for m in result(store.between("#room", Ref(msgid=ids[9]), Ref(msgid=ids[2]), 2))] == ids[7:9]
    at = sent[5].time
    assert [m.id for m in result(store.before("#room", Ref(time=at), 2))] == ids[3:5]
    assert [m.id for m in result(store.latest("#room", 5, Ref(msgid=ids[17])))] == ids[18:]
    assert result(store.latest("#nothing", 5)) == []


def test_direct_messages_are_filed_under_the_pair_and_targets_lists_them():
    network, clock = memory_network()
    store = memory_history(network, clock)
    clock.advance(1)
    peers = ("a:alice", "g:1.000000:bob")  # filed under persons: an account and a guest's connection
    store.append(DirectMessage(network.new_id(), clock.seconds(), ALICE, "Bob", "privmsg", "hi bob", (), peers))
    clock.advance(1)
    store.append(RoomMessage(network.new_id(), clock.seconds(), "#Room", BOB, "privmsg", "in the room"))
    clock.advance(0)
    (dm,) = result(store.latest(dm_key("g:1.000000:bob", "a:alice"), 10))
    assert isinstance(dm, DirectMessage) and (dm.sender.nick, dm.target, dm.text) == ("alice", "Bob", "hi bob")
    assert dm.peers == peers
    assert result(store.latest(dm_key("n:bob", "n:alice"), 10)) == []  # nicks alone lead nowhere
    found = result(store.targets("a:alice", ["#Room"], 0, clock.seconds() + 1, 10))
    assert [(t.name, t.latest) for t in found] == [("Bob", clock.seconds() - 1), ("#Room", clock.seconds())]
    assert [t.name for t in result(store.targets("g:1.000000:bob", [], 0, clock.seconds() + 1, 10))] == ["alice"]
    assert [t.name for t in result(store.targets("a:carol", [], 0, clock.seconds() + 1, 10))] == []


def test_retention_by_count_and_age():
    network, clock = memory_network()
    store = memory_history(network, clock, retention=Retention(max_count=10),
                           room_retention={"#Old": Retention(max_age_days=1)})
    fill(network, clock, store, 25, "#keep")
    fill(network, clock, store, 5, "#old")
    clock.advance(2 * 86400)
    fill(network, clock, store, 3, "#old")
    removed = result(store.prune())
    assert removed == 15 + 5
    assert [m.text for m in result(store.latest("#keep", 100))] == [f"message {i}" for i in range(15, 25)]
    assert len(result(store.latest("#old", 100))) == 3


def test_rooms_and_topics_are_kept(tmp_path):
    network, clock = memory_network()
    path = tmp_path / "h.sqlite3"
    store = SQLiteHistory(path, clock)
    result(store.save_room(RoomRecord("#Room", 5.0)))
    result(store.save_room(RoomRecord("#room", 5.0, "the topic", "alice", 9.0)))
    store.db.close()
    again = SQLiteHistory(path, clock)
    assert again.load_rooms() == [RoomRecord("#Room", 5.0, "the topic", "alice", 9.0)]


def test_migrations_run_once_and_record_the_version():
    from chatd.history.migrations import migration_files

    latest = migration_files()[-1][0]
    db = sqlite3.connect(":memory:", isolation_level=None)
    assert migrate(db) == latest
    assert migrate(db) == latest
    assert current_version(db) == latest
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"messages", "rooms", "read_markers", "messages_fts", "schema_version"} <= tables


def test_an_old_state_directory_is_brought_forward(monkeypatch):
    from chatd.history import migrations

    every = migrations.migration_files()
    db = sqlite3.connect(":memory:", isolation_level=None)
    monkeypatch.setattr(migrations, "migration_files", lambda: every[:1])
    assert migrate(db) == 1  # a database made by the first release
    db.execute("INSERT INTO rooms (folded, name, created) VALUES ('#old', '#old', 1)")
    db.execute("INSERT INTO messages (id, target, room, time, sender_nick, sender_user, sender_host, "
               "sender_realname, sender_protocol, kind, text) VALUES ('01OLD', '#old', '#old', 1, 'a', 'a', 'h', "
               "'a', 'irc', 'privmsg', 'an ancient message')")
    monkeypatch.setattr(migrations, "migration_files", lambda: every)
    assert migrate(db) == every[-1][0]
    assert db.execute("SELECT name FROM rooms").fetchall() == [("#old",)]
    db.execute("INSERT INTO read_markers (person, target, time) VALUES ('n:dana', '#old', 5)")
    found = db.execute("SELECT i.id FROM messages_fts JOIN fts_ids i ON i.rid = messages_fts.rowid "
                       "WHERE messages_fts MATCH 'ancient'").fetchall()
    assert found == [("01OLD",)]  # messages from before search existed are found too


def test_flush_all_waits_for_pending_writes():
    network, clock = memory_network()
    store = memory_history(network, clock)
    store.append(RoomMessage(network.new_id(), clock.seconds(), "#r", ALICE, "privmsg", "last words"))
    done = store.flush_all()
    assert done.called
    assert [m.text for m in result(store.latest("#r", 1))] == ["last words"]


def test_search_finds_words_only_where_asked_and_forgets_deleted_messages():
    network, clock = memory_network()
    store = memory_history(network, clock)
    rows = [RoomMessage(network.new_id(), clock.seconds(), "#r", ALICE, "privmsg", "The Release is on Friday"),
            RoomMessage(network.new_id(), clock.seconds(), "#other", ALICE, "privmsg", "release notes elsewhere"),
            DirectMessage(network.new_id(), clock.seconds(), ALICE, "Bob", "privmsg", "secret release plan", (),
                          ("a:alice", "a:bob")),
            RoomMessage(network.new_id(), clock.seconds(), "#r", BOB, "privmsg", 'café "quoted" OR NOT')]
    for row in rows:
        store.append(row)
    clock.advance(0)

    def search(words, rooms, nick=None):
        found = []
        store.search(words, rooms, nick, 10).addCallback(found.extend)
        return [m.text for m in found]

    assert search(["release"], ["#r"]) == ["The Release is on Friday"]
    assert search(["release"], ["#r"], "a:bob") == ["secret release plan", "The Release is on Friday"]
    assert search(["release"], ["#r"], "n:bob") == ["The Release is on Friday"]  # a nick is nobody
    assert search(["release"], ["#r"], "a:carol") == ["The Release is on Friday"]
    assert search(["cafe", '"quoted"', "OR"], ["#r"]) == ['café "quoted" OR NOT']  # no query syntax leaks
    store.remove("#r", rows[0].id)
    assert search(["release"], ["#r", "#other"]) == ["release notes elsewhere"]


def test_a_batch_keeps_every_field_exactly_as_sent():
    """A batch goes to SQLite as one JSON document: text that looks like JSON or SQL, quotes, backslashes,
    line breaks, emoji and right-to-left script, an account, and empty fields come back unchanged."""
    network, clock = memory_network()
    store = memory_history(network, clock)
    odd = ['{"a": [1, 2]}', "'); DROP TABLE messages; --", "back\\slash \"quoted\"", "two\nlines",
           "emoji \U0001F600 and \u05e9\u05dc\u05d5\u05dd", "", "$[0]", "null"]
    someone = Identity("carol", "~c", "h3", "", "web", False, "carol")
    sent = [RoomMessage(network.new_id(), clock.seconds() + i / 7, "#odd", someone if i % 2 else ALICE,
                        "action" if i % 3 else "privmsg", text) for i, text in enumerate(odd)]
    peers = ("a:carol", "g:bob")
    sent.append(DirectMessage(network.new_id(), clock.seconds(), someone, "Bob", "notice", odd[0], (), peers))
    for message in sent:
        store.append(message)
    clock.advance(0)
    assert store.batches == 1
    assert result(store.latest("#odd", 100)) == sent[:-1]
    assert result(store.find(dm_key(*peers), sent[-1].id)) == sent[-1]


def test_search_indexes_after_the_commit_and_a_restart_indexes_what_a_crash_left(tmp_path):
    """The full-text index is filled after the messages are committed: what a crash left unindexed is
    indexed when the store starts again, and a message removed before indexing is not resurrected."""
    network, clock = memory_network()
    path = tmp_path / "history.sqlite3"
    store = SQLiteHistory(path, clock)
    kept = RoomMessage(network.new_id(), clock.seconds(), "#r", ALICE, "privmsg", "pelican brief")
    gone = RoomMessage(network.new_id(), clock.seconds(), "#r", ALICE, "privmsg", "pelican secret")
    store._write([_row(kept), _row(gone)])  # committed; the process dies before it indexes them
    store.db.execute("DELETE FROM messages WHERE id=?", (gone.id,))
    store.db.close()

    again = SQLiteHistory(path, clock)
    assert again.db.execute("SELECT COUNT(*) FROM fts_pending").fetchone() == (2,)
    again.startService()
    assert again.db.execute("SELECT COUNT(*) FROM fts_pending").fetchone() == (0,)
    assert again.db.execute("SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'pelican'"
                            ).fetchone() == (1,)
    assert [m.text for m in result(again.search(["pelican"], ["#r"], None, 10))] == ["pelican brief"]
    result(again.stopService())


def test_a_search_finds_messages_the_background_indexer_has_not_reached():
    network, clock = memory_network()
    store = memory_history(network, clock)
    rows = [_row(RoomMessage(network.new_id(), clock.seconds(), "#r", ALICE, "privmsg", f"heron {i}"))
            for i in range(2500)]
    store._write(rows)  # committed without a turn of the store: nothing has indexed them yet
    found = result(store.search(["heron"], ["#r"], None, 3000))
    assert len(found) == 2500 and found[0].text == "heron 2499"


def test_the_writer_lag_is_from_acceptance_to_commit():
    """chatd_history_lag_seconds: how much a crash could lose. In a unit test the commit is inline,
    at the time the turn ends."""
    network, clock = memory_network()
    store = memory_history(network, clock)
    store.append(RoomMessage(network.new_id(), clock.seconds(), "#r", ALICE, "privmsg", "first"))
    clock.advance(0.04)  # the turn ends late: the batch is written 40 ms after its message came
    assert store.batches == 1 and store.last_lag == pytest.approx(0.04)
    store.append(RoomMessage(network.new_id(), clock.seconds(), "#r", ALICE, "privmsg", "second"))
    clock.advance(0)
    assert store.batches == 2 and store.last_lag == 0 and store.max_lag == pytest.approx(0.04)
