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


def test_telnet_rejoin_shows_what_was_said_since_you_left(daemon):
    """Someone signed in on a terminal: leaving marks the room read, coming back shows the rest."""
    ivan = LibraryIRC(daemon.ports["irc"], "ivan")
    ivan.conn.join("#since")
    ivan.wait("join")
    ivan.conn.privmsg("#since", "before tina came")
    tel = LineClient(daemon.ports["telnet"])
    tel.expect("Pick a nick")
    tel.send("/register tina tina-terminal-pw")
    tel.expect("Hello tina")
    tel.send("/join #since")
    tel.expect(r"#since <ivan> before tina came")
    ivan.conn.privmsg("#since", "while tina is here")
    tel.expect(r"#since <ivan> while tina is here")
    tel.send("/quit")
    assert ivan.wait("quit").source.nick == "tina"
    for i in range(3):
        ivan.conn.privmsg("#since", f"said while tina was away {i}")
    ivan.conn.privmsg("ivan", "sync")  # to itself: the three are in by now
    ivan.wait("privmsg")

    back = LineClient(daemon.ports["telnet"])
    back.expect("Pick a nick")
    back.send("/login tina tina-terminal-pw")
    back.expect("Hello tina")
    back.send("/join #since")
    lines = back.until(r"said while tina was away 2$")
    shown = [line.split("] ", 1)[-1] for line in lines if "#since" in line and ("<ivan>" in line or "since" in line)]
    assert shown[-4:] == ["*** #since: 3 new since you left"] + [
        f"#since <ivan> said while tina was away {i}" for i in range(3)]
    assert not [line for line in lines if "while tina is here" in line]
