"""The twistd plugin and the service tree it builds."""

from __future__ import annotations

import pytest
from twisted.application.service import IServiceMaker, MultiService
from twisted.plugin import getPlugins
from twisted.python import usage

from chatd import tap


def test_installed_plugin_is_found():
    makers = {maker.tapname: maker for maker in getPlugins(IServiceMaker)}
    assert "chatd" in makers
    assert makers["chatd"].options is tap.Options


def test_make_service_has_one_listener_per_protocol():
    options = tap.Options()
    options.parseOptions(["--irc", "tcp:0", "--telnet", "tcp:0", "--irc-trusted", "tcp:0", "--http", "tcp:0"])
    top = tap.makeService(options)
    assert isinstance(top, MultiService)
    kinds = sorted(getattr(s, "kind", "") for s in top if getattr(s, "kind", None))
    assert kinds == ["http", "irc", "irc-trusted", "telnet"]


@pytest.mark.parametrize("argv", [["--flood-burst", "0"], ["--sendq", "-1"], ["--motd-file", "/nonexistent/motd"],
                                  ["--flood-rate", "-2"], ["--nicklen", "x"]])
def test_bad_options_are_refused_with_a_message(argv):
    with pytest.raises(usage.UsageError):
        tap.Options().parseOptions(argv)
