"""The telnet connection's side of the line editor: when it is on, what it draws, what Tab offers.

:mod:`.editor` edits a line; this module decides when a connection edits (the client agreed
that the server echoes), feeds it the keys of each read, prints other lines above the line being
typed, and answers the editor's questions: the prompt (the current room, else one's nick), the
completions for Tab (:func:`complete`), and where a finished line goes (the connection guard,
like a line from a client in line mode).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Sequence

from twisted.logger import Logger

from ..core import ROOM_PREFIXES, casefold
from ..services import SERVICES
from .ansi import terminal_safe
from .editor import ERASE_LINE, editing_terminal

if TYPE_CHECKING:
    from .terminal import Terminal

CHOICES_SHOWN = 60  # a Tab with more possible completions than this lists only these


class Editing:
    """One connection's line editor, once its client lets the server echo (else ``on`` is False)."""

    log = Logger()

    def __init__(self, conn: Terminal, write_raw: Callable[[bytes], None], submit: Callable[[bytes], None],
                 max_bytes: int, commands: Callable[[], Iterable[str]]) -> None:
        self.conn = conn
        self.write_raw = write_raw  # bytes straight to the client (the editor's echo and drawing)
        self.submit = submit  # a finished line, to the connection guard
        self.max_bytes = max_bytes
        self.commands = commands
        self.terminal: Any = None  # conch's key parser, its terminalProtocol the LineEditor
        self.window = (80, 24)

    @property
    def on(self) -> bool:
        return self.terminal is not None

    def start(self) -> None:
        if self.terminal is None:
            self.terminal = editing_terminal(self, self.max_bytes, self.write_raw)
            self.terminal.terminalProtocol.terminalSize(*self.window)

    def stop(self, erase: bool = False) -> None:
        if erase and self.terminal is not None:
            self.write_raw(ERASE_LINE)
        self.terminal = None

    def window_size(self, data: Sequence[bytes]) -> None:
        """NAWS: the client's terminal is this wide and high (0: unknown)."""
        raw = b"".join(data)
        if len(raw) == 4:
            self.window = (int.from_bytes(raw[:2], "big") or 80, int.from_bytes(raw[2:], "big") or 24)
            if self.terminal is not None:
                self.terminal.terminalProtocol.terminalSize(*self.window)

    def keys(self, data: bytes) -> None:
        """The keys of one read; a bug costs the half-typed line, never the connection."""
        terminal = self.terminal
        try:
            terminal.terminalProtocol.keys(lambda: terminal.dataReceived(data))
        except Exception:
            self.log.failure("error editing a telnet line")
            self.conn.internal_error()

    def clear(self) -> None:
        if self.terminal is not None:
            self.terminal.terminalProtocol.clear()

    def around(self, data: bytes) -> tuple[bytes, bytes, bytes]:
        """``data`` for the terminal as three writes: erase the input line, ``data``, draw it again."""
        return ERASE_LINE, data, self.terminal.terminalProtocol.drawing()

    # -- what the editor asks (editor.EditorOwner) -----------------------------------------

    def prompt(self) -> str:
        user = self.conn.session.user
        if user is None:
            return "> "
        return f"{terminal_safe(self.conn.current or user.nick)}> "

    def edited_line(self, line: bytes) -> None:
        self.submit(line)

    def interrupted(self) -> None:
        self.conn.say("Interrupted. /quit leaves the chat.")

    def list_choices(self, choices: Sequence[str]) -> None:
        more = f" (and {len(choices) - CHOICES_SHOWN} more)" if len(choices) > CHOICES_SHOWN else ""
        self.conn.say("  ".join(choices[:CHOICES_SHOWN]) + more)

    def completions(self, before: str, word: str) -> Sequence[str]:
        return complete(self.conn, self.commands(), before, word)


def complete(conn: Terminal, commands: Iterable[str], before: str, word: str) -> list[str]:
    """What Tab may put in place of ``word``: a command at the start of a line, a room for a
    word starting with ``#``, else a nick (people in the current room first, then in one's other
    rooms, then the services after ``/msg``); each once, as it is spelt."""
    if not before and word.startswith("/"):
        return sorted("/" + name for name in commands if name.startswith(word[1:].lower()))
    session = conn.session
    user = session.user
    if user is None:
        return []
    if word[:1] in ROOM_PREFIXES:
        names = [room.name for room in user.rooms.values()] + [room.name for room in session.rooms()]
    else:
        current: Optional[Any] = session.network.find_room(conn.current) if conn.current else None
        rooms = ([current] if current is not None else []) + list(user.rooms.values())
        names = [member.nick for room in rooms for member in room.members if member is not user]
        if before.lower().startswith("/msg "):
            names += list(SERVICES.values())
    folded, seen, found = casefold(word), set(), []
    for name in names:
        key = casefold(name)
        if key.startswith(folded) and key not in seen:
            seen.add(key)
            found.append(name)
    return found
