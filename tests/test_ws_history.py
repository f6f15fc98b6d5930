"""History for web users: replay with "joined", paging with "history"."""

from __future__ import annotations

import pytest

from .support.memory import MemoryWebSocket, irc_factory, irc_user, memory_history, memory_network, ws_factory

pytestmark = pytest.mark.unit


def setup(history_on_join=50, batch_turns=False):
    network, clock = memory_network(batch_turns=batch_turns)
    memory_history(network, clock)
    ivan = irc_user(irc_factory(network, clock), "ivan")
    ivan.send("JOIN #r")
    for i in range(120):
        clock.advance(1)
        ivan.send(f"PRIVMSG #r :m{i}")
    clock.advance(0)
    factory = ws_factory(network, clock, history_on_join=history_on_join)
    ws = MemoryWebSocket(factory)
    ws.send({"type": "hello", "nick": "wendy"})
    ws.read()
    return network, clock, ivan, ws


def test_joined_carries_the_last_messages():
    *_, ws = setup(history_on_join=20)
    ws.send({"type": "join", "room": "#r", "id": 1})
    joined = ws.read()[-1]
    assert joined["type"] == "joined"
    assert [m["text"] for m in joined["history"]] == [f"m{i}" for i in range(100, 120)]
    assert all(m["type"] == "message" and m["from"] == "ivan" and m["room"] == "#r" for m in joined["history"])


def test_history_pages_backwards():
    *_, ws = setup()
    ws.send({"type": "join", "room": "#r"})
    oldest = ws.read()[-1]["history"][0]["id"]
    ws.send({"type": "history", "room": "#r", "before": oldest, "limit": 50, "id": 2})
    page = ws.read()[0]
    assert page["id"] == 2 and page["more"] is True
    assert [m["text"] for m in page["messages"]] == [f"m{i}" for i in range(20, 70)]
    ws.send({"type": "history", "room": "#r", "before": page["messages"][0]["id"], "limit": 50})
    last = ws.read()[0]
    assert [m["text"] for m in last["messages"]] == [f"m{i}" for i in range(20)] and last["more"] is False


def test_history_needs_membership_and_good_fields():
    network, clock, ivan, ws = setup()
    ws.send({"type": "history", "room": "#r", "id": 1})
    ws.send({"type": "history", "id": 2})
    ws.send({"type": "history", "room": "#r", "with": "ivan", "id": 3})
    codes = [(f["id"], f["code"]) for f in ws.read()]
    ws.send({"type": "join", "room": "#r"})
    ws.read()
    ws.send({"type": "history", "room": "#r", "limit": 0, "id": 4})
    ws.send({"type": "history", "room": "#r", "limit": "10", "id": 5})
    codes += [(f["id"], f["code"]) for f in ws.read()]
    assert codes == [(1, "not_on_room"), (2, "bad_field"), (3, "bad_field"), (4, "bad_field"), (5, "bad_field")]


def test_direct_history_is_only_for_the_two_people():
    network, clock, ivan, ws = setup()
    ivan.send("PRIVMSG wendy :for your eyes only")
    clock.advance(0)
    ws.read()
    ws.send({"type": "history", "with": "Ivan", "id": 1})
    assert [m["text"] for m in ws.read()[0]["messages"]] == ["for your eyes only"]
    factory = ws_factory(network, clock)
    eve = MemoryWebSocket(factory)
    eve.send({"type": "hello", "nick": "eve"})
    eve.read()
    for peer in ("ivan", "wendy"):
        eve.send({"type": "history", "with": peer, "id": 1})
        assert eve.read()[0]["messages"] == []


def test_ack_waits_for_the_batch_to_commit():
    network, clock, ivan, ws = setup()
    ws.send({"type": "join", "room": "#r"})
    ws.read()
    ws.send({"type": "msg", "to": "#r", "text": "durable?", "id": 9})
    frames = ws.read()
    assert [f["type"] for f in frames] == ["message"]  # delivered, not yet on disk
    clock.advance(0)
    (ack,) = ws.read()
    assert ack["type"] == "ack" and ack["id"] == 9 and ack["msgid"] == frames[0]["id"]


def test_a_failed_write_answers_not_stored_and_leaves_no_unhandled_failure():
    import gc
    import sqlite3

    from twisted.logger import globalLogPublisher

    network, clock, ivan, ws = setup()
    ws.send({"type": "join", "room": "#r"})
    ws.read()

    def disk_full(rows):
        raise sqlite3.OperationalError("database or disk is full")

    network.history._write = disk_full
    logged = []
    globalLogPublisher.addObserver(logged.append)
    try:
        ws.send({"type": "msg", "to": "#r", "text": "lost?", "id": 9})
        ivan.send("PRIVMSG #r :and mine?")  # an IRC sender does not wait for durability
        clock.advance(0)
        frames = ws.read()
        gc.collect()
    finally:
        globalLogPublisher.removeObserver(logged.append)
    assert [f["text"] for f in frames if f["type"] == "message"] == ["lost?", "and mine?"]  # delivered all the same
    errors = [f for f in frames if f["type"] == "error"]
    assert errors == [{"type": "error", "code": "not_stored", "message": "The message was delivered but not stored",
                       "re": "msg", "id": 9}]
    texts = [e.get("log_format", "") for e in logged]
    assert texts.count("history write of {n} messages failed") == 1
    assert not [t for t in texts if "Unhandled" in t]


