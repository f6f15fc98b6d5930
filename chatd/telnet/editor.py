"""Line editing for a telnet user whose client lets the server echo: keys, history, completion.

When a telnet client agrees that the server echoes (``WILL ECHO``, ``WILL SUPPRESS-GO-AHEAD``),
it sends each key as it is typed and shows only what comes back.  The keys are parsed by
``twisted.conch``'s terminal layer (``insults.ServerProtocol``: arrows, Home/End, Delete and the
other escape sequences) and edited by a subclass of its ``recvline.HistoricRecvLine`` (the key map,
Up/Down through one's own lines).  The subclass replaces what conch's editor lacks for a chat:

- conch keeps one *byte* per character and passes on only ASCII (``string.printable``): accents,
  CJK and emoji would be dropped or cut in half; here each character is its UTF-8 bytes, decoded
  incrementally, measured in terminal columns (``wcwidth``: two for wide characters);
- conch moves the cursor with relative escapes that break once a line is wider than the
  terminal; here the whole input line is redrawn from its start on each change, scrolled
  sideways to keep the cursor in view (the width comes from NAWS, else 80), which also lets a
  line from someone else be printed above it: erase the input line, print, draw it again;
- Ctrl-A/E/B/F/K/U/W/L/P/N/D/C as in readline, Tab completion of commands, nicks and rooms
  (the candidates come from the connection), and a bound on the line and on the history.
"""

from __future__ import annotations

import codecs
from typing import Any, Callable, Optional, Protocol, Sequence

from twisted.conch.insults import insults
from twisted.conch.recvline import HistoricRecvLine
from wcwidth import wcwidth

#: Lines kept for Up/Down.
HISTORY_LINES = 100
BELL = b"\x07"
ERASE_LINE = b"\r\x1b[K"  # to the start of the line, then clear it


