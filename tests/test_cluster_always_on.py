"""Always-on across the nodes of a cluster (one real Redis, real daemons): an absent person is kept
in Redis with the node holding them; when that node dies another node takes them over (once), a
connection on another node brings them there, and a device signing in where they are not held
joins them where they are."""

from __future__ import annotations

import signal

import pytest

from .support.sockets import irc_client
from .support.waiting import wait_until
from .test_cluster import in_sync, node, redis  # noqa: F401  (the fixture, shared)
from .test_core_always_on import registered_in, sasl, settled
from .test_irc_multiclient import sasl_line_client

pytestmark = pytest.mark.cluster

ARGS = ("--always-on", "--absent-message", "Gone home")


def names(client, room):
    client.send(f"NAMES {room}")
    lines = client.until(" 366 ")
    return {nick.lstrip("@+") for line in lines if " 353 " in line for nick in line.rsplit(" :", 1)[1].split()}


def absent_alice(holder, bobs_node):
    """alice (always on) in #team on ``holder``, then gone from her laptop: absent there, seen by
    bob (on ``bobs_node``, in #team) as away, not quit."""
    alice = registered_in(holder, "alice", "#team")
    bob = irc_client(bobs_node.ports["irc"], "bob", "away-notify")
    bob.send("JOIN #team")
    bob.expect(" 366 bob #team ")
    alice.send("QUIT :closing the laptop")
    assert alice.closed()
    bob.expect(r"^:alice!\S+ AWAY :Gone home$")
    return bob


@pytest.fixture
def pair(tmp_path, redis):  # noqa: F811
    """Two always-on nodes, alpha and beta, on one Redis."""
    a = in_sync(node(tmp_path, redis, "alpha", *ARGS))
    b = in_sync(node(tmp_path, redis, "beta", *ARGS))
    yield a, b
    a.kill()
    b.kill()


def test_an_absent_person_outlives_the_node_that_held_them(pair, redis):  # noqa: F811
    a, b = pair
    bob = absent_alice(a, b)
    bob.send("PRIVMSG alice :are you there?")
    assert bob.expect(" 301 bob alice ").endswith(":Gone home")  # absent on alpha, seen from beta
    wait_until(lambda: b"alpha" in redis.ask("HGET", "chatd:chatd:{net}:always-on", "alice"), 10,
               what="alice kept in Redis with her node")

    a.signal(signal.SIGKILL)  # alpha dies: beta finds it lost and takes alice over
    b.wait_for_log(lambda line: "always-on: alice is back, away" in line or None, 20, "alice taken over")
    assert b"beta" in redis.ask("HGET", "chatd:chatd:{net}:always-on", "alice")
    assert "alice" in names(bob, "#team")
    bob.send("PRIVMSG alice :still there?")
    assert bob.expect(" 301 bob alice ").endswith(":Gone home")

    back = sasl(b.ports["irc"], "alice", "alice-password")  # on beta, where she is kept now
    burst = back.until(r"PRIVMSG alice :still there\?$")
    assert any(line.endswith(" JOIN #team") for line in burst)
    assert any("are you there?" in line for line in burst + settled(back))


def test_a_connection_on_another_node_brings_the_person_there(pair):
    a, b = pair
    bob = absent_alice(a, a)
    bob.send("PRIVMSG alice :read this on your phone")
    bob.expect(" 301 bob alice ")

    phone = sasl(b.ports["irc"], "alice@phone", "alice-password")  # alpha holds her: handed to beta
    burst = phone.until(r" JOIN #team$")
    assert not [line for line in burst if " 433 " in line]
    assert any("read this on your phone" in line for line in burst + settled(phone))  # what came meanwhile
    bob.send("PRIVMSG alice :hello phone")
    phone.expect(r"PRIVMSG alice :hello phone$")
    phone.send("PRIVMSG #team :on my phone")
    bob.expect(r"^:alice!\S+ PRIVMSG #team :on my phone$")

    # Connected on beta now: a device signing in on alpha is carried to beta, one more device of hers.
    laptop = sasl_line_client(a.ports["irc"], "alice", "alice-password")
    laptop.expect(" 001 alice ")
    laptop.expect(r"^:alice!\S+ JOIN #team$")
    bob.send("PRIVMSG #team :both of you?")
    phone.expect(r"PRIVMSG #team :both of you\?$")
    laptop.expect(r"PRIVMSG #team :both of you\?$")
