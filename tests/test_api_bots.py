"""The API's bot users: one per nick, kept while used, gone when their key is revoked; and the
records the network emits to its sinks for them."""

from __future__ import annotations

import pytest
from twisted.internet import defer
from twisted.python.failure import Failure

from chatd.api.bots import Bots
from chatd.api.keys import KeyRecord
from chatd.api.store import SQLiteKeys
from chatd.core.events import Connected, Joined, Parted, Quit, RoomMessage
from chatd.core.network import Network

from .test_core_network import person

pytestmark = pytest.mark.unit


def run(awaitable):
    """Run what finishes without a reactor (the store runs inline on ':memory:')."""
    result = []
    defer.ensureDeferred(awaitable).addBoth(result.append)
    assert result, "did not finish inline"
    if isinstance(result[0], Failure):
        result[0].raiseException()
    return result[0]


def test_a_revoked_keys_bot_leaves_and_its_records_reach_the_sinks():
    net = Network()
    seen = []
    net.records.add(seen.append)
    store = SQLiteKeys(":memory:")
    run(store.add_key(KeyRecord("ci", "d1", ("post",))))
    run(store.add_key(KeyRecord("other", "d2", ("post",))))
    person(net, "wendy").join("#ops")
    bots = Bots(net)
    ci = run(bots.in_room("ci", "ci", "API key ci", "#ops"))
    ci.send("#ops", "privmsg", "deploy finished")
    run(bots.in_room("deployer", "other", "API key other", "#ops"))
    in_rooms = [r for r in seen if isinstance(r, (Joined, Parted, RoomMessage))]
    assert [type(r) for r in in_rooms] == [Joined, Joined, RoomMessage, Joined]
    assert in_rooms[2].sender.bot and in_rooms[2].text == "deploy finished"
    assert [r.who.nick for r in seen if isinstance(r, Connected)] == ["wendy", "ci", "deployer"]
    run(store.revoke_key("ci"))
    run(bots.prune(store))
    assert net.find_user("ci") is None and net.find_user("deployer") is not None
    assert isinstance(seen[-1], Quit) and seen[-1].who.nick == "ci" and seen[-1].rooms == ("#ops",)
