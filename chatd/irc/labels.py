"""IRCv3 labeled-response: tying every reply to the labelled command that caused it.

While a labelled command is handled, everything the connection would write
(numerics, its own echoed message, the JOIN it caused...) is collected in a
:class:`LabelScope`.  Afterwards it goes out as the spec says: nothing
becomes ``ACK``, one line carries the ``label`` tag, several are wrapped in a
``labeled-response`` batch.  A command whose answer comes later (CHATHISTORY
reads the store off the reactor) holds the scope and writes into it when the
answer is ready.  Reference: ircv3.net/specs/extensions/labeled-response.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Protocol

from .wire import escape_tag_value

MAX_LABEL = 64


class Labelled(Protocol):
    """What a labelled answer needs of its connection."""

    scope: Optional[LabelScope]
    batches: int  # batch references made on this connection so far

    @property
    def server(self) -> str: ...
    def write(self, data: bytes) -> None: ...


class LabelScope:
    def __init__(self, label: str) -> None:
        self.label = label
        self.chunks: list[bytes] = []
        self.held = False


def with_tag(line: bytes, tag: bytes) -> bytes:
    """``line`` with one more tag in front of the others."""
    if line.startswith(b"@"):
        return b"@" + tag + b";" + line[1:]
    return b"@" + tag + b" " + line


def flush(conn: Labelled, scope: LabelScope) -> None:
    lines = [line for line in b"".join(scope.chunks).split(b"\r\n") if line]
    label = b"label=" + escape_tag_value(scope.label).encode("utf-8")
    server = conn.server.encode()
    if not lines:
        conn.write(b"@" + label + b" :" + server + b" ACK\r\n")
    elif len(lines) == 1:
        conn.write(with_tag(lines[0], label) + b"\r\n")
    elif one_batch(lines):  # a batch of a type that fits the whole answer (a multiline echo): its start is labelled
        conn.write(b"\r\n".join([with_tag(lines[0], label), *lines[1:]]) + b"\r\n")
    else:
        conn.batches += 1
        ref = f"l{conn.batches}".encode()
        out = [with_tag(b":" + server + b" BATCH +" + ref + b" labeled-response", label)]
        for line in lines:
            # A line already in a batch of its own (chathistory) stays in it; that batch's start joins ours.
            inner = line.startswith(b"@batch=") or b";batch=" in line.split(b" ", 1)[0]
            out.append(line if inner else with_tag(line, b"batch=" + ref))
        out.append(b":" + server + b" BATCH -" + ref)
        conn.write(b"\r\n".join(out) + b"\r\n")


def one_batch(lines: list[bytes]) -> bool:
    """Whether ``lines`` are exactly one batch: its start, lines inside it, and its end."""
    words = _untagged(lines[0]).split(b" ")
    if len(words) < 4 or words[1] != b"BATCH" or not words[2].startswith(b"+"):
        return False
    ref = words[2][1:]
    inside = b"batch=" + ref
    return _untagged(lines[-1]).split(b" ")[1:3] == [b"BATCH", b"-" + ref] and all(
        inside in _tags(line) for line in lines[1:-1])


def _untagged(line: bytes) -> bytes:
    return line.split(b" ", 1)[1] if line.startswith(b"@") and b" " in line else line


def _tags(line: bytes) -> list[bytes]:
    return line[1:].split(b" ", 1)[0].split(b";") if line.startswith(b"@") else []


class HeldReply:
    """The reply to a labelled command that arrives later; a no-op without a label."""

    def __init__(self, conn: Labelled, scope: Optional[LabelScope]) -> None:
        self.conn = conn
        self.scope = scope
        if scope is not None:
            scope.held = True

    def __enter__(self) -> HeldReply:
        self.previous = self.conn.scope
        self.conn.scope = self.scope
        return self

    def __exit__(self, *exc: Any) -> None:
        self.conn.scope = self.previous
        if self.scope is not None:
            self.scope.held = False
            flush(self.conn, self.scope)
            self.scope = None

    def run(self, write: Callable[[], None]) -> None:
        with self:
            write()
