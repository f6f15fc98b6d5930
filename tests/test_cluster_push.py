"""Web Push in a cluster: every node signs with the same VAPID key (the first node's, kept in
Redis), a subscription made on one node is pushed to from a message said on another, and reading
on a third dismisses it."""

from __future__ import annotations

import re

import pytest

from .support.pushservice import PushService, Subscriber
from .support.sockets import LineClient, irc_client
from .test_cluster import in_sync, node, redis  # noqa: F401  (the fixture, shared)
from .test_irc_multiclient import register, sasl_line_client

pytestmark = pytest.mark.cluster


def vapid_of(port: int, nick: str) -> str:
    """The key a node gives in ISUPPORT (VERSION sends the tokens again)."""
    client = irc_client(port, nick)
    client.send("VERSION")
    found = re.search(r" VAPID=(\S+)", "\n".join(client.until(r" 005 .*WHOX")))
    client.close()
    assert found, "no VAPID token in ISUPPORT"
    return found.group(1)


def subscribed(port: int, service: PushService) -> tuple[LineClient, Subscriber]:
    """alice signed in on ``port`` with SASL, her phone subscribed with ``draft/webpush``."""
    alice = sasl_line_client(port, "alice", "alice-password", caps="draft/webpush")
    alice.until(" 376 | 422 ")
    phone = Subscriber()
    alice.send(f"WEBPUSH REGISTER {service.url('alice')} {phone.irc_keys}")
    alice.expect("WEBPUSH REGISTER ")
    return alice, phone


def test_nodes_agree_on_one_key_and_push_for_each_other(tmp_path, redis):  # noqa: F811
    service = PushService()
    a = in_sync(node(tmp_path, redis, "alpha", "--push-private-endpoints"))
    b = in_sync(node(tmp_path, redis, "beta", "--push-private-endpoints"))
    try:
        key = vapid_of(a.ports["irc"], "probe1")
        assert vapid_of(b.ports["irc"], "probe2") == key
        kept = [(tmp_path / name / "state" / "vapid.pem").read_bytes() for name in ("alpha", "beta")]
        assert kept[0] == kept[1]  # beta keeps the agreed key for its next start

        register(a, "alice")  # on alpha; she subscribes on beta (the subscription is kept in Redis)
        alice, phone = subscribed(b.ports["irc"], service)
        alice.send("QUIT")
        assert alice.closed()

        bob = irc_client(a.ports["irc"], "bob")  # said on alpha: alpha pushes, with the agreed key
        bob.send("PRIVMSG alice :from the other node")
        line = phone.open(service.next(), key, service.origin).decode()
        assert line.endswith(" PRIVMSG alice :from the other node")
        stamp = re.search(r";time=(\S+) ", line).group(1)

        # alice reads it on beta (a client without chathistory is shown it, and it counts as read):
        # alpha, which pushed it, tells her phone to dismiss the notification.
        laptop = sasl_line_client(b.ports["irc"], "alice", "alice-password")
        laptop.expect(r"PRIVMSG alice :from the other node$")
        assert phone.open(service.next(), key, service.origin).decode() == f"MARKREAD bob timestamp={stamp}"
        bob.close()
    finally:
        a.kill()
        b.kill()
        service.close()


def test_an_absent_person_held_by_one_node_is_pushed_what_is_said_on_another(tmp_path, redis):  # noqa: F811
    """alice is always on and absent on alpha; bob mentions her and writes to her on beta: alpha,
    holding her, judges and pushes each once; beta, where it was said, pushes nothing more."""
    service = PushService()
    args = ("--push-private-endpoints", "--always-on")
    a = in_sync(node(tmp_path, redis, "alpha", *args))
    b = in_sync(node(tmp_path, redis, "beta", *args))
    try:
        key = vapid_of(a.ports["irc"], "probe")
        register(a, "alice")
        alice, phone = subscribed(a.ports["irc"], service)
        alice.send("JOIN #team")
        alice.expect(" 366 alice #team ")
        bob = irc_client(b.ports["irc"], "bob", "away-notify")
        bob.send("JOIN #team")
        bob.expect(" 366 bob #team ")
        alice.send("QUIT")
        assert alice.closed()
        bob.expect(r"^:alice!\S+ AWAY ")  # absent, held by alpha
        bob.send("PRIVMSG #team :alice: the build is red")
        bob.send("PRIVMSG alice :can you look?")
        lines = [phone.open(service.next(), key, service.origin).decode() for _ in range(2)]
        assert lines[0].endswith(" PRIVMSG #team :alice: the build is red")
        assert lines[1].endswith(" PRIVMSG alice :can you look?")
        bob.send("PRIVMSG alice :one more")  # and nothing twice: the next push is this one
        assert phone.open(service.next(), key, service.origin).decode().endswith(" PRIVMSG alice :one more")
    finally:
        a.kill()
        b.kill()
        service.close()
