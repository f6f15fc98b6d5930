"""What outsiders may see of a secret room, asked from every protocol: no name, no members.

The visibility rules live once in ``chatd.core.queries``; these tests ask the same two questions
(the room listing, a room's members) through IRC, telnet and the web and expect one answer.
"""

from __future__ import annotations

import pytest

from .support.memory import Memory, MemoryWebSocket, irc_factory, irc_user, memory_network, telnet_factory, ws_factory

pytestmark = pytest.mark.unit


@pytest.fixture
def hidden():
    """A network with a secret room #hidden (alice inside) and a public #open (alice and bob)."""
    network, clock = memory_network()
    irc = irc_factory(network, clock)
    alice = irc_user(irc, "alice")
    alice.send("JOIN #hidden")
    alice.send("MODE #hidden +s")
    alice.send("TOPIC #hidden :the plans")
    alice.send("JOIN #open")
    bob = irc_user(irc, "bob")
    bob.send("JOIN #open")
    alice.read()
    bob.read()
    return network, clock, irc, alice, bob


def telnet(network, clock, nick):
    conn = Memory(telnet_factory(network, clock))
    conn.read()
    conn.send(nick)
    conn.read()
    return conn


def test_telnet_list_and_names_hide_a_secret_room_from_outsiders(hidden):
    network, clock, _, _, _ = hidden
    tina = telnet(network, clock, "tina")
    tina.send("/list")
    listing = tina.read()
    assert any(line.startswith("*** #open (2)") for line in listing)
    assert not any("#hidden" in line or "the plans" in line for line in listing)
    tina.send("/names #hidden")
    (answer,) = tina.read()
    assert "alice" not in answer and "No such room" in answer


def test_telnet_list_shows_a_secret_room_to_its_members(hidden):
    network, clock, _, _, _ = hidden
    tina = telnet(network, clock, "tina")
    tina.send("/join #hidden")
    tina.read()
    tina.send("/list")
    assert any(line.startswith("*** #hidden (2) the plans") for line in tina.read())


def test_irc_names_of_a_secret_room_answers_outsiders_with_only_its_end(hidden):
    _, _, irc, alice, bob = hidden
    bob.send("NAMES #hidden,#open")
    lines = bob.read()
    assert [line.split()[1] for line in lines] == ["366", "353", "366"]
    assert ":irc.test 366 bob #hidden :End of /NAMES list." in lines
    assert not any("alice" in line and "#hidden" in line for line in lines)
    bob.send("LIST")
    assert not any("#hidden" in line for line in bob.read())
    # A member sees it, marked secret ("@") as RPL_NAMREPLY says.
    alice.send("NAMES #hidden")
    assert alice.read()[0] == ":irc.test 353 alice @ #hidden :@alice"


def test_web_list_and_names_hide_a_secret_room_from_outsiders(hidden):
    network, clock, _, _, _ = hidden
    ws = MemoryWebSocket(ws_factory(network, clock))
    ws.send({"type": "hello", "nick": "wendy", "id": 1})
    ws.read()
    ws.send({"type": "list", "id": 2})
    ws.send({"type": "names", "room": "#hidden", "id": 3})
    listing, names = ws.read()
    assert [room["name"] for room in listing["rooms"]] == ["#open"]
    assert names["type"] == "error" and names["id"] == 3 and "members" not in names


def test_whois_names_the_same_rooms_on_irc_and_the_web(hidden):
    """An outsider's WHOIS names alice's public room, never her secret one; a member's names both."""
    network, clock, irc, alice, bob = hidden
    bob.send("WHOIS alice")
    (rooms,) = [line for line in bob.read() if " 319 " in line]
    assert rooms.endswith(":@#open")
    ws = MemoryWebSocket(ws_factory(network, clock))
    ws.send({"type": "hello", "nick": "wendy", "id": 1})
    ws.read()
    ws.send({"type": "whois", "nick": "alice", "id": 2})
    (answer,) = ws.read()
    assert answer["rooms"] == ["#open"]
    inside = irc_user(irc, "ivy")
    inside.send("JOIN #hidden")
    inside.read()
    inside.send("WHOIS alice")
    (rooms,) = [line for line in inside.read() if " 319 " in line]
    assert "#hidden" in rooms and "#open" in rooms


def test_who_finds_an_invisible_person_only_for_those_who_share_a_room(hidden):
    network, clock, irc, alice, bob = hidden
    alice.send("MODE alice +i")
    alice.read()
    stranger = irc_user(irc, "sam")
    stranger.send("WHO *")
    assert not any(" alice " in line and " 352 " in line for line in stranger.read())
    bob.send("WHO *")
    assert any(" 352 " in line and " alice " in line for line in bob.read())
