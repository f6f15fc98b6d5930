"""Keeping people out over IRC (memory transports): rooms that keep their protection when empty,
registered rooms, bans, quiets and exceptions, room creation bounds, and server operators."""

from __future__ import annotations

import pytest

from chatd.accounts.passwords import scrypt_hash
from chatd.accounts.sqlite import SQLiteAccounts
from chatd.core.operators import OperatorRecord

from .support.memory import Memory, irc_factory, irc_user
from .test_irc_accounts import chat, registered, sasl_plain  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.unit


def numerics(conn, code):
    return [line for line in conn.read() if f" {code} " in line]


def test_an_emptied_keyed_room_keeps_its_key_and_history_from_a_stranger(chat):  # noqa: F811
    network, clock, store, factory = chat
    alice = irc_user(factory, "alice")
    alice.send("JOIN #private")
    alice.send("MODE #private +k sesame")
    alice.send("PRIVMSG #private :the plans")
    alice.send("PART #private")
    alice.read()
    mallory = irc_user(factory, "mallory", host="10.6.6.6")
    mallory.send("JOIN #private")
    assert numerics(mallory, "475")
    mallory.send("CHATHISTORY LATEST #private * 10")
    assert not any("the plans" in line for line in mallory.read())
    mallory.send("JOIN #private sesame")  # who knows the key gets in, and runs the emptied room
    assert any(" 353 mallory = #private :@mallory" in line for line in mallory.read())


def test_an_emptied_invite_only_room_stays_closed_until_its_idle_time_is_over(chat):  # noqa: F811
    network, clock, store, factory = chat
    alice = irc_user(factory, "alice")
    alice.send("JOIN #club")
    alice.send("MODE #club +i")
    alice.send("PART #club")
    mallory = irc_user(factory, "mallory", host="10.6.6.6")
    mallory.send("JOIN #club")
    assert numerics(mallory, "473")
    clock.advance(network.limits.room_idle + 1)
    mallory.send("JOIN #club")
    assert any(" 353 mallory = #club :@mallory" in line for line in mallory.read())


def test_bans_by_mask_and_account_quiets_and_exceptions(chat):  # noqa: F811
    network, clock, store, factory = chat
    registered(factory, "troll")
    op = irc_user(factory, "op")
    op.send("JOIN #r")
    op.send("MODE #r +b *!*@10.6.6.*")
    op.send("MODE #r +b a:troll")
    op.send("MODE #r +b a:")  # an account extban must name an account
    assert any("Bad mask for +b" in line for line in op.read())
    op.send("MODE #r +b")
    banlist = op.read()
    assert any(" 367 op #r *!*@10.6.6.* op " in line for line in banlist)
    assert any(" 367 op #r a:troll op " in line for line in banlist)
    assert any(" 368 op #r :End of channel ban list" in line for line in banlist)
    by_host = irc_user(factory, "mallory", host="10.6.6.6")
    by_host.send("JOIN #r")
    assert numerics(by_host, "474")
    troll = sasl_plain(factory, "troll2", account="troll", host="10.1.1.1")
    troll.send("CAP END")
    troll.send("JOIN #r")
    assert numerics(troll, "474")
    op.send("MODE #r +e troll2")  # an exception lets them in after all
    troll.send("JOIN #r")
    assert any(" 353 troll2 " in line for line in troll.read())
    bob = irc_user(factory, "bob")
    bob.send("JOIN #r")
    op.send("MODE #r +q bob!*@*")
    op.read()
    bob.read()
    bob.send("PRIVMSG #r :can anyone hear me")
    assert numerics(bob, "404")
    assert not any("can anyone hear me" in line for line in op.read())
    op.send("MODE #r +v bob")  # voice speaks through a quiet
    bob.send("PRIVMSG #r :now?")
    assert any("PRIVMSG #r :now?" in line for line in op.read())


def test_a_registered_room_gives_ops_by_account_and_survives_a_restart(chat):  # noqa: F811
    network, clock, store, factory = chat
    registered(factory, "alice")
    alice = sasl_plain(factory, "alice")
    alice.send("CAP END")
    alice.send("JOIN #team")
    alice.send("MODE #team +ntk key1")
    alice.send("MODE #team +b *!*@10.6.6.6")
    alice.send("CS REGISTER #team")
    assert any("is registered to alice" in line for line in alice.read())
    alice.send("PART #team")
    # A new process on the same stores: the room comes back with its modes, key, bans and founder.
    from chatd.core import Network

    restarted = Network(server_name="irc.test", network_name="TestNet", clock=clock.seconds, history=store,
                        accounts=network.accounts, schedule=clock.callLater)
    restarted.room_rules.restore_rooms(store.load_rooms())
    room = restarted.room("#team")
    assert room.key == "key1" and {"n", "t"} <= room.flags and room.founder == "alice"
    assert [e.mask for e in room.lists["b"]] == ["*!*@10.6.6.6"]
    factory2 = irc_factory(restarted, clock)
    bob = irc_user(factory2, "bob")
    bob.send("JOIN #team key1")
    assert any(" 353 bob = #team :bob" in line for line in bob.read())  # no ops for the first one back
    alice2 = sasl_plain(factory2, "alice")
    alice2.send("CAP END")
    alice2.send("JOIN #team")  # the founder needs no key and gets +o
    (names,) = [line for line in alice2.read() if " 353 alice = #team " in line]
    assert sorted(names.split(" :", 1)[1].split()) == ["@alice", "bob"]


