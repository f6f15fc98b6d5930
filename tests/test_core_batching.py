"""Room messages held to the end of the reactor turn: one write per recipient, and nothing else
changes (order, sender exclusion, echo-message, labels, failures, back-pressure)."""

from __future__ import annotations

import pytest

from .support.memory import MemoryWebSocket, irc_factory, irc_user, memory_network, ws_factory

pytestmark = pytest.mark.unit


def room_of(*specs):
    """A batching network and IRC users (nick, caps) in #r, their output read."""
    network, clock = memory_network(batch_turns=True)
    factory = irc_factory(network, clock)
    users = {}
    for nick, caps in specs:
        users[nick] = irc_user(factory, nick, caps)
        users[nick].send("JOIN #r")
    clock.advance(0)
    for user in users.values():
        user.read()
    return network, clock, factory, users


def counting_writes(user):
    """Count what reaches the transport in separate writes."""
    writes = []
    original = user.transport.write

    def write(data):
        writes.append(data)
        original(data)

    user.transport.write = write
    return writes


def said(lines, room="#r"):
    return [line.split(" :", 1)[1] for line in lines if f" PRIVMSG {room} :" in line]


def test_a_turns_messages_reach_each_recipient_in_one_write_and_in_order():
    network, clock, _, users = room_of(("alice", ""), ("bob", ""), ("carol", ""))
    writes = counting_writes(users["carol"])
    users["alice"].send(b"PRIVMSG #r :a1\r\nPRIVMSG #r :a2\r\n")
    users["bob"].send("PRIVMSG #r :b1")
    users["alice"].send("PRIVMSG #r :a3")
    assert users["carol"].read() == []  # held until the turn ends
    clock.advance(0)
    assert said(users["carol"].read()) == ["a1", "a2", "b1", "a3"]
    assert len(writes) == 1
    # Sender exclusion: each sender gets the others' messages, never its own.
    assert said(users["alice"].read()) == ["b1"]
    assert said(users["bob"].read()) == ["a1", "a2", "a3"]
    assert network.stats.deliveries == 4 + 1 + 3


def test_echo_message_senders_get_their_own_in_place():
    _, clock, _, users = room_of(("alice", "echo-message"), ("bob", ""))
    users["bob"].send("PRIVMSG #r :b1")
    users["alice"].send("PRIVMSG #r :a1")
    users["bob"].send("PRIVMSG #r :b2")
    clock.advance(0)
    assert said(users["alice"].read()) == ["b1", "a1", "b2"]
    assert said(users["bob"].read()) == ["a1"]


def test_any_other_event_goes_after_the_held_messages():
    _, clock, _, users = room_of(("alice", ""), ("carol", ""))
    users["alice"].send(b"PRIVMSG #r :bye all\r\nPART #r :gone\r\n")
    clock.advance(0)
    lines = [line for line in users["carol"].read() if " PRIVMSG " in line or " PART " in line]
    assert [line.split(" ", 2)[1] for line in lines] == ["PRIVMSG", "PART"]


def test_a_labelled_message_is_answered_inside_its_label():
    _, clock, _, users = room_of(("alice", "echo-message labeled-response batch message-tags"), ("bob", ""))
    users["bob"].send("PRIVMSG #r :held for the turn")
    users["alice"].send("@label=L1 PRIVMSG #r :answer me")
    lines = users["alice"].read()  # at once, no turn needed: the echo is inside the label's batch
    opened = [line for line in lines if "label=L1" in line and " BATCH +" in line]
    assert opened, lines
    reference = opened[0].split(" BATCH +", 1)[1].split()[0]
    echo = [line for line in lines if "answer me" in line]
    assert echo and f"batch={reference}" in echo[0]
    # And the message bob said before it came first.
    assert [i for i, line in enumerate(lines) if "held for the turn" in line] < \
        [i for i, line in enumerate(lines) if "answer me" in line]
    clock.advance(0)
    assert said(users["bob"].read()) == ["answer me"]


def test_a_recipient_that_fails_mid_batch_costs_nobody_else():
    _, clock, _, users = room_of(("alice", ""), ("broken", ""), ("carol", ""))

    def refuse(payload):
        raise RuntimeError("a bug in this connection's delivery")

    users["broken"].proto.deliver = refuse
    users["alice"].send(b"PRIVMSG #r :one\r\nPRIVMSG #r :two\r\n")
    clock.advance(0)
    assert said(users["carol"].read()) == ["one", "two"]
    assert users["broken"].transport.disconnecting  # dropped, after the others had their copy
    assert any("ERROR :Internal error" in line for line in users["broken"].read())


def test_web_recipients_get_every_frame_of_a_batch():
    network, clock, factory, users = room_of(("alice", ""))
    web = MemoryWebSocket(ws_factory(network, clock))
    web.send({"type": "hello", "nick": "wendy"})
    web.send({"type": "join", "room": "#r"})
    clock.advance(0)
    web.read()
    users["alice"].send(b"PRIVMSG #r :w1\r\nPRIVMSG #r :w2\r\nPRIVMSG #r :w3\r\n")
    clock.advance(0)
    assert [f["text"] for f in web.read() if f["type"] == "message"] == ["w1", "w2", "w3"]


def test_a_room_whose_recipients_fall_behind_pauses_its_senders_until_they_catch_up():
    _, clock, _, users = room_of(("alice", ""), ("bob", ""), ("carol", ""))
    sender = users["alice"]
    for name in ("bob", "carol"):  # their transports' buffers are full: Twisted paused them
        users[name].proto.guard.sendq.pauseProducing()
    sender.send(b"PRIVMSG #r :m1\r\nPRIVMSG #r :m2\r\n")
    clock.advance(0)
    assert sender.transport.producerState == "paused"  # alice is not read from for now
    clock.advance(0.05)
    assert sender.transport.producerState == "paused"  # still behind
    for name in ("bob", "carol"):
        users[name].proto.guard.sendq.resumeProducing()  # they read: the buffers drained
    clock.advance(0.05)
    assert sender.transport.producerState == "producing"
    # Readers that never catch up hold a sender for a quarter of a second at most.
    for name in ("bob", "carol"):
        users[name].proto.guard.sendq.pauseProducing()
    sender.send(b"PRIVMSG #r :m3\r\nPRIVMSG #r :m4\r\n")
    clock.advance(0)
    assert sender.transport.producerState == "paused"
    clock.advance(0.3)
    assert sender.transport.producerState == "producing"
    for name in ("bob", "carol"):
        users[name].proto.guard.sendq.resumeProducing()
    sender.send("PRIVMSG #r :m5")
    clock.advance(0)
    assert said(users["bob"].read()) == ["m1", "m2", "m3", "m4", "m5"]
