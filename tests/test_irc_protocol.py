"""IRC commands and replies, over an in-memory transport."""

from __future__ import annotations

import re

import pytest

from chatd.irc.connection import IRCConnection

from .support.memory import Memory, irc_factory, irc_user, memory_network

pytestmark = pytest.mark.unit


@pytest.fixture
def setup():
    network, clock = memory_network()
    return network, clock, irc_factory(network, clock)


def numerics(lines):
    return [line.split()[1] for line in lines if line.startswith(":irc.test ")]


def test_registration_waits_for_cap_end(setup):
    _, _, factory = setup
    conn = Memory(factory)
    conn.send("CAP LS 302")
    conn.send("NICK alice")
    conn.send("USER alice 0 * :Alice")
    lines = conn.read()
    assert lines[0].startswith(":irc.test CAP * LS :") and "server-time" in lines[0]
    assert "001" not in numerics(lines)
    conn.send("CAP REQ :server-time multi-prefix")
    assert conn.read() == [":irc.test CAP alice ACK :server-time multi-prefix"]
    conn.send("CAP END")
    got = numerics(conn.read())
    for expected in ("001", "002", "003", "004", "005", "251", "252", "253", "254", "255", "422"):
        assert expected in got


def test_isupport_advertises_the_rules(setup):
    _, _, factory = setup
    conn = Memory(factory)
    conn.send("NICK alice")
    conn.send("USER alice 0 * :Alice")
    isupport = " ".join(line for line in conn.read() if " 005 " in line)
    for token in ("CASEMAPPING=rfc1459", "CHANTYPES=#", "PREFIX=(ov)@+", "CHANMODES=beIq,k,l,imnst", "EXTBAN=,am",
                  "NICKLEN=30", "CHANNELLEN=50", "TOPICLEN=390", "NETWORK=TestNet"):
        assert token in isupport


def test_motd_from_file(setup, tmp_path):
    network, clock, _ = setup
    factory = irc_factory(network, clock, motd=lambda: ["Be kind.", "Have fun."])
    conn = Memory(factory)
    conn.send("NICK alice")
    conn.send("USER alice 0 * :Alice")
    lines = conn.read()
    assert numerics(lines)[-4:] == ["375", "372", "372", "376"]
    assert any(line.endswith(":- Be kind.") for line in lines)


def test_cap_nak_and_list_and_invalid(setup):
    _, _, factory = setup
    conn = Memory(factory)
    conn.send("CAP REQ :server-time bogus-cap")
    assert conn.read() == [":irc.test CAP * NAK :server-time bogus-cap"]
    conn.send("CAP LIST")
    assert conn.read() == [":irc.test CAP * LIST :"]
    conn.send("CAP FROB")
    assert numerics(conn.read()) == ["410"]


def test_commands_before_registration_get_451(setup):
    _, _, factory = setup
    conn = Memory(factory)
    conn.send("JOIN #a")
    assert numerics(conn.read()) == ["451"]


def test_password_required(setup):
    network, clock, _ = setup
    factory = irc_factory(network, clock, password="sesame")
    bad = Memory(factory)
    bad.send("PASS wrong")
    bad.send("NICK alice")
    bad.send("USER alice 0 * :A")
    lines = bad.read()
    assert "464" in numerics(lines) and lines[-1].startswith("ERROR ")
    good = Memory(factory)
    good.send("PASS sesame")
    good.send("NICK bob")
    good.send("USER bob 0 * :B")
    assert "001" in numerics(good.read())


def test_nick_errors(setup):
    _, _, factory = setup
    irc_user(factory, "alice")
    conn = Memory(factory)
    conn.send("NICK")
    conn.send("NICK 9lives")
    conn.send("NICK ALICE")
    assert numerics(conn.read()) == ["431", "432", "433"]


def test_unknown_command_and_missing_params(setup):
    _, _, factory = setup
    alice = irc_user(factory, "alice")
    alice.send("FROBNICATE x")
    alice.send("JOIN")
    alice.send("KICK #a")
    assert numerics(alice.read()) == ["421", "461", "461"]


