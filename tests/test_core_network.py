"""The protocol-free core, driven through Sessions as adapters drive it:
nicks, rooms, modes and fan-out rules."""

from __future__ import annotations

import pytest

from chatd.core import Network, Session, errors, events
from chatd.core.ids import MessageIdGenerator, id_time

pytestmark = pytest.mark.unit


class Recorder:
    """A minimal adapter: records what the core delivers to it."""

    def __init__(self, key="plain", echo=False) -> None:
        self.format_key = key
        self.echo_messages = echo
        self.encoded = 0
        self.received: list[object] = []

    def encode(self, event):
        self.encoded += 1
        return ("payload", event)

    def deliver(self, payload):
        self.received.append(payload[1])

    def disconnect(self, reason):
        pass


def finish(coroutine):
    """Run a coroutine that never waits (no cluster) to its end, without a reactor."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the coroutine waited for something")


def person(network: Network, nick: str, key="plain", echo=False) -> Session:
    session = Session(network, Recorder(key, echo), "irc", "h")
    finish(session.register(nick, nick.lower(), nick))
    return session


def received(session: Session) -> list:
    return session.client.received


def test_nicks_are_case_insensitive_under_rfc1459():
    net = Network()
    person(net, "Alice[1]")
    with pytest.raises(errors.NickInUse):
        person(net, "alice{1}")
    assert net.find_user("ALICE{1}").nick == "Alice[1]"


@pytest.mark.parametrize("bad", ["", "1abc", "a b", "#chan", "x" * 31, "a,b", "é"])
def test_bad_nicks_are_refused(bad):
    with pytest.raises(errors.BadNick):
        person(Network(), bad)


def test_first_joiner_is_operator_and_topic_needs_op():
    net = Network()
    alice, bob = person(net, "alice"), person(net, "bob")
    room, new = alice.join("#Room")
    assert new and bob.join("#room") == (room, True) and bob.join("#ROOM") == (room, False)
    assert room.is_op(alice.user) and not room.is_op(bob.user)
    with pytest.raises(errors.NotOperator):
        bob.set_topic("#room", "mine")
    alice.set_topic("#ROOM", "hello")
    assert room.topic == "hello" and room.topic_by == "alice!alice@h" and room.topic_nick == "alice"


def test_join_rules_key_limit_invite_only():
    net = Network()
    op, a, b = person(net, "op"), person(net, "a"), person(net, "b")
    op.join("#r")
    op.change_modes("#r", [("+", "k", "secret"), ("+", "l", "2")])
    with pytest.raises(errors.BadKey):
        a.join("#r")
    a.join("#r", "secret")
    with pytest.raises(errors.RoomFull):
        b.join("#r", "secret")
    op.change_modes("#r", [("-", "l", None), ("-", "k", None), ("+", "i", None)])
    with pytest.raises(errors.InviteOnly):
        b.join("#r")
    op.invite("b", "#r")
    assert b.join("#r")[1]


def test_moderated_and_no_external_messages():
    net = Network()
    op, member, outsider = person(net, "op"), person(net, "member"), person(net, "out")
    op.join("#r")
    member.join("#r")
    with pytest.raises(errors.CannotSend):
        outsider.send("#r", "privmsg", "hi")
    op.change_modes("#r", [("+", "m", None)])
    with pytest.raises(errors.CannotSend):
        member.send("#r", "privmsg", "hi")
    op.change_modes("#r", [("+", "v", "member")])
    member.send("#r", "privmsg", "now I can")
    assert [e.text for e in op.client.received if isinstance(e, events.RoomMessage)] == ["now I can"]


def test_fan_out_encodes_once_per_format():
    net = Network()
    sender = person(net, "sender", key="a")
    same = [person(net, f"a{i}", key="a") for i in range(5)]
    other = [person(net, f"b{i}", key="b") for i in range(5)]
    for user in [sender, *same, *other]:
        user.join("#r")
    for user in [sender, *same, *other]:
        user.client.encoded = 0
    sender.send("#r", "privmsg", "hello")
    encoders = [u.client.encoded for u in [sender, *same, *other]]
    assert sum(encoders) == 2  # one per format key, not one per recipient
    assert all(isinstance(u.client.received[-1], events.RoomMessage) for u in same + other)
    assert not any(isinstance(e, events.RoomMessage) for e in sender.client.received)


def test_echo_message_sends_the_sender_its_own_message():
    net = Network()
    alice = person(net, "alice", echo=True)
    alice.join("#r")
    sent = alice.send("#r", "privmsg", "hi")
    assert alice.client.received[-1] is sent.message and sent.durable is None


def test_quit_reaches_each_neighbour_once_and_frees_the_nick():
    net = Network()
    alice, bob = person(net, "alice"), person(net, "bob")
    for name in ("#a", "#b"):
        alice.join(name)
        bob.join(name)
    alice.quit("bye")
    quits = [e for e in bob.client.received if isinstance(e, events.Quit)]
    assert len(quits) == 1 and quits[0].reason == "bye"
    assert net.find_user("alice") is None
    assert list(net.find_room("#a").members) == [bob.user] and alice.user is None
    person(net, "alice")


def test_empty_rooms_disappear():
    net = Network()
    alice = person(net, "alice")
    alice.join("#gone")
    alice.part("#gone")
    assert net.find_room("#gone") is None


def test_nick_change_is_seen_by_room_peers():
    net = Network()
    alice, bob = person(net, "alice"), person(net, "bob")
    alice.join("#r")
    bob.join("#r")
    finish(alice.rename("Alicia"))
    change = bob.client.received[-1]
    assert isinstance(change, events.NickChanged)
    assert (change.who.nick, change.new_nick) == ("alice", "Alicia")
    assert net.find_user("alicia") is alice.user and net.find_user("alice") is None


def test_message_ids_are_unique_and_sortable():
    now = [1_800_000_000.0]
    ids = MessageIdGenerator(lambda: now[0])
    minted = [ids() for _ in range(1000)]
    now[0] += 0.002
    minted += [ids() for _ in range(10)]
    assert minted == sorted(minted) and len(set(minted)) == len(minted)
    assert abs(id_time(minted[0]) - 1_800_000_000.0) < 0.001


def test_message_carries_server_time_and_id():
    net = Network(clock=lambda: 1_800_000_123.5)
    alice, bob = person(net, "alice"), person(net, "bob")
    alice.join("#r")
    bob.join("#r")
    sent = alice.send("#r", "privmsg", "x").message
    assert sent.time == 1_800_000_123.5 and len(sent.id) == 26
