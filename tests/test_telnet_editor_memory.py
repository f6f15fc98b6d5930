"""The telnet line editor in memory: keys in, pyte's screen out, no sockets (the edge cases).

The pty test (tests/test_telnet_editor.py) shows the editor with the real ``telnet``; these pin
what a real client rarely sends: a client that agrees to the echo, a line at its length limit,
Ctrl-C as a raw key and as IAC IP, the window size, typeover, and going back to line mode."""

from __future__ import annotations

import pyte
import pytest

from .support.memory import Memory, irc_factory, irc_user, memory_network, telnet_factory

pytestmark = pytest.mark.unit

IAC, DO, DONT, SB, SE = b"\xff", b"\xfd", b"\xfe", b"\xfa", b"\xf0"
ECHO, SGA, NAWS = b"\x01", b"\x03", b"\x1f"


class Screen:
    def __init__(self, conn: Memory, columns: int = 80) -> None:
        self.conn = conn
        self.screen = pyte.Screen(columns, 24)
        self.stream = pyte.ByteStream(self.screen)

    def update(self) -> None:
        data = self.conn.transport.value()
        self.conn.transport.clear()
        # the telnet layer's own bytes (IAC ...) are the client's business, not the screen's
        for command in (IAC + b"\xfb" + ECHO, IAC + b"\xfb" + SGA, IAC + DO + NAWS):
            data = data.replace(command, b"")
        self.stream.feed(data)

    @property
    def line(self) -> str:
        self.update()
        return self.screen.display[self.screen.cursor.y].rstrip()

    @property
    def column(self) -> int:
        self.update()
        return self.screen.cursor.x

    def rows(self) -> list[str]:
        self.update()
        return [row.rstrip() for row in self.screen.display]


def editing_user(network, clock, nick: str, columns: int = 80) -> tuple[Memory, Screen]:
    conn = Memory(telnet_factory(network, clock))
    conn.send(IAC + DO + ECHO + IAC + DO + SGA)  # the client lets the server echo
    conn.send(IAC + b"\xfb" + NAWS + IAC + SB + NAWS + columns.to_bytes(2, "big") + b"\x00\x18" + IAC + SE)
    screen = Screen(conn, columns)
    assert screen.line == ">"
    conn.send(nick.encode() + b"\r\x00")  # Enter in character mode: CR NUL
    assert screen.line == f"{nick}>"
    return conn, screen


def in_a_room_with_ivan() -> tuple[Memory, Memory, Screen]:
    """ivan on IRC and tina editing, both in #r: ivan's client, tina's, and tina's screen."""
    network, clock = memory_network()
    irc = irc_user(irc_factory(network, clock), "ivan")
    irc.send("JOIN #r")
    tel, screen = editing_user(network, clock, "tina")
    tel.send(b"/join #r\r\x00")
    assert screen.line == "#r>"
    irc.read()
    return irc, tel, screen


def test_keys_edit_and_ctrl_keys_work_as_in_readline():
    irc, tel, screen = in_a_room_with_ivan()
    tel.send(b"one two three\x17\x17")  # Ctrl-W twice: two words go (the space before them stays)
    assert screen.line == "#r> one" and screen.column == len("#r> one ")
    tel.send(b"\x01X\x05Y\x02\x02\x0b")  # Ctrl-A, X, Ctrl-E, Y, back two, Ctrl-K
    assert screen.line == "#r> Xone" and screen.column == len("#r> Xone")
    tel.send(b"\x01\x1b[2~Z\x1b[2~s")  # Insert: typeover for one key, then insert again
    assert screen.line == "#r> Zsone" and screen.column == len("#r> Zs")
    tel.send(b"\x03")  # Ctrl-C as a key drops the line and says how to leave
    assert screen.line == "#r>"
    assert "*** Interrupted. /quit leaves the chat." in screen.rows()
    tel.send(b"gone" + IAC + b"\xf4")  # IAC IP (telnet's Ctrl-C) as well
    assert screen.line == "#r>"
    tel.send(b"\x15kept\r\x00")
    assert irc.read() == [":tina!telnet@10.0.0.1 PRIVMSG #r :kept"]


def test_a_full_line_rings_the_bell_and_keeps_what_fits(monkeypatch):
    from chatd.telnet.connection import TelnetConnection

    monkeypatch.setattr(TelnetConnection, "max_line_bytes", 100)
    irc, tel, screen = in_a_room_with_ivan()
    limit = tel.proto.protocol.max_line_bytes
    tel.transport.clear()
    assert limit == 100
    tel.send(b"a" * (limit - 1) + "é".encode())  # one byte too many: the é (two bytes) does not fit
    tel.send(b"a" * 4)  # the first fits, three do not
    assert tel.transport.value().count(b"\x07") == 4
    tel.send(b"\r\x00")
    assert irc.read() == [":tina!telnet@10.0.0.1 PRIVMSG #r :" + "a" * limit]


def test_the_window_size_sets_where_a_long_line_scrolls():
    network, clock = memory_network()
    tel, screen = editing_user(network, clock, "tina", columns=40)
    tel.send(b"/join #r\r\x00")
    tel.send(b"x" * 30 + b"y" * 30)
    assert screen.line == "#r> " + "x" * 5 + "y" * 30 and screen.column == 39  # 35 columns for the line
    tel.send(b"\x1b[H")
    assert screen.line == "#r> " + "x" * 30 + "y" * 5 and screen.column == 4


def test_a_client_that_takes_the_echo_back_is_in_line_mode_again():
    irc, tel, screen = in_a_room_with_ivan()
    tel.send(IAC + DONT + ECHO)  # WONT ECHO from us follows; lines are whole lines again
    assert IAC + b"\xfc" + ECHO in tel.transport.value()
    tel.transport.clear()
    tel.send("plain line")
    assert irc.read() == [":tina!telnet@10.0.0.1 PRIVMSG #r :plain line"]
    assert b"plain line" in tel.transport.value() and b"\x1b[K" not in tel.transport.value()
