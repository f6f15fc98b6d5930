"""Accounts and moderation for web and telnet users (memory transports): sign-up and sign-in
frames, session tokens, accounts in member lists, bans set over IRC that keep a web user out,
and telnet's /login and operator commands."""

from __future__ import annotations

import pytest

from .support.memory import (
    Memory,
    MemoryWebSocket,
    irc_factory,
    irc_user,
    memory_history,
    memory_network,
    telnet_factory,
    ws_factory,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def chat():
    network, clock = memory_network()
    memory_history(network, clock)
    return network, clock


def answer(ws: MemoryWebSocket, frame: dict) -> dict:
    ws.send(frame)
    found = [f for f in ws.read() if f.get("id") == frame.get("id")]
    assert found, frame
    return found[-1]


def test_sign_up_before_hello_then_a_token_signs_in_again_after_a_reload(chat):
    network, clock = chat
    factory = ws_factory(network, clock)
    ws = MemoryWebSocket(factory)
    made = answer(ws, {"type": "register", "name": "wendy", "password": "wendy-password", "id": 1})
    assert made["type"] == "logged_in" and made["account"] == "wendy" and made["token"]
    assert answer(ws, {"type": "hello", "nick": "wendy", "id": 2})["type"] == "welcome"
    assert network.find_user("wendy").account == "wendy"
    ws.proto.dropConnection()
    reloaded = MemoryWebSocket(factory)
    back = answer(reloaded, {"type": "login", "token": made["token"], "id": 3})
    assert back["type"] == "logged_in" and back["account"] == "wendy"
    forged = MemoryWebSocket(factory, host="10.0.0.9")
    bad = answer(forged, {"type": "login", "token": made["token"][:-4] + "AAAA", "id": 4})
    assert bad["type"] == "error" and bad["code"] == "bad_login"


def test_a_wrong_password_and_an_unknown_account_answer_alike(chat):
    network, clock = chat
    factory = ws_factory(network, clock)
    answer(MemoryWebSocket(factory), {"type": "register", "name": "wendy", "password": "wendy-password", "id": 1})
    wrong = answer(MemoryWebSocket(factory), {"type": "login", "name": "wendy", "password": "nope-nope", "id": 1})
    unknown = answer(MemoryWebSocket(factory), {"type": "login", "name": "nobody", "password": "nope-nope", "id": 1})
    assert wrong["code"] == unknown["code"] == "bad_login" and wrong["message"] == unknown["message"]
    taken = answer(MemoryWebSocket(factory), {"type": "register", "name": "wendy", "password": "other-pass",
                                              "id": 1})
    assert taken["code"] == "account_exists"
    weak = answer(MemoryWebSocket(factory), {"type": "register", "name": "walt", "password": "short", "id": 1})
    assert weak["code"] == "weak_password"


def test_members_show_accounts_and_an_irc_operator_bans_a_web_user_by_account(chat):
    network, clock = chat
    web = ws_factory(network, clock)
    irc = irc_factory(network, clock)
    op = irc_user(irc, "op")
    op.send("JOIN #r")
    troll = MemoryWebSocket(web, host="10.5.5.5")
    answer(troll, {"type": "register", "name": "troll", "password": "troll-password", "id": 1})
    answer(troll, {"type": "hello", "nick": "troll", "id": 2})
    joined = answer(troll, {"type": "join", "room": "#r", "id": 3})
    assert {m["nick"]: m["account"] for m in joined["members"]} == {"op": None, "troll": "troll"}
    op.send("MODE #r +b a:troll")
    op.send("KICK #r troll :bye")
    again = answer(troll, {"type": "join", "room": "#r", "id": 4})
    assert again["type"] == "error" and again["code"] == "banned"
    # A web operator mutes someone with the mode frame; the IRC side sees the change.
    boss = MemoryWebSocket(web, host="10.5.5.6")
    answer(boss, {"type": "hello", "nick": "boss", "id": 1})
    answer(boss, {"type": "join", "room": "#new", "id": 2})
    op.send("JOIN #new")
    op.read()
    answer(boss, {"type": "mode", "room": "#new", "modes": "+q", "args": ["op"], "id": 3})
    assert any("MODE #new +q op!*@*" in line for line in op.read())
    op.send("PRIVMSG #new :hello?")
    assert any(" 404 op #new " in line for line in op.read())


def test_telnet_login_at_the_prompt_and_operator_commands(chat):
    network, clock = chat
    irc = irc_factory(network, clock)
    registration = irc_user(irc, "tina")
    registration.send("REGISTER * * :tina-password")
    registration.drop()
    telnet = telnet_factory(network, clock)
    tina = Memory(telnet, "10.0.0.4")
    tina.read()
    tina.send("/login tina wrong-password")
    assert any("Invalid account name or password" in line for line in tina.read())
    tina.send("/login tina tina-password")
    lines = tina.read()
    assert any("You are logged in as tina." in line for line in lines)
    assert any("Hello tina." in line for line in lines)
    assert network.find_user("tina").account == "tina"
    tina.send("/join #t")
    bob = irc_user(irc, "bob")
    bob.send("JOIN #t")
    tina.send("/ban bob")
    tina.send("/kick bob go away")
    assert any(":tina!" in line and "KICK #t bob :go away" in line for line in bob.read())
    bob.send("JOIN #t")
    assert any(" 474 bob #t " in line for line in bob.read())
    tina.send("/mode +b")
    assert any("+b: bob!*@*" in line for line in tina.read())


def test_bad_sign_in_frames_get_clear_errors(chat):
    network, clock = chat
    ws = MemoryWebSocket(ws_factory(network, clock))
    assert answer(ws, {"type": "login", "name": 5, "password": [], "id": 1})["code"] == "bad_field"
    nameless = answer(ws, {"type": "register", "password": "long-enough-1", "id": 2})
    assert nameless["code"] == "bad_nick" and "Name the account" in nameless["message"]
    assert answer(ws, {"type": "login", "token": "é", "id": 3})["code"] == "bad_login"
