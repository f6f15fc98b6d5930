"""Fan-out survives a failing recipient: the others get their copy, the failing one is dropped."""

from __future__ import annotations

import logging

import pytest

from chatd.core import Network, events

from .test_core_network import Recorder, finish, person

pytestmark = pytest.mark.unit


class Broken(Recorder):
    def __init__(self, key="plain") -> None:
        super().__init__(key)
        self.closed: list[str] = []

    def deliver(self, payload):
        raise OSError("socket exploded")

    def disconnect(self, reason):
        self.closed.append(reason)


def test_a_recipient_that_raises_is_dropped_and_the_rest_still_receive(caplog):
    net = Network()
    alice, bob, carol = person(net, "alice"), person(net, "bob"), person(net, "carol")
    broken = person(net, "broken")
    for who in (alice, broken, bob, carol):
        who.join("#r")
    broken.client = broken.user.client = Broken()  # its socket fails from now on
    with caplog.at_level(logging.ERROR, logger="chatd.core"):
        alice.send("#r", "privmsg", "still here?")
    for who in (bob, carol):
        assert [e.text for e in who.client.received if isinstance(e, events.RoomMessage)] == ["still here?"]
    assert broken.client.closed == ["Internal error"]
    failures = [r for r in caplog.records if "broken" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None


def test_an_encoder_that_raises_skips_its_format_for_that_event_only(caplog):
    net = Network()
    alice, bob = person(net, "alice", key="good"), person(net, "bob", key="bad")
    bob.client.encode = lambda event: 1 / 0
    alice.join("#r")
    bob.join("#r")
    with caplog.at_level(logging.ERROR, logger="chatd.core"):
        finish(alice.rename("alicia"))
    assert isinstance(alice.client.received[-1], events.NickChanged)
    assert bob.user is not None and net.find_user("bob") is bob.user  # nobody was dropped
    assert any("encoding NickChanged" in r.getMessage() for r in caplog.records)
