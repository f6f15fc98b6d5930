"""The Redis link's pub/sub connection: what one read brings is handled in that reactor turn."""

from __future__ import annotations

import pytest
from twisted.internet.testing import MemoryReactorClock, StringTransport

from chatd.cluster.address import RedisAddress
from chatd.cluster.link import RedisLink

pytestmark = pytest.mark.unit


def test_every_message_of_one_read_arrives_before_the_read_returns():
    """The room fan-out batches what arrives in one reactor turn; a parser that handled one pub/sub
    message per turn (txredisapi's own) made every message a batch of one."""
    got: list[tuple[str, str]] = []
    clock = MemoryReactorClock()
    link = RedisLink(clock, RedisAddress.parse("redis://127.0.0.1:1/0"), lambda: None, lambda: None,
                     lambda channel, data: got.append((channel, data)))
    subscriber = link._subscriber_class()("utf-8", replyTimeout=0)
    subscriber.makeConnection(StringTransport())
    texts = [f"1-{i} {{\"x\": \"message {i} \u00e9\"}}" for i in range(300)]
    wire = b"".join(b"*3\r\n$7\r\nmessage\r\n$7\r\nchatd:r\r\n$%d\r\n%s\r\n" % (len(t.encode()), t.encode())
                    for t in texts)
    subscriber.dataReceived(wire[:1000])
    subscriber.dataReceived(wire[1000:])
    assert got == [("chatd:r", text) for text in texts]
    assert not clock.getDelayedCalls()  # nothing left for a later turn
