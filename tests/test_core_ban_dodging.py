"""A ban or a quiet is not dodged by a nick change, on any protocol."""

from __future__ import annotations

import pytest

from .support.memory import MemoryWebSocket, irc_factory, irc_user, memory_network, ws_factory

pytestmark = pytest.mark.unit


@pytest.fixture
def room():
    network, clock = memory_network()
    irc = irc_factory(network, clock)
    op = irc_user(irc, "opal")
    op.send("JOIN #ban")
    mallory = irc_user(irc, "mallory")
    mallory.send("JOIN #ban")
    op.read()
    mallory.read()
    return network, clock, op, mallory


@pytest.mark.parametrize("mode", ["+b mallory!*@*", "+q mallory!*@*", "+b m:mallory!*@*"])
def test_a_banned_or_quieted_member_keeps_their_nick_and_stays_silent(room, mode):
    network, _, op, mallory = room
    op.send(f"MODE #ban {mode}")
    mallory.read()
    mallory.send("PRIVMSG #ban :can you hear me")
    assert any(" 404 mallory #ban " in line for line in mallory.read())
    mallory.send("NICK mallory2")
    assert any(line.startswith(":irc.test 435 mallory mallory2 #ban :") for line in mallory.read())
    assert network.find_user("mallory") is not None and network.find_user("mallory2") is None
    mallory.send("PRIVMSG #ban :now?")
    assert any(" 404 mallory #ban " in line for line in mallory.read())
    assert not any("now?" in line for line in op.read())


def test_a_voiced_member_and_anyone_after_the_ban_is_lifted_may_change_nick(room):
    network, _, op, mallory = room
    op.send("MODE #ban +b mallory!*@*")
    op.send("MODE #ban +v mallory")
    mallory.read()
    mallory.send("NICK mallory2")
    assert any(" NICK :mallory2" in line for line in mallory.read())
    op.send("MODE #ban -v mallory2")
    op.send("MODE #ban -b mallory!*@*")
    mallory.send("NICK mallory3")
    assert any(" NICK :mallory3" in line for line in mallory.read())


def test_a_ban_dodged_by_part_and_join_stays_a_ban(room):
    _, _, op, mallory = room
    op.send("MODE #ban +b mallory!*@*")
    mallory.send("PART #ban")
    mallory.read()
    mallory.send("JOIN #ban")
    assert any(" 474 mallory #ban " in line for line in mallory.read())


def test_a_web_member_under_a_ban_keeps_their_nick(room):
    network, clock, op, _ = room
    ws = MemoryWebSocket(ws_factory(network, clock))
    ws.send({"type": "hello", "nick": "webby", "id": 1})
    ws.send({"type": "join", "room": "#ban", "id": 2})
    ws.read()
    op.send("MODE #ban +q webby!*@*")
    ws.read()
    ws.send({"type": "nick", "nick": "webby2", "id": 3})
    (refused,) = [f for f in ws.read() if f.get("id") == 3]
    assert refused["type"] == "error" and refused["code"] == "banned_nick_change"
    assert network.find_user("webby") is not None