class EditorOwner(Protocol):
    """What the editor asks of its connection."""

    def prompt(self) -> str: ...
    def completions(self, before: str, word: str) -> Sequence[str]:
        """Words that may replace ``word`` (the text before it on the line is ``before``)."""
    def edited_line(self, line: bytes) -> None: ...
    def list_choices(self, choices: Sequence[str]) -> None: ...
    def write_raw(self, data: bytes) -> None: ...
    def interrupted(self) -> None: ...


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes (a control or unknown character: one, as '?')."""
    return sum(max(wcwidth(ch), 0) if ch >= " " else 1 for ch in text)


def common_prefix(words: Sequence[str]) -> str:
    first, last = min(words, key=str.casefold), max(words, key=str.casefold)
    size = 0
    while size < min(len(first), len(last)) and first[size].casefold() == last[size].casefold():
        size += 1
    return first[:size]


class LineEditor(HistoricRecvLine):
    """The line being typed: characters (each as its UTF-8 bytes), the cursor, and what is drawn."""

    lineBuffer: list[bytes]
    lineBufferIndex: int
    historyLines: list[bytes]
    historyPosition: int
    terminal: Any

    def __init__(self, owner: EditorOwner, max_bytes: int) -> None:
        self.owner = owner
        self.max_bytes = max_bytes
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.offset = 0  # the first character shown (a line wider than the terminal scrolls)
        self.last_tab: Optional[str] = None  # the line as a Tab left it: a second Tab lists the choices
        self.held = False  # keys of one read are being handled: draw once, after them
        self.dirty = False

    # -- set-up ---------------------------------------------------------------------------

    def connectionMade(self) -> None:
        super().connectionMade()
        t = self.terminal
        self.keyHandlers.update({
            b"\x7f": self.handle_BACKSPACE, b"\x08": self.handle_BACKSPACE,
            b"\x01": self.handle_HOME, b"\x05": self.handle_END,
            b"\x02": self.handle_LEFT, b"\x06": self.handle_RIGHT,
            b"\x10": self.handle_UP, b"\x0e": self.handle_DOWN,
            b"\x04": self.handle_DELETE, b"\x0b": self.kill_to_end,
            b"\x15": self.kill_to_start, b"\x17": self.kill_word,
            b"\x0c": self.redraw, b"\x03": self.interrupt,
            t.TAB: self.handle_TAB,
        })

    def initializeScreen(self) -> None:
        self.mode = "insert"  # conch resets the whole terminal here; a chat keeps what is on screen
        self.redraw()

    def setInsertMode(self) -> None:
        self.mode = "insert"  # redrawn from the start each time: no terminal insert mode needed

    def setTypeoverMode(self) -> None:
        self.mode = "typeover"

    def terminalSize(self, width: int, height: int) -> None:
        self.width, self.height = (width if width > 0 else 80), (height if height > 0 else 24)
        self.redraw()

    def unhandledControlSequence(self, seq: bytes) -> None:
        # Terminals in "application cursor" mode send ESC O A ... (conch sees ESC [ O A).
        key = {b"\x1b[OA": self.handle_UP, b"\x1b[OB": self.handle_DOWN, b"\x1b[OC": self.handle_RIGHT,
               b"\x1b[OD": self.handle_LEFT, b"\x1b[OH": self.handle_HOME, b"\x1b[OF": self.handle_END,
               b"\x1b[7~": self.handle_HOME, b"\x1b[8~": self.handle_END}.get(seq)
        if key is not None:
            key()

    # -- keys --------------------------------------------------------------------------

    def keystrokeReceived(self, keyID: Any, modifier: Any) -> None:
        if keyID != self.terminal.TAB:
            self.last_tab = None
        handler = self.keyHandlers.get(keyID)
        if handler is not None and modifier is None:
            handler()
        elif isinstance(keyID, bytes) and (keyID >= b" " and keyID != b"\x7f") and modifier is None:
            self.characterReceived(keyID, False)
        # anything else (function keys, Alt-x, other controls) does nothing

    def characterReceived(self, ch: bytes, moreCharactersComing: bool) -> None:
        text = self.decoder.decode(ch)
        for char in text:
            if char == "\ufffd" and not ch.startswith("\ufffd".encode()):
                continue  # a byte that is no UTF-8: dropped, not shown as a question mark
            self.insert(char.encode("utf-8"))
        if text and not moreCharactersComing:
            self.redraw()

    def insert(self, char: bytes) -> None:
        if self.mode == "typeover" and self.lineBufferIndex < len(self.lineBuffer):
            del self.lineBuffer[self.lineBufferIndex]
        if sum(map(len, self.lineBuffer)) + len(char) > self.max_bytes:
            self.owner.write_raw(BELL)  # the line is as long as a line may be
            return
        self.lineBuffer.insert(self.lineBufferIndex, char)
        self.lineBufferIndex += 1

    def _deliverBuffer(self, buf: bytes) -> None:
        """A line from the history: put in whole, drawn once."""
        for char in buf.decode("utf-8", errors="replace"):
            self.insert(char.encode("utf-8"))
        self.redraw()

    def handle_LEFT(self) -> None:
        if self.lineBufferIndex > 0:
            self.lineBufferIndex -= 1
            self.redraw()

    def handle_RIGHT(self) -> None:
        if self.lineBufferIndex < len(self.lineBuffer):
            self.lineBufferIndex += 1
            self.redraw()

    def handle_HOME(self) -> None:
        self.lineBufferIndex = 0
        self.redraw()

    def handle_END(self) -> None:
        self.lineBufferIndex = len(self.lineBuffer)
        self.redraw()

    def handle_BACKSPACE(self) -> None:
        if self.lineBufferIndex > 0:
            self.lineBufferIndex -= 1
            del self.lineBuffer[self.lineBufferIndex]
            self.redraw()

    def handle_DELETE(self) -> None:
        if self.lineBufferIndex < len(self.lineBuffer):
            del self.lineBuffer[self.lineBufferIndex]
            self.redraw()

    def kill_to_end(self) -> None:
        del self.lineBuffer[self.lineBufferIndex:]
        self.redraw()

    def kill_to_start(self) -> None:
        del self.lineBuffer[: self.lineBufferIndex]
        self.lineBufferIndex = 0
        self.redraw()

    def kill_word(self) -> None:
        """Ctrl-W: the word before the cursor (and the spaces after it) goes."""
        start = self.lineBufferIndex
        while start > 0 and self.lineBuffer[start - 1] == b" ":
            start -= 1
        while start > 0 and self.lineBuffer[start - 1] != b" ":
            start -= 1
        del self.lineBuffer[start : self.lineBufferIndex]
        self.lineBufferIndex = start
        self.redraw()

    def interrupt(self) -> None:
        """Ctrl-C: the half-typed line is dropped."""
        self.clear()
        self.owner.interrupted()

    def clear(self) -> None:
        self.lineBuffer, self.lineBufferIndex = [], 0
        self.historyPosition = len(self.historyLines)
        self.redraw()

    def handle_RETURN(self) -> None:
        line = b"".join(self.lineBuffer)
        if line and (not self.historyLines or self.historyLines[-1] != line):
            self.historyLines.append(line)
            del self.historyLines[:-HISTORY_LINES]
        self.historyPosition = len(self.historyLines)
        self.flush()  # the line as typed is on screen before it moves up
        self.lineBuffer, self.lineBufferIndex, self.offset = [], 0, 0
        self.owner.write_raw(b"\r\n")  # what was typed stays on screen, as in line mode
        self.owner.edited_line(line)
        self.redraw()

    def handle_TAB(self) -> None:
        """Complete the word before the cursor; a second Tab with several choices lists them."""
        text = self.text()
        head, tail = text[: self.lineBufferIndex], text[self.lineBufferIndex :]
        start = max(head.rfind(" ") + 1, 0)
        before, word = head[:start], head[start:]
        choices = self.owner.completions(before, word)
        if not choices:
            self.owner.write_raw(BELL)
            return
        completed = choices[0] if len(choices) == 1 else common_prefix(choices)
        if len(choices) == 1:
            completed += ": " if not before and not word.startswith(("/", "#", "&")) else " "
        if completed != word and columns(completed) >= columns(word):
            self.replace(before + completed + tail, len(before + completed))
        elif self.last_tab == text:
            self.owner.list_choices(choices)
        else:
            self.owner.write_raw(BELL)
        self.last_tab = self.text()

    def replace(self, text: str, cursor: int) -> None:
        chars = [ch.encode("utf-8") for ch in text]
        if sum(map(len, chars)) > self.max_bytes:
            self.owner.write_raw(BELL)
            return
        self.lineBuffer, self.lineBufferIndex = chars, cursor
        self.redraw()

    # -- drawing -----------------------------------------------------------------------

    def text(self) -> str:
        return b"".join(self.lineBuffer).decode("utf-8", errors="replace")

    def drawing(self) -> bytes:
        """The prompt and the visible part of the line, the cursor where it belongs."""
        prompt = self.owner.prompt()
        chars = [ch.decode("utf-8", errors="replace") for ch in self.lineBuffer]
        room = max(self.width - 1 - columns(prompt), 8)
        if self.lineBufferIndex < self.offset:
            self.offset = self.lineBufferIndex
        while columns("".join(chars[self.offset : self.lineBufferIndex])) > room:
            self.offset += 1
        shown, used = [], 0
        for ch in chars[self.offset :]:
            used += columns(ch)
            if used > room:
                break
            shown.append(ch)
        cursor = columns(prompt) + columns("".join(chars[self.offset : self.lineBufferIndex]))
        back = columns("".join(shown)) + columns(prompt) - cursor
        out = ERASE_LINE + (prompt + "".join(shown)).encode("utf-8")
        return out + (b"\x1b[%dD" % back if back else b"")

    def redraw(self) -> None:
        if self.held:
            self.dirty = True
        else:
            self.owner.write_raw(self.drawing())

    def keys(self, feed: Callable[[], None]) -> None:
        """Handle the keys of one read (a paste is many), drawing the line once after them."""
        self.held = True
        try:
            feed()
        finally:
            self.held = False
            self.flush()

    def flush(self) -> None:
        if self.dirty:
            self.dirty = False
            self.owner.write_raw(self.drawing())


def editing_terminal(owner: EditorOwner, max_bytes: int, write: Callable[[bytes], None]) -> Any:
    """conch's key parser, connected to a :class:`LineEditor` that writes through ``write``."""

    class Writer:
        def write(self, data: bytes) -> None:
            write(data)

        def writeSequence(self, data: Sequence[bytes]) -> None:
            write(b"".join(data))

        def loseConnection(self) -> None:
            pass

    terminal = insults.ServerProtocol(LineEditor, owner, max_bytes)
    terminal.makeConnection(Writer())
    return terminal
