"""CHATHISTORY over IRC (draft/chathistory, batch, server-time, message-tags)."""

from __future__ import annotations

import re

import pytest

from .support.memory import irc_factory, irc_user, memory_history, memory_network

pytestmark = pytest.mark.unit

CAPS = "batch server-time message-tags draft/chathistory"


@pytest.fixture
def chat():
    network, clock = memory_network()
    store = memory_history(network, clock)
    factory = irc_factory(network, clock)
    alice = irc_user(factory, "alice", caps=CAPS)
    bob = irc_user(factory, "bob")
    for c in (alice, bob):
        c.send("JOIN #r")
    for i in range(30):
        clock.advance(1)
        bob.send(f"PRIVMSG #r :line {i}")
    clock.advance(0)
    alice.read(), bob.read()
    return network, clock, store, factory, alice, bob


def batch(lines):
    start = re.match(r":irc.test BATCH \+(\S+) chathistory (\S+)$", lines[0])
    assert start, lines[0]
    ref = start.group(1)
    assert lines[-1] == f":irc.test BATCH -{ref}"
    body = lines[1:-1]
    for line in body:
        assert re.match(rf"@batch={ref};msgid=[0-9A-Z]{{26}};time=\S+Z :bob!~bob@10.0.0.1 PRIVMSG #r :line \d+$",
                        line), line
    return [line.rsplit(":", 1)[1] for line in body]


def test_isupport_advertises_chathistory(chat):
    network, clock, store, factory, *_ = chat
    fresh = irc_user(factory, "carol")
    assert any("CHATHISTORY=100" in line and "MSGREFTYPES=msgid,timestamp" in line for line in fresh.received)


def test_latest_before_after_around_between(chat):
    *_, alice, bob = chat
    alice.send("CHATHISTORY LATEST #r * 5")
    assert batch(alice.read()) == [f"line {i}" for i in range(25, 30)]
    alice.send("CHATHISTORY LATEST #r * 1")
    newest = alice.read()[1]
    msgid = re.search(r"msgid=(\w+)", newest).group(1)
    alice.send(f"CHATHISTORY BEFORE #r msgid={msgid} 3")
    assert batch(alice.read()) == ["line 26", "line 27", "line 28"]
    alice.send("CHATHISTORY LATEST #r * 100")
    ids = [re.search(r"msgid=(\w+)", line).group(1) for line in alice.read()[1:-1]]
    alice.send(f"CHATHISTORY AFTER #r msgid={ids[9]} 2")
    assert batch(alice.read()) == ["line 10", "line 11"]
    alice.send(f"CHATHISTORY AROUND #r msgid={ids[15]} 4")
    assert batch(alice.read()) == ["line 13", "line 14", "line 15", "line 16"]
    alice.send(f"CHATHISTORY BETWEEN #r msgid={ids[3]} msgid={ids[7]} 100")
    assert batch(alice.read()) == ["line 4", "line 5", "line 6"]


def test_timestamps_as_references(chat):
    *_, alice, bob = chat
    alice.send("CHATHISTORY LATEST #r * 100")
    times = [re.search(r"time=(\S+?);?\s", line.replace(" :", "  :")).group(1) for line in alice.read()[1:-1]]
    alice.send(f"CHATHISTORY BEFORE #r timestamp={times[5]} 2")
    assert batch(alice.read()) == ["line 3", "line 4"]


def test_targets_lists_rooms_and_direct_conversations(chat):
    network, clock, store, factory, alice, bob = chat
    bob.send("PRIVMSG alice :just us")
    clock.advance(0)
    alice.read()
    alice.send("CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10")
    lines = alice.read()
    assert re.match(r":irc.test BATCH \+(\S+) draft/chathistory-targets$", lines[0])
    names = [line.split()[4] for line in lines[1:-1]]
    assert names == ["#r", "bob"]


def test_direct_messages_stay_private(chat):
    network, clock, store, factory, alice, bob = chat
    alice.send("PRIVMSG bob :secret plans")
    clock.advance(0)
    bob.read()
    alice.send("CHATHISTORY LATEST bob * 10")
    assert batch_texts(alice.read()) == ["secret plans"]
    bob.send("CHATHISTORY LATEST alice * 10")
    assert [line.rsplit(":", 1)[1] for line in bob.read()] == ["secret plans"]
    eve = irc_user(factory, "eve", caps=CAPS)
    for target in ("alice", "bob"):
        eve.send(f"CHATHISTORY LATEST {target} * 10")
        assert batch_texts(eve.read()) == []
    eve.send("CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00Z timestamp=2100-01-01T00:00:00Z 10")
    assert len(eve.read()) == 2  # an empty batch
    eve.send("CHATHISTORY LATEST #r * 10")
    assert eve.read() == [":irc.test FAIL CHATHISTORY INVALID_TARGET LATEST #r :You're not on that channel"]


def batch_texts(lines):
    return [line.rsplit(" :", 1)[1] for line in lines[1:-1]]


@pytest.mark.parametrize("command, reply", [
    ("CHATHISTORY", "FAIL CHATHISTORY UNKNOWN_COMMAND *"),
    ("CHATHISTORY FROB #r * 10", "FAIL CHATHISTORY UNKNOWN_COMMAND FROB"),
    ("CHATHISTORY LATEST #r", "FAIL CHATHISTORY INVALID_PARAMS LATEST"),
    ("CHATHISTORY LATEST #r * lots", "FAIL CHATHISTORY INVALID_PARAMS LATEST"),
    ("CHATHISTORY LATEST #r * -5", "FAIL CHATHISTORY INVALID_PARAMS LATEST"),
    ("CHATHISTORY BEFORE #r * 10", "FAIL CHATHISTORY INVALID_PARAMS BEFORE"),
    ("CHATHISTORY BEFORE #r id=abc 10", "FAIL CHATHISTORY INVALID_PARAMS BEFORE"),
    ("CHATHISTORY BEFORE #r timestamp=yesterday 10", "FAIL CHATHISTORY INVALID_PARAMS BEFORE"),
    ("CHATHISTORY BETWEEN #r msgid=a 10", "FAIL CHATHISTORY INVALID_PARAMS BETWEEN"),
    ("CHATHISTORY TARGETS msgid=a msgid=b 10", "FAIL CHATHISTORY INVALID_PARAMS TARGETS"),
    ("CHATHISTORY LATEST #nowhere * 10", "FAIL CHATHISTORY INVALID_TARGET LATEST #nowhere"),
    ("CHATHISTORY LATEST 9nick * 10", "FAIL CHATHISTORY INVALID_TARGET LATEST 9nick"),
])
def test_malformed_requests_get_fail_replies(chat, command, reply):
    *_, alice, bob = chat
    alice.send(command)
    (line,) = alice.read()
    assert line.startswith(f":irc.test {reply} ")
    alice.send("PING :still-here")
    assert alice.read() == [":irc.test PONG irc.test :still-here"]


def test_clients_without_the_capability_get_plain_lines_and_no_replay_on_join(chat):
    network, clock, store, factory, alice, bob = chat
    carol = irc_user(factory, "carol")
    carol.send("JOIN #r")
    assert not any("PRIVMSG" in line for line in carol.read())
    carol.send("CHATHISTORY LATEST #r * 2")
    assert carol.read() == [":bob!~bob@10.0.0.1 PRIVMSG #r :line 28", ":bob!~bob@10.0.0.1 PRIVMSG #r :line 29"]


def test_limit_is_capped(chat):
    *_, alice, bob = chat
    alice.send("CHATHISTORY LATEST #r * 100000")
    assert len(batch(alice.read())) == 30
