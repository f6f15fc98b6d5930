"""Web Push in a cluster: every node signs with the same VAPID key (the first node's, kept in
Redis), and a subscription made on one node is pushed to from a message said on another."""

from __future__ import annotations

import re

import pytest

from .support.pushservice import PushService, Subscriber
from .support.sockets import irc_client
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
        alice = sasl_line_client(b.ports["irc"], "alice", "alice-password", caps="draft/webpush")
        alice.until(" 376 | 422 ")
        phone = Subscriber()
        alice.send(f"WEBPUSH REGISTER {service.url('alice')} {phone.irc_keys}")
        alice.expect("WEBPUSH REGISTER ")
        alice.send("QUIT")
        assert alice.closed()

        bob = irc_client(a.ports["irc"], "bob")  # said on alpha: alpha pushes, with the agreed key
        bob.send("PRIVMSG alice :from the other node")
        line = phone.open(service.next(), key, service.origin).decode()
        assert line.endswith(" PRIVMSG alice :from the other node")
        bob.close()
    finally:
        a.kill()
        b.kill()
        service.close()