def test_join_replies_and_names(setup):
    _, _, factory = setup
    alice = irc_user(factory, "alice")
    bob = irc_user(factory, "bob", caps="multi-prefix userhost-in-names extended-join")
    alice.send("JOIN #room,#other")
    lines = alice.read()
    assert lines[0] == ":alice!~alice@10.0.0.1 JOIN #room"
    assert ":irc.test 353 alice = #room :@alice" in lines
    assert ":irc.test 366 alice #room :End of /NAMES list." in lines
    alice.send("TOPIC #room :Welcome all")
    alice.send("MODE #room +v alice")
    alice.read()
    bob.send("JOIN #room")
    lines = bob.read()
    assert lines[0] == ":bob!~bob@10.0.0.1 JOIN #room * :bob Example"
    assert ":irc.test 332 bob #room :Welcome all" in lines
    assert any(re.match(r":irc.test 333 bob #room alice!~alice@\S+ :?\d+", line) for line in lines)
    assert ":irc.test 353 bob = #room :@+alice!~alice@10.0.0.1 bob!~bob@10.0.0.1" in lines
    assert alice.read() == [":bob!~bob@10.0.0.1 JOIN #room"]


def test_join_zero_parts_everything(setup):
    _, _, factory = setup
    alice = irc_user(factory, "alice")
    alice.send("JOIN #a,#b")
    alice.read()
    alice.send("JOIN 0")
    assert sorted(alice.read()) == [":alice!~alice@10.0.0.1 PART #a", ":alice!~alice@10.0.0.1 PART #b"]


def test_privmsg_notice_and_action_between_room_members(setup):
    _, _, factory = setup
    alice, bob = irc_user(factory, "alice"), irc_user(factory, "bob")
    for c in (alice, bob):
        c.send("JOIN #r")
    alice.read(), bob.read()
    alice.send("PRIVMSG #r :hello bob")
    alice.send("NOTICE #r :a notice")
    alice.send("PRIVMSG #r :\x01ACTION waves\x01")
    assert bob.read() == [
        ":alice!~alice@10.0.0.1 PRIVMSG #r :hello bob",
        ":alice!~alice@10.0.0.1 NOTICE #r :a notice",
        ":alice!~alice@10.0.0.1 PRIVMSG #r :\x01ACTION waves\x01",
    ]
    assert alice.read() == []  # no echo-message: the sender gets nothing back


def test_direct_messages_and_away(setup):
    _, _, factory = setup
    alice, bob = irc_user(factory, "alice"), irc_user(factory, "bob")
    bob.send("AWAY :lunch")
    assert numerics(bob.read()) == ["306"]
    alice.send("PRIVMSG Bob :psst")
    assert alice.read() == [":irc.test 301 alice bob :lunch"]
    assert bob.read() == [":alice!~alice@10.0.0.1 PRIVMSG bob :psst"]
    alice.send("PRIVMSG nobody :x")
    alice.send("PRIVMSG")
    alice.send("PRIVMSG bob")
    alice.send("NOTICE nobody :never answered")
    assert numerics(alice.read()) == ["401", "411", "412"]
    bob.send("AWAY")
    assert numerics(bob.read()) == ["305"]


def test_server_time_message_tags_and_echo(setup):
    _, _, factory = setup
    alice = irc_user(factory, "alice", caps="server-time message-tags echo-message")
    bob = irc_user(factory, "bob")
    for c in (alice, bob):
        c.send("JOIN #r")
    alice.read(), bob.read()
    alice.send("PRIVMSG #r :tagged")
    echo = alice.read()
    assert len(echo) == 1
    assert re.match(r"@msgid=[0-9A-Z]{26};time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z :alice!~alice@10.0.0.1 "
                    r"PRIVMSG #r :tagged$", echo[0]), echo
    assert bob.read() == [":alice!~alice@10.0.0.1 PRIVMSG #r :tagged"]


