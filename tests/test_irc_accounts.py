"""Accounts over IRC on memory transports: REGISTER, SASL PLAIN and SCRAM-SHA-256, NickServ,
registered nicks, account-tag/account-notify/extended-join, WHOIS 330, and private DM history."""

from __future__ import annotations

import base64
import re

import pytest
from scramp import ScramClient

from .support.memory import Memory, irc_factory, irc_user, memory_history, memory_network

pytestmark = pytest.mark.unit

PASSWORD = "correct-horse-battery"


def b64(data: str) -> str:
    return base64.b64encode(data.encode()).decode()


def registered(factory, nick: str, password: str = PASSWORD) -> None:
    """Create account ``nick`` from a fresh connection (before connecting, draft/account-registration)."""
    conn = Memory(factory, "10.9.9.9")
    conn.send("CAP LS 302")
    conn.send("CAP REQ :draft/account-registration")
    conn.send(f"NICK {nick}")
    conn.send(f"REGISTER * * :{password}")
    lines = conn.read()
    assert any(line == f"REGISTER SUCCESS {nick} :Account created" for line in lines), lines
    assert any(f" 900 {nick} {nick}!" in line and f" {nick} :You are now logged in as {nick}" in line
               for line in lines), lines
    conn.send("QUIT")


def sasl_plain(factory, nick: str, password: str = PASSWORD, caps: str = "", host: str = "10.0.0.1",
               account: str = "") -> Memory:
    conn = Memory(factory, host)
    conn.send("CAP LS 302")
    conn.send(f"CAP REQ :sasl{' ' + caps if caps else ''}")
    conn.send(f"NICK {nick}")
    conn.send(f"USER {nick} 0 * :{nick}")
    conn.send("AUTHENTICATE PLAIN")
    assert "AUTHENTICATE +" in conn.read()
    conn.send("AUTHENTICATE " + b64("\0".join(("", account or nick, password))))
    return conn


@pytest.fixture
def chat():
    network, clock = memory_network()
    store = memory_history(network, clock)
    factory = irc_factory(network, clock)
    return network, clock, store, factory


def test_cap_ls_offers_sasl_mechanisms_and_registration(chat):
    *_, factory = chat
    conn = Memory(factory)
    conn.send("CAP LS 302")
    offered = conn.read()[0]
    assert "sasl=PLAIN,EXTERNAL,SCRAM-SHA-256" in offered
    assert "draft/account-registration=before-connect" in offered
    assert "account-tag" in offered and "account-notify" in offered


def test_register_then_sasl_plain_logs_in_and_whois_shows_the_account(chat):
    network, clock, store, factory = chat
    registered(factory, "alice")
    alice = sasl_plain(factory, "alice")
    lines = alice.read()
    assert any(" 900 alice alice!~alice@10.0.0.1 alice :You are now logged in as alice" in line for line in lines)
    assert any(" 903 alice :SASL authentication successful" in line for line in lines)
    alice.send("CAP END")
    assert any(" 001 alice " in line for line in alice.read())
    bob = irc_user(factory, "bob")
    bob.send("WHOIS alice")
    assert any(" 330 bob alice alice :is logged in as" in line for line in bob.read())
    assert network.find_user("alice").account == "alice"


def test_a_wrong_password_and_an_unknown_account_get_the_same_904_and_tries_are_bounded(chat):
    network, clock, store, factory = chat
    registered(factory, "alice")
    answers = []
    for name, password in [("alice", "wrong password"), ("nobody", "wrong password")]:
        conn = sasl_plain(factory, name, password)
        answers.append([re.sub(r"\S+ :", " :", line.split(" 904 ")[1]) for line in conn.read() if " 904 " in line])
    assert answers[0] == answers[1] == [" :SASL authentication failed"]
    for _ in range(4):  # five failures from one address in a minute...
        sasl_plain(factory, "alice", "wrong again").read()
    conn = sasl_plain(factory, "alice", PASSWORD)  # ...and even the right password is refused for now
    assert any(" 904 " in line for line in conn.read())
    clock.advance(61)
    conn = sasl_plain(factory, "alice", PASSWORD)
    assert any(" 903 " in line for line in conn.read())


def test_sasl_scram_sha_256_with_a_real_scram_client(chat):
    network, clock, store, factory = chat
    registered(factory, "carol")
    for password, works in [(PASSWORD, True), ("not the password", False)]:
        conn = Memory(factory)
        conn.send("CAP REQ :sasl")
        conn.send("NICK carol")
        conn.send("USER carol 0 * :Carol")
        conn.send("AUTHENTICATE SCRAM-SHA-256")
        assert "AUTHENTICATE +" in conn.read()
        client = ScramClient(["SCRAM-SHA-256"], "carol", password)
        conn.send(f"AUTHENTICATE {b64(client.get_client_first())}")
        (challenge,) = [line.split(" ", 1)[1] for line in conn.read() if line.startswith("AUTHENTICATE ")]
        client.set_server_first(base64.b64decode(challenge).decode())
        conn.send(f"AUTHENTICATE {b64(client.get_client_final())}")
        lines = conn.read()
        if not works:
            assert any(" 904 " in line for line in lines) and not any(" 900 " in line for line in lines)
            continue
        (final,) = [line.split(" ", 1)[1] for line in lines if line.startswith("AUTHENTICATE ")]
        client.set_server_final(base64.b64decode(final).decode())  # the server proved it knows the key
        assert any(" 900 " in line for line in lines)
        conn.send("AUTHENTICATE +")
        assert any(" 903 " in line for line in conn.read())
        conn.send("CAP END")
        assert any(" 001 carol " in line for line in conn.read())


