"""Connection storms: refusals reach the log in aggregate (one line per window, not one per
connection), and listeners queue a burst in a backlog of ``--listen-backlog``, not Twisted's 50."""

from __future__ import annotations

import pytest
from twisted.internet import endpoints
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import LogLevel, formatEvent, globalLogPublisher

from chatd.listeners import with_backlog
from chatd.net.peers import ConnectionCounter
from chatd.net.refusals import Refusals

from .support.memory import Memory, irc_factory, memory_network

pytestmark = pytest.mark.unit


@pytest.fixture
def logged():
    seen: list[dict] = []
    globalLogPublisher.addObserver(seen.append)
    yield seen
    globalLogPublisher.removeObserver(seen.append)


def refusal_lines(seen):
    return [(e["log_level"], formatEvent(e)) for e in seen if "refused" in (e.get("log_format") or "")]


def test_a_storm_of_refusals_is_one_line_then_one_summary_per_window(logged):
    network, clock = memory_network()
    peers = ConnectionCounter(1, Refusals(clock, window=10))
    kept = Memory(irc_factory(network, clock, peers=peers), host="10.6.6.6")
    for n in range(500):
        Memory(irc_factory(network, clock, peers=peers), host="10.6.6.6" if n % 5 else "10.7.7.7").drop()
    Memory(irc_factory(network, clock, peers=peers), host="10.7.7.7")  # its own slot: not refused
    assert refusal_lines(logged) == [
        (LogLevel.info, "irc connection from 10.6.6.6 refused: too many from that address")]
    clock.advance(10)
    lines = refusal_lines(logged)[1:]
    assert lines == [(LogLevel.warn, "refused 399 more irc connections in the last 10 s "
                                     "(too many from that address); most from 10.6.6.6 (399)")]
    clock.advance(10)  # a quiet window: nothing to tell, and the next refusal is told at once
    assert len(refusal_lines(logged)) == 2
    clock.advance(10)
    Memory(irc_factory(network, clock, peers=peers), host="10.6.6.6")
    assert refusal_lines(logged)[-1] == (LogLevel.info, "irc connection from 10.6.6.6 refused: "
                                                        "too many from that address")
    assert peers.refusals is not None and peers.refusals.total == 401
    kept.drop()


@pytest.mark.parametrize("description, expected", [
    ("tcp:6667", "tcp:6667:backlog=1024"),
    ("tcp:6667:interface=127.0.0.1", "tcp:6667:interface=127.0.0.1:backlog=1024"),
    ("tcp:6667:backlog=64", "tcp:6667:backlog=64"),
    ("unix:/run/chatd/irc.sock", "unix:/run/chatd/irc.sock:backlog=1024"),
    ("systemd:domain=INET:index=0", "systemd:domain=INET:index=0"),
])
def test_listeners_get_the_configured_backlog(description, expected):
    assert with_backlog(description, 1024) == expected


def test_twisted_takes_the_backlog_from_the_description():
    endpoint = endpoints.serverFromString(MemoryReactorClock(), with_backlog("tcp:0:interface=127.0.0.1", 1024))
    assert endpoint._backlog == 1024