def test_room_creation_is_bounded_per_person(chat):  # noqa: F811
    network, clock, store, factory = chat
    alice = irc_user(factory, "alice")
    for i in range(network.limits.new_rooms_per_minute):
        alice.send(f"JOIN #room{i}")
    alice.read()
    alice.send("JOIN #onemore")
    assert any("Too many new rooms" in line for line in alice.read())
    clock.advance(61)
    alice.send("JOIN #onemore")
    assert any("JOIN #onemore" in line for line in alice.read())


def test_room_creation_is_bounded_per_address_across_reconnects(chat):  # noqa: F811
    network, clock, store, factory = chat
    for i in range(network.limits.new_rooms_per_minute):  # a new guest connection for every room
        guest = irc_user(factory, f"g{i}", host="203.0.113.5")
        guest.send(f"JOIN #flood{i}")
        guest.drop()
    again = irc_user(factory, "gfresh", host="203.0.113.5")
    again.send("JOIN #floodmore")
    assert any("Too many new rooms" in line for line in again.read())
    elsewhere = irc_user(factory, "neighbour", host="198.51.100.5")
    elsewhere.send("JOIN #mine")
    assert any("JOIN #mine" in line for line in elsewhere.read())


def test_operators_kill_kline_and_wallops(chat):  # noqa: F811
    network, clock, store, factory = chat
    bans = SQLiteAccounts(":memory:")
    network.operators.configure_operators([OperatorRecord("root", scrypt_hash("operator-pass", 10))], bans)
    root = irc_user(factory, "root")
    root.send("KILL bob :no")
    assert numerics(root, "481")
    root.send("OPER root wrong")
    assert numerics(root, "464")
    root.send("OPER root operator-pass")
    lines = root.read()
    assert any(" 381 root " in line for line in lines) and ":root MODE root :+o" in lines
    victim = irc_user(factory, "victim", host="10.6.6.6")
    watcher = irc_user(factory, "watcher", caps="", host="10.0.0.3")
    watcher.send("MODE watcher +w")
    watcher.send("WHOIS root")
    assert numerics(watcher, "313")
    root.send("WALLOPS :maintenance at noon")
    assert any("WALLOPS :maintenance at noon" in line for line in watcher.read())
    root.send("KLINE a:")
    assert any("A ban mask is" in line for line in root.read())
    root.send("KLINE 2h *@10.6.6.6 :spam")
    assert any("Banned *!*@10.6.6.6 for 7200 seconds (spam); 1 connection(s) closed" in line for line in root.read())
    assert any(line.startswith("ERROR :Banned: spam") for line in victim.read())
    victim.drop()
    clock.advance(0)
    from chatd.core import Network

    restarted = Network(clock=clock.seconds)  # a restart on the same store still keeps the ban
    restarted.operators.configure_operators([], bans)
    assert [b.mask for b in restarted.operators.server_bans.values()] == ["*!*@10.6.6.6"]
    comeback = Memory(factory, "10.6.6.6")
    comeback.send("NICK victim2")
    comeback.send("USER v 0 * :V")
    assert any(" 465 " in line for line in comeback.read())
    root.send("UNKLINE *@10.6.6.6")
    clock.advance(0)
    assert irc_user(factory, "victim3", host="10.6.6.6")
    root.send("KILL watcher :bye")
    assert any("Killed (root (bye))" in line for line in watcher.read())


def test_operators_see_and_end_someone_elses_sessions(chat):  # noqa: F811
    network, clock, store, factory = chat
    network.operators.configure_operators([OperatorRecord("root", scrypt_hash("operator-pass", 10))],
                                          SQLiteAccounts(":memory:"))
    network.people.always_on = True
    registered(factory, "alice")
    devices = []
    for device, host in (("laptop", "10.0.0.7"), ("phone", "10.0.0.8")):
        conn = sasl_plain(factory, "alice", account=f"alice@{device}", host=host)
        conn.send("CAP END")
        assert any(" 001 alice " in line for line in conn.read())
        devices.append(conn)
    root = irc_user(factory, "root")
    root.send("PRIVMSG NickServ :SESSIONS alice")
    assert any(line.endswith(":Permission denied: you are not a server operator") for line in root.read())
    root.send("OPER root operator-pass")
    root.read()
    root.send("PRIVMSG NickServ :SESSIONS alice")
    said = [line.split(" :", 1)[1] for line in root.read() if "NOTICE root" in line]
    assert said[0] == "alice is connected 2 time(s):"
    assert said[1].startswith("1: irc (laptop) from 10.0.0.7") and said[2].startswith("2: irc (phone) from 10.0.0.8")
    assert said[3] == "SESSIONS alice END <number> closes one"
    root.send("PRIVMSG NickServ :SESSIONS alice END 2")
    assert any("Session 2 (irc, phone) is closed" in line for line in root.read())
    assert devices[1].transport.disconnecting and not devices[0].transport.disconnecting
    devices[1].drop()  # the closed socket is gone
    root.send("PRIVMSG NickServ :SESSIONS alice END 1")  # her last: always on, she stays, absent
    devices[0].drop()
    root.send("PRIVMSG NickServ :SESSIONS alice")
    lines = root.read()
    assert any(line.endswith(":alice has no connection open") for line in lines), lines
    root.send("PRIVMSG NickServ :SESSIONS nobody")
    assert any("No such nick" in line for line in root.read())
