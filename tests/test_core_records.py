"""Records: one typed record per change, one codec, one apply step for this node's changes and another's.

The codec test builds a sample of every record kind from the classes' own type
hints, so a kind added to ``chatd.core.events.Event`` is checked without a
line here.  The two-network test joins two real networks by their records
alone (each encoded and decoded as the cluster does, in memory instead of
through Redis) and checks that what one node's people do, the other's see.
"""

from __future__ import annotations

import json
import types
import typing

import attrs
import pytest

from chatd.core import LocalPublisher, Network, Session, codec, events
from chatd.core.events import Identity, ServerBan

from .test_core_network import Recorder, finish

pytestmark = pytest.mark.unit

WHO = Identity("wendy", "~w", "cloak", "Wendy W", "web", True, "wendy")


def sample(hint):
    """A value of type ``hint`` that is not its default."""
    if hint is Identity:
        return WHO
    if hint is ServerBan:
        return ServerBan("*!*@10.0.0.9", "spam", "root", 12.5, 99.0)
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return sample(next(arg for arg in typing.get_args(hint) if arg is not type(None)))
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return (sample(args[0]), sample(args[0]))
        return tuple(sample(arg) for arg in args)
    if origin is dict or hint is dict:
        return {"flags": "int", "founder": "wendy", "ops": ["wendy"]}
    return {str: "#r\u00e9", float: 1234.5, bool: True, int: 7}[hint]


@pytest.mark.parametrize("kind", sorted(codec.KINDS))
def test_every_record_kind_survives_the_codec(kind):
    cls = codec.KINDS[kind]
    hints = typing.get_type_hints(cls)
    record = cls(**{field.name: sample(hints[field.name]) for field in attrs.fields(cls)})
    wire = json.loads(codec.dumps(codec.encode(record)))
    assert wire["t"] == kind
    assert codec.decode(wire) == record


def test_defaults_are_left_out_and_unknown_fields_or_kinds_are_handled():
    joined = events.Joined(1.0, "#r", WHO)
    assert codec.encode(joined) == {"t": "Joined", "time": 1.0, "room": "#r", "who": codec.identity(WHO)}
    assert codec.decode({**codec.encode(joined), "from_a_newer_node": 1}) == joined
    with pytest.raises(ValueError):
        codec.decode({"t": "NoSuchChange"})


class Wire(LocalPublisher):
    """Carries one network's records to another through the codec, as the cluster's events channel does."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.peers: list[Network] = []

    def publish(self, record):
        data = json.loads(codec.dumps(codec.encode(record)))
        for peer in self.peers:
            decoded = codec.decode(data)
            if isinstance(decoded, events.Connected):
                peer.replica.connected(self.name, decoded)
            else:
                peer.receive(decoded, self.name)


def two_networks():
    a_wire, b_wire = Wire("a"), Wire("b")
    a, b = Network(server_name="a", publisher=a_wire), Network(server_name="b", publisher=b_wire)
    a_wire.peers.append(b)
    b_wire.peers.append(a)
    return a, b


def seated(net: Network, nick: str) -> Session:
    session = Session(net, Recorder(), "irc", "h")
    finish(session.register(nick, nick, nick))
    return session


def kinds(session: Session) -> list[str]:
    got = [type(e).__name__ for e in session.client.received]
    session.client.received.clear()
    return got


def test_another_nodes_changes_are_applied_by_the_same_step_as_this_nodes():
    a, b = two_networks()
    alice, bob = seated(a, "alice"), seated(b, "bob")
    assert b.find_user("alice") is not None and a.find_user("bob") is not None
    alice.join("#r")
    bob.join("#r")
    assert kinds(alice) == ["Joined", "Joined"] and kinds(bob) == ["Joined"]
    assert a.room("#r").is_op(a.find_user("alice")) and b.room("#r").is_op(b.find_user("alice"))
    alice.set_topic("#r", "shared")
    alice.change_modes("#r", [("+", "o", "bob"), ("+", "m", None)])
    assert b.room("#r").topic == "shared" and b.room("#r").is_op(b.find_user("bob")) and "m" in b.room("#r").flags
    assert kinds(bob) == ["TopicChanged", "ModeChanged"]
    bob.set_away("lunch")
    assert a.find_user("bob").away == "lunch"
    assert kinds(alice) == ["TopicChanged", "ModeChanged", "AwayChanged"]
    finish(bob.rename("robert"))
    assert a.find_user("robert") is not None and a.find_user("bob") is None
    assert kinds(alice) == ["NickChanged"]
    alice.kick("#r", "robert", "out")
    assert b.find_user("robert") not in b.room("#r").members and kinds(bob) == ["NickChanged", "Kicked"]
    alice.quit("bye")
    assert b.find_user("alice") is None and a.find_user("alice") is None


def test_another_node_cannot_move_someone_connected_here():
    a, b = two_networks()
    seated(a, "alice")
    carol = seated(b, "carol")
    # A record from node "a" about carol, whom node b holds: b applies nothing.
    b.receive(events.NickChanged(1.0, b.find_user("carol").identity, "mallory"), "a")
    b.receive(events.Quit(1.0, b.find_user("carol").identity, "forged"), "a")
    assert b.find_user("carol") is not None and carol.user is b.find_user("carol")