def test_one_encoding_per_capability_variant(setup, monkeypatch):
    _, _, factory = setup
    plain = [irc_user(factory, f"p{i}") for i in range(4)]
    timed = [irc_user(factory, f"t{i}", caps="server-time") for i in range(4)]
    for c in plain + timed:
        c.send("JOIN #r")
    calls = []
    original = IRCConnection.encode
    monkeypatch.setattr(IRCConnection, "encode", lambda self, ev: calls.append(self) or original(self, ev))
    plain[0].send("PRIVMSG #r :once per variant")
    assert len(calls) == 2
    assert {c.read()[-1] for c in plain[1:]} == {":p0!~p0@10.0.0.1 PRIVMSG #r :once per variant"}


def test_nick_change_broadcast(setup):
    _, _, factory = setup
    alice, bob = irc_user(factory, "alice"), irc_user(factory, "bob")
    for c in (alice, bob):
        c.send("JOIN #r")
    alice.read(), bob.read()
    alice.send("NICK alicia")
    assert alice.read() == [":alice!~alice@10.0.0.1 NICK :alicia"]
    assert bob.read() == [":alice!~alice@10.0.0.1 NICK :alicia"]
    bob.send("NICK Alicia")
    assert numerics(bob.read()) == ["433"]


def test_topic_modes_kick_and_ops(setup):
    _, _, factory = setup
    op, user = irc_user(factory, "op"), irc_user(factory, "user")
    op.send("JOIN #r")
    user.send("JOIN #r")
    op.read(), user.read()
    user.send("TOPIC #r :mine")
    user.send("MODE #r +m")
    user.send("KICK #r op")
    assert numerics(user.read()) == ["482", "482", "482"]
    op.send("MODE #r +kl-t key 10")
    assert op.read() == [":op!~op@10.0.0.1 MODE #r +kl-t key 10"]
    user.read()
    user.send("TOPIC #r :now anyone")
    assert user.read() == [":user!~user@10.0.0.1 TOPIC #r :now anyone"]
    op.read()
    user.send("MODE #r")
    assert numerics(user.read()) == ["324", "329"]
    op.send("MODE #r +o user")
    op.send("MODE #r +z")
    lines = op.read()
    assert lines[0] == ":op!~op@10.0.0.1 MODE #r +o user" and numerics(lines[1:]) == ["472"]
    op.send("KICK #r user :bye now")
    assert user.read()[-1] == ":op!~op@10.0.0.1 KICK #r user :bye now"
    user.send("PRIVMSG #r :still here?")
    assert numerics(user.read()) == ["404"]
    op.send("KICK #r ghost")
    op.send("PART #nothere")
    assert numerics(op.read()) == ["401", "403"]


def test_invite_only_room(setup):
    _, _, factory = setup
    op, guest = irc_user(factory, "op"), irc_user(factory, "guest")
    op.send("JOIN #vip")
    op.send("MODE #vip +i")
    op.read()
    guest.send("JOIN #vip")
    assert numerics(guest.read()) == ["473"]
    op.send("INVITE guest #vip")
    assert numerics(op.read()) == ["341"]
    assert guest.read() == [":op!~op@10.0.0.1 INVITE guest :#vip"]
    guest.send("JOIN #vip")
    assert guest.read()[0] == ":guest!~guest@10.0.0.1 JOIN #vip"


def test_part_and_not_on_channel(setup):
    _, _, factory = setup
    alice, bob = irc_user(factory, "alice"), irc_user(factory, "bob")
    alice.send("JOIN #r")
    bob.send("JOIN #r")
    alice.read(), bob.read()
    bob.send("PART #r :see you")
    assert alice.read() == [":bob!~bob@10.0.0.1 PART #r :see you"]
    bob.read()
    bob.send("PART #r")
    assert numerics(bob.read()) == ["442"]


