"""Changing a password: a person's own (web ``set_password``, NickServ ``PASSWD``) given the
current one, and every saved session of the account ends with it (memory transports)."""

from __future__ import annotations

import pytest

from .support.memory import MemoryWebSocket, irc_factory, irc_user, memory_network, ws_factory
from .test_ws_accounts import answer

pytestmark = pytest.mark.unit


@pytest.fixture
def chat():
    return memory_network()


def test_a_web_password_change_ends_every_other_session_and_keeps_this_browser(chat):
    network, clock = chat
    factory = ws_factory(network, clock)
    laptop = MemoryWebSocket(factory)
    first = answer(laptop, {"type": "register", "name": "wendy", "password": "wendy-password", "id": 1})
    assert answer(laptop, {"type": "hello", "nick": "wendy", "id": 9})["type"] == "welcome"
    phone = MemoryWebSocket(factory)
    other = answer(phone, {"type": "login", "name": "wendy", "password": "wendy-password", "id": 1})
    assert other["type"] == "logged_in"
    wrong = answer(laptop, {"type": "set_password", "current": "not-it-at-all", "password": "new-password-1",
                            "id": 2})
    assert wrong["type"] == "error" and wrong["code"] == "bad_login"
    weak = answer(laptop, {"type": "set_password", "current": "wendy-password", "password": "short", "id": 3})
    assert weak["code"] == "weak_password"
    changed = answer(laptop, {"type": "set_password", "current": "wendy-password", "password": "new-password-1",
                              "id": 4})
    assert changed["type"] == "password_changed" and changed["revoked"] == 2 and changed["token"]
    for old in (first["token"], other["token"]):
        assert answer(MemoryWebSocket(factory), {"type": "login", "token": old, "id": 5})["code"] == "bad_login"
    fresh = answer(MemoryWebSocket(factory), {"type": "login", "token": changed["token"], "id": 6})
    assert fresh["type"] == "logged_in" and fresh["account"] == "wendy"
    stale = answer(MemoryWebSocket(factory, host="10.0.0.3"),
                   {"type": "login", "name": "wendy", "password": "wendy-password", "id": 7})
    assert stale["code"] == "bad_login"
    again = answer(MemoryWebSocket(factory, host="10.0.0.4"),
                   {"type": "login", "name": "wendy", "password": "new-password-1", "id": 8})
    assert again["type"] == "logged_in"


def test_a_guest_cannot_change_a_password(chat):
    network, clock = chat
    guest = MemoryWebSocket(ws_factory(network, clock))
    answer(guest, {"type": "hello", "nick": "gus", "id": 1})
    refused = answer(guest, {"type": "set_password", "current": "whatever-it-is", "password": "new-password-1",
                             "id": 2})
    assert refused["type"] == "error" and refused["code"] == "not_logged_in"


def test_nickserv_passwd_changes_the_password_over_irc(chat):
    network, clock = chat
    factory = irc_factory(network, clock)
    alice = irc_user(factory, "alice")
    alice.send("PRIVMSG NickServ :REGISTER alice-password")
    alice.read()
    alice.send("NS PASSWD alice-password new-password-1 other-password")
    assert any("confirmation differ" in line for line in alice.read())
    alice.send("NS PASSWD alice-password new-password-1 new-password-1")
    assert any("NOTICE alice :Password changed; 0 saved session(s) ended" in line for line in alice.read())
    other = irc_user(factory, "bob", host="10.0.0.2")
    other.send("NS IDENTIFY alice alice-password")
    assert not any(" 900 " in line for line in other.read())
    other.send("NS IDENTIFY alice new-password-1")
    assert any(" 900 bob " in line for line in other.read())
