"""A person at a terminal: the system's ``telnet`` under a pseudo-terminal, its screen read by pyte.

What the test types goes to the pty as keys; what ``telnet`` prints is fed to a pyte screen
(a VT100/xterm emulator), so a test asserts what the person would see, cursor included."""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import signal
import struct
import subprocess
import termios
import time
from typing import Callable

import pyte

from .parts import require


class TelnetTerminal:
    def __init__(self, port: int, columns: int = 80, lines: int = 24) -> None:
        binary = shutil.which("telnet")
        require(binary is not None, "the telnet client is not installed (Debian: inetutils-telnet)")
        assert binary is not None
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.process = subprocess.Popen(
            [binary, "127.0.0.1", str(port)], stdin=slave, stdout=slave, stderr=slave,
            start_new_session=True, env={**os.environ, "TERM": "xterm"},
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.master = master

    def type(self, keys: bytes | str) -> None:
        """Keys as the terminal sends them (``"\\x7f"`` Backspace, ``"\\x1b[D"`` Left, ...)."""
        os.write(self.master, keys.encode("utf-8") if isinstance(keys, str) else keys)

    def _pump(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # telnet has exited: the pty is closed
                data = b""
            if not data:
                raise AssertionError("telnet exited; its screen:\n" + self.text())
            self.stream.feed(data)

    def wait(self, condition: Callable[[TelnetTerminal], bool], what: str, timeout: float = 10.0) -> None:
        """Read what telnet prints until ``condition`` holds of the screen."""
        deadline = time.monotonic() + timeout
        while not condition(self):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the screen never showed {what}; it shows:\n{self.text()}")
            self._pump(min(left, 0.5))

    def shows(self, text: str, timeout: float = 10.0) -> None:
        self.wait(lambda t: any(text in line for line in t.rows()), repr(text), timeout)

    def rows(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(row for row in self.rows() if row)

    @property
    def cursor_line(self) -> str:
        """The row the cursor is on (where the person types)."""
        return self.rows()[self.screen.cursor.y]

    @property
    def cursor_column(self) -> int:
        return self.screen.cursor.x

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(10)
        os.close(self.master)
