"""A real IRC client library against a real ``twistd -n chatd`` process."""

from __future__ import annotations

import socket

import pytest

from .support.sockets import LibraryIRC, LineClient, irc_register
from .support.waiting import wait_until

pytestmark = pytest.mark.integration


def test_library_clients_register_join_and_talk(daemon):
    port = daemon.ports["irc"]
    alice = LibraryIRC(port, "alice")
    bob = LibraryIRC(port, "bob")
    alice.conn.join("#lobby")
    alice.wait("join", lambda e: e.source.nick == "alice")
    bob.conn.join("#lobby")
    names = bob.wait("namreply")
    assert set(names.arguments[2].split()) == {"@alice", "bob"}
    alice.wait("join", lambda e: e.source.nick == "bob")

    alice.conn.privmsg("#lobby", "hello from alice")
    msg = bob.wait("pubmsg")
    assert (msg.source.nick, msg.target, msg.arguments) == ("alice", "#lobby", ["hello from alice"])

    bob.conn.privmsg("alice", "a private word")
    dm = alice.wait("privmsg")
    assert (dm.source.nick, dm.arguments) == ("bob", ["a private word"])

    bob.conn.action("#lobby", "waves")
    action = alice.wait("action")
    assert action.arguments == ["waves"]

    alice.conn.topic("#lobby", "Welcome to the lobby")
    topic = bob.wait("topic")
    assert topic.arguments == ["Welcome to the lobby"]

    bob.conn.nick("robert")
    change = alice.wait("nick")
    assert (change.source.nick, change.target) == ("bob", "robert")

    bob.conn.quit("off to bed")
    quit_ = alice.wait("quit")
    assert quit_.source.nick == "robert" and "off to bed" in quit_.arguments[0]
    alice.close()


def test_garbage_and_floods_leave_the_daemon_serving_others(daemon):
    port = daemon.ports["irc"]
    alice = LibraryIRC(port, "alice")
    alice.conn.join("#r")
    alice.wait("join")

    rude = socket.create_connection(("127.0.0.1", port))
    rude.sendall(bytes(range(256)) * 40 + b"\xff\xfe\x00\r\n" * 50)
    rude.close()

    flooder = LineClient(port)
    irc_register(flooder, "flooder")
    flooder.send("JOIN #r")
    flooder.send(b"".join(b"PRIVMSG #r :spam %d\r\n" % i for i in range(2000)))
    assert flooder.expect(r"^ERROR .*Excess Flood")
    wait_until(lambda: any(e.type == "quit" and e.source.nick == "flooder" for e in alice.events), 10,
               alice.step, what="flooder's QUIT")

    bob = LibraryIRC(port, "bob")
    bob.conn.join("#r")
    bob.wait("join")
    bob.conn.privmsg("#r", "still working?")
    assert alice.wait("pubmsg", lambda e: e.source.nick == "bob").arguments == ["still working?"]


def test_client_that_stops_reading_is_cut_off_while_others_keep_up(tmp_path):
    from .support.processes import Daemon

    d = Daemon("--sendq", "65536", "--irc-trusted", "tcp:0:interface=127.0.0.1", state_dir=tmp_path).start()
    try:
        trusted = d.ports["irc-trusted"]
        sleeper = socket.socket()
        sleeper.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sleeper.connect(("127.0.0.1", trusted))
        sleeper.sendall(b"NICK sleeper\r\nUSER s 0 * :s\r\nJOIN #big\r\n")
        reader = LineClient(trusted)
        irc_register(reader, "reader")
        reader.send("JOIN #big")
        talker = LineClient(trusted)
        irc_register(talker, "talker")
        talker.send("JOIN #big")
        reader.expect(r"JOIN #big")
        total = 15000  # several MB: more than the kernel buffers can hide
        payload = "p" * 400
        # Sent from a thread while the reader reads: the room's back-pressure holds the talker
        # until its members have read, so sending and reading must go on at once.
        sending = talker.send_in_background(
            b"".join(f"PRIVMSG #big :{i} {payload}\r\n".encode() for i in range(total)), timeout=60)
        # The reader sees every message, then sees the sleeper dropped for SendQ.
        last = reader.expect(rf"PRIVMSG #big :{total - 1} ", timeout=60)
        assert last
        reader.expect(r":sleeper!\S+ QUIT :SendQ exceeded", timeout=30)
        sending.wait()
        sleeper.close()
    finally:
        d.kill()
