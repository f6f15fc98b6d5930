"""Bad input and abuse: long lines, bad bytes, floods, slow readers."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatd.net.connection import ListenerSettings
from chatd.net.flood import UNLIMITED, FloodPolicy
from chatd.net.peers import ConnectionCounter

from .support.memory import Memory, irc_factory, irc_user, memory_network

pytestmark = pytest.mark.unit


def two_in_a_room(**kwargs):
    network, clock = memory_network()
    factory = irc_factory(network, clock, **kwargs)
    alice, bob = irc_user(factory, "alice"), irc_user(factory, "bob")
    for c in (alice, bob):
        c.send("JOIN #r")
    alice.read(), bob.read()
    return network, clock, factory, alice, bob


def test_overlong_line_gets_417_and_the_connection_goes_on():
    _, _, _, alice, bob = two_in_a_room()
    alice.send("PRIVMSG #r :" + "x" * 600)
    assert alice.read() == [":irc.test 417 alice :Input line was too long"]
    assert bob.read() == []
    alice.send("PRIVMSG #r :short")
    assert bob.read() == [":alice!~alice@10.0.0.1 PRIVMSG #r :short"]


def test_exactly_512_bytes_is_accepted():
    _, _, _, alice, bob = two_in_a_room()
    head = "PRIVMSG #r :"
    alice.send(head + "y" * (510 - len(head)))
    assert len(bob.read()) == 1


def test_client_tags_may_add_up_to_4094_bytes_but_no_more():
    _, _, _, alice, bob = two_in_a_room()
    # message-tags: at most 4094 bytes of tag data from a client, "@" and the space included.
    alice.send("@+x=" + "a" * (4094 - 6) + " PRIVMSG #r :with tags")
    assert bob.read() == [":alice!~alice@10.0.0.1 PRIVMSG #r :with tags"]
    alice.send("@+x=" + "a" * 4096 + " PRIVMSG #r :too many tags")
    assert alice.read() == [":irc.test 417 alice :Input line was too long"]
    assert bob.read() == []


def test_endless_line_without_newline_is_cut():
    _, _, _, alice, bob = two_in_a_room()
    alice.send(b"PRIVMSG #r :" + b"z" * 20000)
    assert alice.read() == [":irc.test 417 alice :Input line was too long"]
    alice.send(b"still the same line\r\nPRIVMSG #r :next\r\n")
    assert bob.read() == [":alice!~alice@10.0.0.1 PRIVMSG #r :next"]


def test_invalid_utf8_is_refused_with_fail_not_fatal():
    _, _, _, alice, bob = two_in_a_room()
    alice.send(b"PRIVMSG #r :caf\xe9 \xff\xfe ok\r\n")  # UTF8ONLY: nothing that is not UTF-8 is relayed
    assert alice.read() == [
        ":irc.test FAIL PRIVMSG INVALID_UTF8 :Message rejected, your message contained invalid UTF-8"]
    assert bob.read() == []
    alice.send("PRIVMSG #r :caf\u00e9 ok")
    assert bob.read() == [":alice!~alice@10.0.0.1 PRIVMSG #r :caf\u00e9 ok"]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(max_size=3000))
def test_garbage_never_breaks_the_server(garbage):
    network, _, factory, alice, bob = two_in_a_room()
    alice.send(garbage)
    alice.send(b"\r\n")
    alice.read()
    if not alice.transport.disconnecting:
        alice.send("PING :alive")
        assert ":irc.test PONG irc.test :alive" in alice.read()
    bob.send("PING :me-too")
    assert bob.read()[-1] == ":irc.test PONG irc.test :me-too"


def test_flood_is_delayed_then_served():
    policy = FloodPolicy(rate=2, burst=5, max_queue=20)
    _, clock, _, alice, bob = two_in_a_room(settings=ListenerSettings(flood=policy))
    clock.advance(10)  # refill the bucket spent on registration
    for i in range(10):
        alice.send(f"PRIVMSG #r :{i}")
    assert len(bob.read()) == 5
    clock.advance(2.5)
    assert [line.rsplit(":", 1)[1] for line in bob.read()] == ["5", "6", "7", "8", "9"]
    assert not alice.transport.disconnecting


def test_sustained_flood_is_disconnected_and_others_keep_chatting():
    policy = FloodPolicy(rate=2, burst=5, max_queue=20)
    network, clock, factory, alice, bob = two_in_a_room(settings=ListenerSettings(flood=policy))
    carol = irc_user(factory, "carol")
    carol.send("JOIN #r")
    for i in range(200):
        alice.send(f"PRIVMSG #r :flood {i}")
    assert alice.read()[-1] == "ERROR :Closing Link: 10.0.0.1 (Excess Flood)"
    alice.drop()
    assert network.find_user("alice") is None
    bob.read()
    clock.advance(10)
    carol.send("PRIVMSG #r :hello after the flood")
    assert bob.read()[-1] == ":carol!~carol@10.0.0.1 PRIVMSG #r :hello after the flood"


def test_trusted_listener_has_no_flood_limit():


    _, _, _, alice, bob = two_in_a_room(settings=ListenerSettings(flood=UNLIMITED))
    for i in range(500):
        alice.send(f"PRIVMSG #r :{i}")
    assert len(bob.read()) == 500


def test_sendq_exceeded_cuts_off_a_client_that_does_not_read():
    _, _, factory, alice, bob = two_in_a_room(settings=ListenerSettings(flood=UNLIMITED, sendq=10_000))
    carol = irc_user(factory, "carol")
    carol.send("JOIN #r")
    carol.read()
    bob.transport.producer.pauseProducing()  # the socket buffer is full: bob stopped reading
    for i in range(100):
        alice.send(f"PRIVMSG #r :{'m' * 200} {i}")
    assert bob.transport.disconnecting and bob.proto.guard.reason == "SendQ exceeded"
    assert len(carol.read()) == 100  # everyone else got every message


def test_per_address_connection_limit():
    network, clock = memory_network()
    factory = irc_factory(network, clock, peers=ConnectionCounter(2))
    first, second = Memory(factory, "10.9.9.9"), Memory(factory, "10.9.9.9")
    third = Memory(factory, "10.9.9.9")
    assert third.read() == ["ERROR :Closing Link: 10.9.9.9 (Too many connections from your address)"]
    assert not first.transport.disconnecting and not second.transport.disconnecting
    other = Memory(factory, "10.8.8.8")
    assert not other.transport.disconnecting
    first.drop()
    fourth = Memory(factory, "10.9.9.9")
    assert not fourth.transport.disconnecting


def test_bad_room_names():
    _, _, _, alice, _ = two_in_a_room()
    alice.send("JOIN nohash")
    alice.send("JOIN #" + "c" * 60)
    alice.send("JOIN #bell\x07")
    assert [line.split()[1] for line in alice.read()] == ["476", "476", "476"]
