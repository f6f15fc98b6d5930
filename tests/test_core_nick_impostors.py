"""A guest on a registered nick never receives what is addressed to the account.

The web refuses the nick outright (a browser signs in before its hello); an IRC guest may hold it
for the grace period, but direct messages to the nick wait in the account's history meanwhile, and
the account's conversations never mix with the guest's."""

from __future__ import annotations

import pytest

from .support.memory import Memory, MemoryWebSocket, irc_factory, irc_user, memory_history, memory_network, ws_factory
from .test_irc_accounts import PASSWORD, registered

pytestmark = pytest.mark.unit


@pytest.fixture
def chat():
    network, clock = memory_network()
    store = memory_history(network, clock)
    factory = irc_factory(network, clock)
    registered(factory, "alice")  # alice registers, and that connection is gone
    return network, clock, store, factory


def test_a_web_hello_with_a_registered_nick_is_refused_until_signed_in(chat):
    network, clock, _, _ = chat
    factory = ws_factory(network, clock)
    imp = MemoryWebSocket(factory)
    imp.send({"type": "hello", "nick": "alice", "id": 1})
    (refused,) = imp.read()
    assert refused["type"] == "error" and refused["code"] == "nick_reserved" and refused["id"] == 1
    assert network.find_user("alice") is None
    owner = MemoryWebSocket(factory)
    owner.send({"type": "login", "name": "alice", "password": PASSWORD, "id": 2})
    owner.send({"type": "hello", "nick": "alice", "id": 3})
    assert [f["type"] for f in owner.read()] == ["logged_in", "welcome"]


def test_direct_messages_to_an_account_held_by_a_guest_wait_for_the_account(chat):
    network, clock, store, factory = chat
    bob = irc_user(factory, "bob", caps="echo-message")
    imp = irc_user(factory, "alice", host="10.0.0.66")  # a guest in its grace period
    imp.read()
    bob.send("PRIVMSG alice :your password reset code is 1234")
    echo = bob.read()
    assert any("PRIVMSG alice :your password reset code is 1234" in line for line in echo)
    assert not any("1234" in line for line in imp.read())
    imp.send("PRIVMSG bob :hi bob, it is me, alice")  # the impostor writes to bob
    assert any("it is me" in line for line in bob.read())
    clock.advance(31)  # the guest did not log in: renamed
    imp.read()
    # The owner logs in and finds what was sent to the account; bob's conversation with alice
    # holds his message and not the impostor's.
    owner = irc_user(factory, "alice", caps="draft/chathistory batch server-time message-tags", host="10.0.0.2")
    owner.send(f"PRIVMSG NickServ :IDENTIFY {PASSWORD}")
    owner.read()
    owner.send("CHATHISTORY LATEST bob * 10")
    history = [line for line in owner.read() if " PRIVMSG " in line]
    assert [line.rsplit(" :", 1)[1] for line in history] == ["your password reset code is 1234"]
    bob_view = network.people.history_key(network.find_user("bob"), "alice")
    assert bob_view == network.people.history_key(network.find_user("alice"), "bob")


def test_the_owner_still_gets_messages_as_soon_as_logged_in(chat):
    network, clock, _, factory = chat
    bob = irc_user(factory, "bob")
    alice = Memory(factory, "10.0.0.2")
    alice.send("NICK alice")
    alice.send("USER alice 0 * :Alice")
    alice.send(f"PRIVMSG NickServ :IDENTIFY {PASSWORD}")
    alice.read()
    bob.send("PRIVMSG alice :welcome back")
    assert any("PRIVMSG alice :welcome back" in line for line in alice.read())
