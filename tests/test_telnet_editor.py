"""A person at the system's ``telnet`` under a pseudo-terminal: the line editor as they use it.

The screen is pyte's emulation of what telnet prints, so each assertion is about what the person
sees: the line being typed (after the prompt naming the room), where the cursor is, and lines from
others printed above the line without breaking it."""

from __future__ import annotations

import pytest

from .support.sockets import LibraryIRC
from .support.terminal import TelnetTerminal

pytestmark = pytest.mark.integration

LEFT, RIGHT, UP, DOWN, HOME, END = "\x1b[D", "\x1b[C", "\x1b[A", "\x1b[B", "\x1b[H", "\x1b[F"
BACKSPACE, DELETE, CTRL_U, CTRL_W, TAB = "\x7f", "\x1b[3~", "\x15", "\x17", "\t"


def typing(term: TelnetTerminal, line: str, column: int | None = None) -> None:
    """Wait until the line being typed reads ``line`` (the cursor at ``column``, else at its end)."""
    def seen(t: TelnetTerminal) -> bool:
        return t.cursor_line == line.rstrip() and t.cursor_column == (len(line) if column is None else column)
    term.wait(seen, f"the input line {line!r}")


@pytest.fixture
def tina_and_ivan(daemon):
    ivan = LibraryIRC(daemon.ports["irc"], "ivan")
    ivan.conn.join("#ed")
    ivan.wait("join")
    tina = TelnetTerminal(daemon.ports["telnet"])
    tina.shows("Pick a nick")
    tina.type("tina\r")
    tina.shows("Hello tina")
    typing(tina, "tina> ")  # the prompt names who types until a room is joined
    tina.type("/join #ed\r")
    tina.shows("#ed (2): @ivan (irc), tina (telnet)")
    typing(tina, "#ed> ")
    yield tina, ivan
    tina.close()
    ivan.close()


def test_backspace_delete_arrows_home_end_edit_the_line(tina_and_ivan):
    tina, ivan = tina_and_ivan
    tina.type("helo wrld")
    typing(tina, "#ed> helo wrld")
    tina.type(LEFT * 3 + "o")  # before "rld"
    typing(tina, "#ed> helo world", len("#ed> helo wo"))
    tina.type(HOME + RIGHT * 3 + "l")
    typing(tina, "#ed> hello world", len("#ed> hell"))
    tina.type(END + "xyz" + BACKSPACE * 2 + LEFT + DELETE)
    typing(tina, "#ed> hello world")
    tina.type("\r")
    assert ivan.wait("pubmsg").arguments == ["hello world"]
    typing(tina, "#ed> ")


def test_lines_from_others_print_above_the_line_being_typed(tina_and_ivan):
    tina, ivan = tina_and_ivan
    tina.type("half a thought")
    typing(tina, "#ed> half a thought")
    for n in range(3):
        ivan.conn.privmsg("#ed", f"interruption {n}")
    tina.shows("#ed <ivan> interruption 2")
    typing(tina, "#ed> half a thought")  # still there, still at the cursor, on the last line written
    rows = tina.rows()
    said = [i for i, row in enumerate(rows) if "<ivan> interruption" in row]
    assert said == sorted(said) and len(said) == 3 and said[-1] < tina.screen.cursor.y
    assert not any("half a thought" in row for row in rows[: tina.screen.cursor.y])  # never torn
    tina.type(", finished\r")
    assert ivan.wait("pubmsg").arguments == ["half a thought, finished"]


def test_tab_completes_nicks_rooms_and_commands(tina_and_ivan):
    tina, ivan = tina_and_ivan
    tina.type("iv" + TAB)
    typing(tina, "#ed> ivan: ")  # a nick first on the line is addressed, as in irssi
    tina.type("see /jo" + TAB)
    typing(tina, "#ed> ivan: see /jo")  # a command only completes at the start of a line
    tina.type(CTRL_W + "#e" + TAB + "now\r")
    assert ivan.wait("pubmsg").arguments == ["ivan: see #ed now"]
    tina.type("/jo" + TAB)
    typing(tina, "#ed> /join ")
    tina.type(CTRL_U + "/n" + TAB + TAB)  # several commands: the second Tab lists them
    tina.shows("/names  /nick")
    typing(tina, "#ed> /n")


def test_up_and_down_walk_through_what_was_typed(tina_and_ivan):
    tina, ivan = tina_and_ivan
    for line in ("first", "second"):
        tina.type(line + "\r")
        assert ivan.wait("pubmsg").arguments == [line]
    tina.type(UP)
    typing(tina, "#ed> second")
    tina.type(UP)
    typing(tina, "#ed> first")
    tina.type(DOWN)
    typing(tina, "#ed> second")
    tina.type(" again\r")
    assert ivan.wait("pubmsg").arguments == ["second again"]


def test_wide_characters_take_two_columns_and_go_whole(tina_and_ivan):
    tina, ivan = tina_and_ivan
    tina.type("café 日本語")
    typing(tina, "#ed> café 日本語", len("#ed> café ") + 6)
    tina.type(LEFT + BACKSPACE)  # the 本 goes, not half of it
    typing(tina, "#ed> café 日語", len("#ed> café ") + 2)
    tina.type("\r")
    assert ivan.wait("pubmsg").arguments == ["café 日語"]


def test_a_line_wider_than_the_terminal_scrolls_and_is_sent_whole(tina_and_ivan):
    tina, ivan = tina_and_ivan
    words = " ".join(f"word{n}" for n in range(30))  # 208 characters on an 80-column terminal
    tina.type(words)
    tina.wait(lambda t: t.cursor_line.endswith("word29") and t.cursor_line.startswith("#ed> "),
              "the end of the long line")
    assert tina.cursor_column < 80
    tina.type(HOME)
    tina.wait(lambda t: t.cursor_line.startswith("#ed> word0 word1") and t.cursor_column == 5, "its start")
    tina.type("\r")
    assert ivan.wait("pubmsg").arguments == [words]