def test_read_markers_outside_ones_rooms_get_an_error_frame():
    network, clock, ivan, ws = setup()
    ws.send({"type": "read", "room": "#nowhere", "time": 1.0, "id": 1})
    ws.send({"type": "read", "room": "#r", "time": 1.0, "id": 2})
    ws.send({"type": "read", "with": "bad nick!", "time": 1.0, "id": 3})
    clock.advance(0)
    assert [(f["type"], f["id"], f["code"]) for f in ws.read()] == [
        ("error", 1, "no_such_room"), ("error", 2, "not_on_room"), ("error", 3, "bad_nick")]
    ws.send({"type": "join", "room": "#r"})
    ws.send({"type": "read", "room": "#r", "time": 5.0, "id": 4})
    clock.advance(0)
    moved = [f for f in ws.read() if f["type"] == "read"]
    assert moved == [{"type": "read", "room": "#r", "time": 5.0}]


def test_rejoining_since_a_message_recovers_what_was_missed():
    """Centrifugo-style recovery: everything after the last id the client saw, with an honest flag."""
    network, clock, ivan, ws = setup()
    ws.send({"type": "join", "room": "#r"})
    seen = ws.read()[-1]["history"]
    last = seen[-1]["id"]
    ws.send({"type": "part", "room": "#r"})
    ws.read()
    for i in range(120, 125):
        clock.advance(1)
        ivan.send(f"PRIVMSG #r :m{i}")
    clock.advance(0)
    ws.send({"type": "join", "room": "#r", "since": last, "id": 7})
    joined = ws.read()[-1]
    assert joined["id"] == 7 and joined["recovered"] is True
    assert [m["text"] for m in joined["history"]] == [f"m{i}" for i in range(120, 125)]

    # The same through "history": after an id, and nothing missed at all.
    ws.send({"type": "history", "room": "#r", "after": last, "limit": 10, "id": 8})
    page = ws.read()[0]
    assert page["recovered"] is True and [m["text"] for m in page["messages"]] == [f"m{i}" for i in range(120, 125)]
    ws.send({"type": "history", "room": "#r", "after": joined["history"][-1]["id"], "id": 9})
    nothing = ws.read()[0]
    assert nothing["recovered"] is True and nothing["messages"] == []

    # More missed than the page holds: the newest, and recovered false (the client shows a gap).
    ws.send({"type": "history", "room": "#r", "after": last, "limit": 3, "id": 10})
    partial = ws.read()[0]
    assert partial["recovered"] is False and [m["text"] for m in partial["messages"]] == ["m122", "m123", "m124"]
    # An id the server does not know (pruned, or made up): the latest, and recovered false.
    ws.send({"type": "history", "room": "#r", "after": "01ZZZZZZZZZZZZZZZZZZZZZZZZ", "limit": 2, "id": 11})
    unknown = ws.read()[0]
    assert unknown["recovered"] is False and [m["text"] for m in unknown["messages"]] == ["m123", "m124"]
    ws.send({"type": "history", "room": "#r", "after": last, "before": last, "id": 12})
    assert ws.read()[0]["code"] == "bad_field"


@pytest.mark.parametrize("batch_turns", [False, True], ids=["at-once", "end-of-turn"])
def test_a_message_said_while_the_join_reads_history_arrives_once(batch_turns):
    """Said between the join and the store's answer: it comes live, and the join's history leaves
    it out (before, the same message came live and again in joined.history)."""
    network, clock, ivan, ws = setup(batch_turns=batch_turns)
    ws.send({"type": "join", "room": "#r"})
    last = ws.read()[-1]["history"][-1]["id"]
    ws.send({"type": "part", "room": "#r"})
    ws.read()
    ivan.send("PRIVMSG #r :missed")
    clock.advance(1)

    store = network.history
    held = []
    inline = store.run

    def slow_read(fn, *args):  # the history thread is busy: the read runs when released
        from twisted.internet import defer
        d = defer.Deferred()
        held.append(lambda: d.callback(fn(*args)))
        return d

    store.run = slow_read
    ws.send({"type": "join", "room": "#r", "since": last, "id": 7})
    assert held, "the join reads history"
    store.run = inline
    ivan.send("PRIVMSG #r :said meanwhile")
    clock.advance(1)  # delivered at the end of the turn, and committed
    for release in held:
        release()
    frames = ws.read()
    live = [f["text"] for f in frames if f["type"] == "message"]
    joined = [f for f in frames if f["type"] == "joined"][0]
    assert live == ["said meanwhile"]
    assert [m["text"] for m in joined["history"]] == ["missed"] and joined["recovered"] is True
    assert not network.room("#r").catching_up  # nothing is noted once the join has answered
