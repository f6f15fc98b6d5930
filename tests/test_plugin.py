"""The twistd plugin and the service tree it builds."""

from __future__ import annotations

import pytest
from twisted.application.service import IServiceMaker, MultiService
from twisted.internet.testing import MemoryReactorClock
from twisted.plugin import getPlugins
from twisted.python import usage

from chatd import options, tap

from .support.memory import Memory

pytestmark = pytest.mark.unit


def test_installed_plugin_is_found():
    makers = {maker.tapname: maker for maker in getPlugins(IServiceMaker)}
    assert "chatd" in makers
    assert makers["chatd"].options is tap.Options


def build(reactor, *argv):
    options = tap.Options()
    options.parseOptions(["--no-history", *argv])
    return tap.makeService(options, reactor=reactor)


def test_make_service_has_one_listener_per_protocol():
    top = build(MemoryReactorClock(), "--irc", "tcp:0", "--telnet", "tcp:0", "--irc-trusted", "tcp:0",
                "--http", "tcp:0")
    assert isinstance(top, MultiService)
    kinds = sorted(getattr(s, "kind", "") for s in top if getattr(s, "kind", None))
    assert kinds == ["http", "irc", "irc-trusted", "telnet"]


def test_the_whole_tree_runs_on_a_memory_reactor():
    reactor = MemoryReactorClock()
    top = build(reactor, "--irc", "tcp:6667", "--telnet", "tcp:2323", "--http", "tcp:8080",
                "--ping-interval", "30", "--ping-timeout", "10")
    top.startService()
    factories = {port: factory for port, factory, *_ in reactor.tcpServers}
    assert sorted(factories) == [2323, 6667, 8080]
    ready = [s for s in top if type(s).__name__ == "ReadyAnnouncer"][0]
    announced = []
    ready.callbacks.append(lambda: announced.append(True))
    reactor.run()  # runs the when-running hooks: "chatd ready" once every listener is bound
    assert announced == [True]

    irc = Memory(factories[6667])
    irc.send("NICK alice")
    irc.send("USER alice 0 * :Alice")
    assert any(" 001 alice " in line for line in irc.read())
    telnet = Memory(factories[2323])
    telnet.send("tina")
    telnet.send("/join #lobby")
    irc.send("JOIN #lobby")
    irc.send("PRIVMSG #lobby :hello")
    reactor.advance(0)  # room messages go out at the end of the reactor turn, one write per recipient
    assert any(line.endswith("#lobby <alice> hello") for line in telnet.read())
    irc.read()

    reactor.advance(31)  # the keepalive timer runs on the given reactor's clock
    server = factories[6667].network.server_name
    assert irc.read() == [f"PING :{server}"]
    stopping = top.stopService()
    assert any("Server shutting down" in line for line in irc.read())
    irc.drop()
    telnet.drop()
    reactor.advance(0.1)
    assert stopping.called


@pytest.mark.parametrize("argv", [["--flood-burst", "0"], ["--sendq", "-1"], ["--motd-file", "/nonexistent/motd"],
                                  ["--flood-rate", "-2"], ["--nicklen", "x"]])
def test_bad_options_are_refused_with_a_message(argv):
    with pytest.raises(usage.UsageError):
        options.Options().parseOptions(argv)
