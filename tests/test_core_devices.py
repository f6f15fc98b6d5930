"""Several connections of one person (core/devices.py) on memory transports: a turn's batched room
messages reach every device once and in order, the connection a message came from gets it back
only with echo-message, a KILL closes every device, and the last device to go is the one that quits."""

from __future__ import annotations

import pytest

from chatd.core.devices import Devices

from .support.memory import irc_factory, irc_user, memory_history, memory_network
from .test_irc_accounts import registered, sasl_plain

pytestmark = pytest.mark.unit


@pytest.fixture
def chat():
    network, clock = memory_network(batch_turns=True)
    memory_history(network, clock)
    return network, clock, irc_factory(network, clock)


def device(factory, caps: str = ""):
    conn = sasl_plain(factory, "alice", caps=caps)
    conn.send("CAP END")
    conn.welcome = conn.read()
    assert any(" 001 alice " in line for line in conn.welcome), conn.welcome
    return conn


def test_batched_room_messages_reach_each_device_once_in_order(chat):
    network, clock, factory = chat
    registered(factory, "alice")
    laptop = device(factory)
    laptop.send("JOIN #team")
    phone = device(factory, "echo-message server-time")
    assert any(line.endswith(" JOIN #team") for line in phone.welcome)  # attached: shown the room
    bob = irc_user(factory, "bob")
    bob.send("JOIN #team")
    clock.advance(0)
    for conn in (laptop, phone, bob):
        conn.read()
    user = network.find_user("alice")
    assert isinstance(user.client, Devices) and len(user.client.clients) == 2

    bob.send("PRIVMSG #team :one")
    bob.send("PRIVMSG #team :two")
    laptop.send("PRIVMSG #team :three")  # the laptop has no echo-message
    phone.send("PRIVMSG #team :four")  # the phone has
    clock.advance(0)  # the end of the turn: one write per device
    said = lambda conn: [line.split(" PRIVMSG #team :", 1)[1] for line in conn.read() if " PRIVMSG #team " in line]  # noqa: E731
    laptop_saw, phone_saw, bob_saw = said(laptop), said(phone), said(bob)
    assert laptop_saw == ["one", "two", "four"]
    assert phone_saw == ["one", "two", "three", "four"]
    assert bob_saw == ["three", "four"]


def test_a_kill_closes_every_device_and_the_last_device_quits(chat):
    network, clock, factory = chat
    registered(factory, "alice")
    laptop, phone = device(factory), device(factory)
    laptop.send("JOIN #team")
    bob = irc_user(factory, "bob")
    bob.send("JOIN #team")
    clock.advance(0)
    bob.read()

    laptop.drop()  # one device goes: nobody sees anything, alice is still here on the phone
    assert not [line for line in bob.read() if " QUIT " in line]
    user = network.find_user("alice")
    assert user is not None and not isinstance(user.client, Devices)
    again = device(factory)
    assert isinstance(user.client, Devices)

    user.client.disconnect("Killed (test)")
    for conn in (phone, again):
        assert any(line.startswith("ERROR :Killed (test)") for line in conn.read())
        conn.drop()
    assert network.find_user("alice") is None
    assert [line for line in bob.read() if line.startswith(":alice!") and " QUIT " in line]
