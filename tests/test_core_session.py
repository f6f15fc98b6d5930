"""The Session: what a person may do, the same for every protocol, validated once."""

from __future__ import annotations

import pytest

from chatd.core import LocalPublisher, Network, Session, errors, events

from .test_core_network import Recorder, finish, person

pytestmark = pytest.mark.unit


def test_free_text_is_validated_once_for_every_protocol():
    net = Network()
    alice, bob = person(net, "alice"), person(net, "bob")
    alice.join("#r")
    bob.join("#r")
    alice.send("#r", "privmsg", "line one\r\nPRIVMSG #r :injected")
    (message,) = [e for e in bob.client.received if isinstance(e, events.RoomMessage)]
    assert message.text == "line one PRIVMSG #r :injected"
    with pytest.raises(errors.NoText):
        alice.send("#r", "privmsg", " \r\n ")
    with pytest.raises(errors.TextTooLong):
        alice.send("#r", "privmsg", "x" * (net.limits.textlen + 1))
    with pytest.raises(errors.BadRoomName):
        alice.join("#bad,name")
    alice.set_topic("#r", "t\no" * 500)
    assert net.find_room("#r").topic == ("t o" * 500)[: net.limits.topiclen]
    assert alice.set_away("  \x00 ") == "   " and alice.set_away("") is None


def test_errors_speak_of_rooms_for_people():
    net = Network()
    alice, bob = person(net, "alice"), person(net, "bob")
    alice.join("#r")
    with pytest.raises(errors.NotOnRoom) as refused:
        bob.part("#r")
    assert refused.value.describe() == "#r: You're not in that room"
    with pytest.raises(errors.UserNotInRoom) as refused:
        alice.kick("#r", "bob", "bye")
    assert refused.value.describe() == "bob is not in #r"


def test_a_connection_that_closes_while_its_nick_is_claimed_leaves_nothing_behind():
    class SlowPublisher(LocalPublisher):
        """Stands in for a cluster where claiming a nick takes a round trip."""

        def __init__(self):
            self.claims, self.released = [], []

        def reserve(self, folded):
            waiter = Waiter()
            self.claims.append((folded, waiter))
            return waiter

        def release(self, folded):
            self.released.append(folded)

    class Waiter:
        def __await__(self):
            return (yield self)

    publisher = SlowPublisher()
    net = Network(publisher=publisher)
    session = Session(net, Recorder(), "web", "10.0.0.9")
    registering = session.register("wendy", "web", "Wendy")
    registering.send(None)  # now waiting for the claim
    assert session.registering and publisher.claims[0][0] == "wendy"
    session.quit("Connection lost")
    with pytest.raises(StopIteration) as done:
        registering.send(True)  # the claim comes back after the socket went away
    assert done.value.value is None and net.find_user("wendy") is None
    assert publisher.released == ["wendy"] and not session.registering


def test_a_nick_claimed_elsewhere_is_refused():
    class Taken(LocalPublisher):
        async def reserve(self, folded):
            return folded != "taken"

    net = Network(publisher=Taken())
    with pytest.raises(errors.NickInUse):
        finish(Session(net, Recorder(), "irc", "h").register("Taken", "u", "r"))
    assert finish(Session(net, Recorder(), "irc", "h").register("free", "u", "r")).nick == "free"


def test_actions_need_registration_and_quit_is_idempotent():
    net = Network()
    session = Session(net, Recorder(), "telnet", "h")
    with pytest.raises(errors.ChatError):
        session.join("#r")
    finish(session.register("tina", "telnet", "tina"))
    with pytest.raises(errors.AlreadyRegistered):
        finish(session.register("tina2", "telnet", "tina"))
    session.quit("bye")
    session.quit("bye again")
    assert net.find_user("tina") is None and session.closed


def test_a_refused_registration_claims_nothing_beyond_this_process():
    class Counting(LocalPublisher):
        def __init__(self):
            self.claimed = []

        async def reserve(self, folded):
            self.claimed.append(folded)
            return True

    publisher = Counting()
    net = Network(publisher=publisher)
    with pytest.raises(errors.BadText):
        finish(Session(net, Recorder(), "web", "h").register("ghost", "web", "\udfff"))
    assert publisher.claimed == [] and net.find_user("ghost") is None


def test_whowas_remembers_a_bounded_number_of_departures():
    from chatd.core import Limits

    net = Network(limits=Limits(whowas=2))
    for nick in ("one", "two", "three"):
        person(net, nick).quit("bye")
    assert [e.nick for e in net.whowas.lookup("one")] == []  # the oldest went first
    assert [e.nick for e in net.whowas.lookup("THREE")] == ["three"]
