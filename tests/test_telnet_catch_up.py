"""Telnet's lines on joining a room: said meanwhile is shown once."""

from __future__ import annotations

import pytest
from twisted.internet import defer

from .support.memory import Memory, irc_factory, irc_user, memory_history, memory_network, telnet_factory

pytestmark = pytest.mark.unit


def test_a_line_said_while_the_join_reads_history_shows_once():
    network, clock = memory_network(batch_turns=True)
    store = memory_history(network, clock)
    ivan = irc_user(irc_factory(network, clock), "ivan")
    ivan.send("JOIN #r")
    ivan.send("PRIVMSG #r :before")
    clock.advance(1)
    tina = Memory(telnet_factory(network, clock))
    tina.send("tina")
    tina.read()

    held = []
    inline = store.run

    def slow_read(fn, *args):  # the history thread is busy: the read runs when released
        d: defer.Deferred = defer.Deferred()
        held.append(lambda: d.callback(fn(*args)))
        return d

    store.run = slow_read
    tina.send("/join #r")
    store.run = inline
    ivan.send("PRIVMSG #r :said meanwhile")
    clock.advance(1)
    while held:
        held.pop(0)()
    lines = tina.read()
    assert sum("said meanwhile" in line for line in lines) == 1, lines
    assert any("before" in line for line in lines), lines
