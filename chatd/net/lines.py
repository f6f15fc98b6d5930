"""Split a byte stream into lines, with a hard bound on line length.

Unlike ``LineOnlyReceiver``, an over-long line is reported and skipped instead
of closing the connection, so the client can be told (IRC 417) and go on.
"""

from __future__ import annotations

from typing import Iterator, Union


class TooLong:
    """Marker yielded in place of a line that exceeded the bound."""

    def __repr__(self) -> str:
        return "TOO_LONG"


TOO_LONG = TooLong()


class LineSplitter:
    __slots__ = ("max_length", "_buffer", "_discarding")

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length
        self._buffer = b""
        self._discarding = False

    def discard(self) -> None:
        """Forget the partial line received so far (a telnet Ctrl-C)."""
        self._buffer = b""

    def rest(self) -> bytes:
        """The partial line received so far (given away: it is forgotten here)."""
        rest, self._buffer = self._buffer, b""
        return rest

    def feed(self, data: bytes) -> Iterator[Union[bytes, TooLong]]:
        """Yield complete lines (CR/LF stripped) or TOO_LONG markers."""
        buffer = self._buffer + data
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            line = buffer[start:end]
            start = end + 1
            if self._discarding:
                self._discarding = False
                continue
            if line.endswith(b"\r"):
                line = line[:-1]
            if len(line) > self.max_length:
                yield TOO_LONG
            else:
                yield line
        rest = buffer[start:]
        if len(rest) > self.max_length:
            rest = b""
            if not self._discarding:
                self._discarding = True
                yield TOO_LONG
        elif self._discarding:
            rest = b""
        self._buffer = rest
