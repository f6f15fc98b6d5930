"""One connection guard for every transport: the per-address limit is shared,
close happens once, and a crash in async work is logged once and answered."""

from __future__ import annotations

import pytest
from twisted.logger import LogLevel, globalLogPublisher

from chatd.net.peers import ConnectionCounter
from chatd.net.tasks import spawn

from .support.memory import Memory, MemoryWebSocket, irc_factory, memory_network, telnet_factory, ws_factory

pytestmark = pytest.mark.unit


def test_the_per_address_limit_counts_every_transport_together():
    network, clock = memory_network()
    peers = ConnectionCounter(2)
    irc = Memory(irc_factory(network, clock, peers=peers), host="10.9.9.9")
    web = MemoryWebSocket(ws_factory(network, clock, peers=peers), host="10.9.9.9")
    assert web.open and peers.counts["10.9.9.9"] == 2
    telnet = Memory(telnet_factory(network, clock, peers=peers), host="10.9.9.9")
    assert telnet.read()[-1] == "*** Closing: Too many connections from your address"
    refused = MemoryWebSocket(ws_factory(network, clock, peers=peers), host="10.9.9.9")
    assert not refused.open and refused.handshake_status == 429
    irc.drop()
    telnet.drop()
    assert peers.counts["10.9.9.9"] == 1  # the refused connection gave back nothing it did not take


def test_close_happens_once_with_the_first_reason():
    network, clock = memory_network()
    conn = Memory(irc_factory(network, clock))
    conn.proto.close("first")
    conn.proto.close("second")
    assert conn.read() == ["ERROR :Closing Link: 10.0.0.1 (first)"] and conn.proto.guard.reason == "first"


def test_a_crash_in_async_work_is_logged_once_and_reported():
    seen = []
    observer = seen.append
    globalLogPublisher.addObserver(observer)
    reported = []

    async def broken() -> None:
        raise RuntimeError("boom")

    try:
        d = spawn(broken(), "test work", lambda: reported.append(True))
    finally:
        globalLogPublisher.removeObserver(observer)
    failures = [e for e in seen if e.get("log_level") == LogLevel.critical and "log_failure" in e]
    assert len(failures) == 1 and failures[0]["what"] == "test work" and reported == [True]
    assert d.called and d.result is None  # handled: nothing left unhandled in the Deferred