def test_queries(setup):
    network, clock, factory = setup
    alice, bob = irc_user(factory, "alice"), irc_user(factory, "bob")
    alice.send("JOIN #r")
    bob.send("JOIN #r")
    alice.send("TOPIC #r :the topic")
    alice.read(), bob.read()
    bob.send("WHO #r")
    assert bob.read() == [
        ":irc.test 352 bob #r ~alice 10.0.0.1 irc.test alice H@ :0 alice Example",
        ":irc.test 352 bob #r ~bob 10.0.0.1 irc.test bob H :0 bob Example",
        ":irc.test 315 bob #r :End of WHO list",
    ]
    bob.send("WHOIS alice")
    assert numerics(bob.read()) == ["311", "319", "312", "317", "318"]
    bob.send("WHOIS ghost")
    assert numerics(bob.read()) == ["401", "318"]
    bob.send("ISON alice ghost BOB")
    assert bob.read() == [":irc.test 303 bob :alice bob"]
    bob.send("USERHOST alice")
    assert bob.read() == [":irc.test 302 bob :alice=+~alice@10.0.0.1"]
    bob.send("LIST")
    assert bob.read() == [
        ":irc.test 321 bob Channel :Users  Name",
        ":irc.test 322 bob #r 2 :the topic",
        ":irc.test 323 bob :End of /LIST",
    ]
    bob.send("NAMES #r")
    assert numerics(bob.read()) == ["353", "366"]
    bob.send("MODE bob")
    assert bob.read() == [":irc.test 221 bob :+"]
    bob.send("MODE alice +i")
    assert numerics(bob.read()) == ["502"]
    bob.send("LUSERS")
    assert ":irc.test 251 bob :There are 2 users and 0 invisible on 1 servers" in bob.read()
    bob.send("PING :abc")
    assert bob.read() == [":irc.test PONG irc.test :abc"]


def test_away_notify(setup):
    _, _, factory = setup
    watcher = irc_user(factory, "watcher", caps="away-notify")
    plain = irc_user(factory, "plain")
    goer = irc_user(factory, "goer")
    for c in (watcher, plain, goer):
        c.send("JOIN #r")
        c.read()
    watcher.read(), plain.read()
    goer.send("AWAY :brb")
    assert watcher.read() == [":goer!~goer@10.0.0.1 AWAY :brb"]
    assert plain.read() == []


def test_quit_tells_the_client_and_the_room(setup):
    network, _, factory = setup
    alice, bob = irc_user(factory, "alice"), irc_user(factory, "bob")
    alice.send("JOIN #r")
    bob.send("JOIN #r")
    alice.read(), bob.read()
    alice.send("QUIT :gone fishing")
    assert alice.read() == ["ERROR :Closing Link: 10.0.0.1 (Quit: gone fishing)"]
    assert alice.transport.disconnecting
    alice.drop()
    assert bob.read() == [":alice!~alice@10.0.0.1 QUIT :Quit: gone fishing"]
    assert network.find_user("alice") is None


def test_dropped_connection_quits_for_others(setup):
    network, _, factory = setup
    alice, bob = irc_user(factory, "alice"), irc_user(factory, "bob")
    alice.send("JOIN #r")
    bob.send("JOIN #r")
    bob.read()
    alice.drop()
    assert bob.read() == [":alice!~alice@10.0.0.1 QUIT :Connection closed"]


def test_keepalive_pings_idle_clients_and_drops_dead_ones(setup):
    network, clock, _ = setup
    factory = irc_factory(network, clock, ping_interval=30, ping_timeout=10)
    alice, bob = irc_user(factory, "alice"), irc_user(factory, "bob")
    alice.send("JOIN #r")
    bob.send("JOIN #r")
    alice.read(), bob.read()
    clock.advance(31)
    factory.sweep()
    assert alice.read() == ["PING :irc.test"]
    assert bob.read() == ["PING :irc.test"]
    bob.send("PONG :irc.test")
    clock.advance(11)
    factory.sweep()
    assert alice.read() == ["ERROR :Closing Link: 10.0.0.1 (Ping timeout: 11 seconds)"]
    alice.drop()
    assert bob.read() == [":alice!~alice@10.0.0.1 QUIT :Ping timeout: 11 seconds"]
