"""A telnet user over a real socket, beside a real IRC client, against a real daemon."""

from __future__ import annotations

import pytest

from .support.sockets import LibraryIRC, LineClient

pytestmark = pytest.mark.integration
TIME = r"\[\d\d:\d\d\] "


def test_real_telnet_socket_and_irc_library_in_one_room(daemon):
    ivan = LibraryIRC(daemon.ports["irc"], "ivan")
    ivan.conn.join("#lobby")
    ivan.wait("join")
    tel = LineClient(daemon.ports["telnet"])
    tel.expect(r"Pick a nick")
    tel.send(b"\xff\xfb\x18tina\n")  # IAC WILL TERMINAL-TYPE, as telnet clients send
    tel.expect(r"Hello tina")
    tel.send("/join #lobby")
    tel.expect(r"#lobby \(2\): @ivan \(irc\), tina \(telnet\)")
    assert ivan.wait("join", lambda e: e.source.nick == "tina")
    tel.send("hi from a terminal")
    assert ivan.wait("pubmsg").arguments == ["hi from a terminal"]
    ivan.conn.privmsg("#lobby", "hi from irc")
    tel.expect(TIME + "#lobby <ivan> hi from irc")
    tel.send("/quit")
    assert ivan.wait("quit").source.nick == "tina"


def test_telnet_search(daemon):
    ivan = LibraryIRC(daemon.ports["irc"], "ivan")
    ivan.conn.join("#lobby")
    ivan.wait("join")
    ivan.conn.privmsg("#lobby", "lunch at noon in the atrium")
    tel = LineClient(daemon.ports["telnet"])
    tel.expect("Pick a nick")
    tel.send("tina")
    tel.send("/join #lobby")
    tel.expect(r"#lobby \(")
    tel.send("/search atrium")
    assert tel.expect(r"\*\*\* 1 messages with 'atrium'")
    assert tel.expect(TIME + "#lobby <ivan> lunch at noon in the atrium")
    tel.send("/search #elsewhere atrium")
    assert tel.expect(r"\*\*\* #elsewhere: No such room")
    ivan.close()
