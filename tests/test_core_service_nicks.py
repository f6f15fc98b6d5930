"""Nobody can be NickServ: service nicks are refused on every protocol, to guests and accounts alike."""

from __future__ import annotations

import pytest

from .support.memory import Memory, MemoryWebSocket, irc_factory, irc_user, memory_network, telnet_factory, ws_factory

pytestmark = pytest.mark.unit

SERVICES = ["NickServ", "chanserv", "OPERSERV", "Global"]


@pytest.fixture
def net():
    return memory_network()


@pytest.mark.parametrize("nick", SERVICES)
def test_irc_registration_with_a_service_nick_is_refused(net, nick):
    conn = Memory(irc_factory(*net))
    conn.send(f"NICK {nick}")
    conn.send("USER imp 0 * :Impostor")
    lines = conn.read()
    assert any(f" 432 * {nick} :" in line for line in lines)
    assert not any(" 001 " in line for line in lines)
    conn.send("NICK honest")
    assert any(" 001 honest " in line for line in conn.read())


def test_irc_nick_change_to_a_service_nick_is_refused(net):
    network, clock = net
    conn = irc_user(irc_factory(network, clock), "mallory")
    conn.send("NICK ChanServ")
    assert any(" 432 mallory ChanServ :" in line for line in conn.read())
    assert network.find_user("ChanServ") is None and network.find_user("mallory") is not None


def test_irc_messages_to_nickserv_still_reach_the_service(net):
    conn = irc_user(irc_factory(*net), "carol")
    conn.send("PRIVMSG NickServ :HELP")
    assert any(line.startswith(":NickServ!NickServ@services.irc.test NOTICE carol ") for line in conn.read())


def test_web_hello_and_nick_change_to_a_service_nick_are_refused(net):
    network, clock = net
    factory = ws_factory(network, clock)
    imp = MemoryWebSocket(factory)
    imp.send({"type": "hello", "nick": "NickServ", "id": 1})
    (refused,) = imp.read()
    assert refused["type"] == "error" and refused["code"] == "bad_nick" and refused["id"] == 1
    assert network.find_user("NickServ") is None
    imp.send({"type": "hello", "nick": "wendy", "id": 2})
    assert imp.read()[0]["type"] == "welcome"
    imp.send({"type": "nick", "nick": "nickserv", "id": 3})
    (again,) = imp.read()
    assert again["code"] == "bad_nick" and network.find_user("wendy") is not None


def test_telnet_nick_prompt_refuses_a_service_nick(net):
    conn = Memory(telnet_factory(*net))
    conn.read()
    conn.send("NickServ")
    (answer,) = conn.read()
    assert "reserved for network services" in answer and "Pick another nick" in answer


def test_no_account_can_be_named_after_a_service(net):
    network, clock = net
    conn = irc_user(irc_factory(network, clock), "eve")
    conn.send("REGISTER NickServ * :a-long-password")
    lines = conn.read()
    assert any("FAIL REGISTER" in line for line in lines) and not any("REGISTER SUCCESS" in line for line in lines)


def test_web_messages_to_nickserv_reach_the_service_and_sign_in(net):
    """A web user's msg to NickServ is the service's, not a DM (no_such_nick): it registers and
    signs in, answered with notices from NickServ and a logged_in frame carrying a token."""
    network, clock = net
    factory = ws_factory(network, clock)
    wendy = MemoryWebSocket(factory)
    wendy.send({"type": "hello", "nick": "wendy", "id": 1})
    wendy.read()
    wendy.send({"type": "msg", "to": "nickserv", "text": "REGISTER a-long-password", "id": 2})
    frames = wendy.read()
    notices = [f for f in frames if f["type"] == "message"]
    assert notices and all(f["from"] == "NickServ" and f["kind"] == "notice" and "id" not in f for f in notices)
    assert any("Account wendy registered" in f["text"] for f in notices)
    (signed,) = [f for f in frames if f["type"] == "logged_in"]
    assert signed["account"] == "wendy" and signed["token"] and "id" not in signed
    assert frames[-1] == {"type": "ack", "service": "NickServ", "id": 2}  # the answer comes last
    assert network.find_user("wendy").account == "wendy"
    wendy.send({"type": "msg", "to": "NickServ", "text": "LOGOUT", "id": 3})
    frames = wendy.read()
    assert [f["type"] for f in frames if f["type"] != "presence"] == ["message", "logged_out", "ack"]
    assert network.find_user("wendy").account is None
    wendy.send({"type": "msg", "to": "ChanServ", "text": "INFO #nowhere", "id": 4})
    (notice, ack) = wendy.read()
    assert notice["from"] == "ChanServ" and "#nowhere" in notice["text"] and ack["id"] == 4


def test_telnet_messages_to_nickserv_reach_the_service(net):
    network, clock = net
    conn = Memory(telnet_factory(network, clock))
    conn.read()
    conn.send("tina")
    conn.read()
    conn.send("/msg NickServ REGISTER a-long-password")
    assert "-NickServ- Account tina registered; you are logged in" in conn.read()
    assert network.find_user("tina").account == "tina"
    conn.send("/msg chanserv HELP")
    assert any(line.startswith("-ChanServ- REGISTER <#room>") for line in conn.read())