def test_a_registered_nick_is_433_for_others_and_a_guest_holding_it_is_renamed(chat):
    network, clock, store, factory = chat
    registered(factory, "alice")
    bob = irc_user(factory, "bob")
    bob.send("NICK alice")
    assert any(" 433 bob alice :Nickname is registered to an account" in line for line in bob.read())
    guest = irc_user(factory, "alice", host="10.0.0.7")
    assert any("NickServ" in line and "within 30 seconds" in line for line in guest.received)
    clock.advance(31)
    renamed = [line for line in guest.read() if " NICK :" in line]
    assert renamed and re.match(r":alice!\S+ NICK :Guest\d{5}$", renamed[0])
    # Logging in within the grace period keeps the nick.
    again = irc_user(factory, "alice", caps="account-notify", host="10.0.0.8")
    again.send(f"PRIVMSG NickServ :IDENTIFY {PASSWORD}")
    assert any(" 900 alice " in line for line in again.read())
    clock.advance(31)
    assert network.find_user("alice").client is again.proto


def test_accounts_reach_other_clients_in_tags_joins_and_account_notify(chat):
    network, clock, store, factory = chat
    registered(factory, "alice")
    watcher = irc_user(factory, "wendy", caps="account-tag account-notify extended-join message-tags")
    watcher.send("JOIN #r")
    alice = irc_user(factory, "alice")  # a guest, for now
    alice.send("JOIN #r")
    watcher.read()
    alice.send(f"NS IDENTIFY alice {PASSWORD}")
    assert ":alice!~alice@10.0.0.1 ACCOUNT alice" in watcher.read()
    alice.send("PRIVMSG #r :hello")
    (line,) = [line for line in watcher.read() if "PRIVMSG" in line]
    assert line.startswith("@account=alice;msgid=")
    alice.send("PART #r")
    alice.send("JOIN #r")
    assert any(line.endswith("JOIN #r alice :alice Example") for line in watcher.read())


def test_direct_messages_belong_to_accounts_and_never_to_the_next_holder_of_a_nick(chat):
    network, clock, store, factory = chat
    registered(factory, "alice")
    alice = sasl_plain(factory, "alice", caps="batch server-time message-tags draft/chathistory")
    alice.send("CAP END")
    bob = irc_user(factory, "bob")
    clock.advance(1)
    bob.send("PRIVMSG alice :my password is hunter2")
    clock.advance(1)
    alice.read()
    bob.drop()
    clock.advance(1)
    thief = irc_user(factory, "bob", caps="batch server-time message-tags draft/chathistory", host="10.6.6.6")
    thief.send("CHATHISTORY LATEST alice * 10")
    assert not any("hunter2" in line for line in thief.read())
    # alice, from another connection of her account, still has the conversation with the bob who left.
    again = sasl_plain(factory, "alice_", caps="batch server-time message-tags draft/chathistory", account="alice")
    again.send("CAP END")
    again.read()
    alice.drop()
    again.send("CHATHISTORY TARGETS timestamp=2020-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10")
    assert any("CHATHISTORY TARGETS bob " in line for line in again.read())


def test_a_members_only_server_lets_in_only_people_who_log_in(chat):
    from .support.memory import MemoryWebSocket, telnet_factory, ws_factory

    network, clock, store, factory = chat
    registered(factory, "alice")
    network.require_account = True
    guest = Memory(factory, "10.0.0.5")
    guest.send("NICK guest")
    guest.send("USER guest 0 * :Guest")
    lines = guest.read()
    assert "FAIL * ACCOUNT_REQUIRED :This server is for members only: log in first" in lines
    assert not any(" 001 " in line for line in lines) and guest.transport.disconnecting
    member = sasl_plain(factory, "alice")
    member.send("CAP END")
    assert any(" 001 alice " in line for line in member.read())
    web = MemoryWebSocket(ws_factory(network, clock))
    web.send({"type": "hello", "nick": "webguest", "id": 1})
    assert [f["code"] for f in web.read() if f.get("id") == 1] == ["account_required"]
    tel = Memory(telnet_factory(network, clock), "10.0.0.6")
    tel.send("telguest")
    assert any("members only" in line for line in tel.read())
    assert network.find_user("telguest") is None and network.find_user("webguest") is None
