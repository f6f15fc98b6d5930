"""Real clients over real sockets: a raw line client and the ``irc`` library."""

from __future__ import annotations

import re
import socket
import threading
import time
from typing import Callable, Optional

from .waiting import wait_until


class LineClient:
    """A raw line socket client (telnet, or IRC without a library)."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buffer = b""
        self.lines: list[str] = []

    def send(self, data: bytes | str, timeout: float = 10.0) -> None:
        """Send ``data`` (a str is one line) within ``timeout`` seconds of its own: a read's
        short timeout must never carry over to a send the server is slowing down."""
        if isinstance(data, str):
            data = (data + "\r\n").encode("utf-8")
        self.sock.settimeout(timeout)
        self.sock.sendall(data)

    def send_in_background(self, data: bytes, timeout: float = 60.0) -> Sending:
        """Send a large ``data`` from a thread, so the test can read other clients meanwhile
        (the server may hold this sender back until they have read)."""
        return Sending(self, data, timeout)

    def _pump(self, timeout: float) -> bool:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return True
        if not data:
            return False
        self.buffer += data
        *complete, self.buffer = self.buffer.split(b"\n")
        self.lines.extend(line.rstrip(b"\r").decode("utf-8", "replace") for line in complete)
        return True

    def expect(self, pattern: str, timeout: float = 10.0) -> str:
        """Wait for a line matching ``pattern`` (a regex); return it."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if regex.search(line):
                    self.lines.remove(line)
                    return line
            seen = 0
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line matching {pattern!r}; last lines: {self.tail()}")
            if not self._pump(min(remaining, 0.5)):
                for line in self.lines:
                    if regex.search(line):
                        return line
                raise AssertionError(f"connection closed before {pattern!r}; last lines: {self.tail()}")

    def until(self, pattern: str, timeout: float = 10.0) -> list[str]:
        """Every line up to and including the first matching ``pattern``, in order."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for index, line in enumerate(self.lines):
                if regex.search(line):
                    taken, self.lines = self.lines[: index + 1], self.lines[index + 1 :]
                    return taken
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._pump(min(max(remaining, 0.01), 0.5)):
                raise AssertionError(f"no line matching {pattern!r}; last lines: {self.tail()}")

    def tail(self) -> list[str]:
        return [line[:120] for line in self.lines[-8:]]

    def closed(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if not self._pump(0.5):
                    return True
            except OSError:
                return True
        return False

    def close(self) -> None:
        self.sock.close()


class Sending:
    """A send under way on its own thread; :meth:`wait` returns once it is done, or raises its error."""

    def __init__(self, client: LineClient, data: bytes, timeout: float) -> None:
        self.error: Optional[BaseException] = None
        self.timeout = timeout
        self.thread = threading.Thread(target=self._run, args=(client, data, timeout), daemon=True)
        self.thread.start()

    def _run(self, client: LineClient, data: bytes, timeout: float) -> None:
        try:
            client.send(data, timeout)
        except BaseException as error:  # handed to wait()
            self.error = error

    def wait(self) -> None:
        self.thread.join(self.timeout + 5)
        if self.thread.is_alive():
            raise AssertionError("the send did not finish")
        if self.error is not None:
            raise self.error


def irc_register(client: LineClient, nick: str) -> None:
    client.send(f"NICK {nick}")
    client.send(f"USER {nick} 0 * :{nick} test")
    client.expect(r" 001 ")


def irc_client(port: int, nick: str, caps: str = "") -> LineClient:
    """A raw IRC client, registered (after negotiating ``caps``) and past the MOTD."""
    c = LineClient(port)
    if caps:
        c.send("CAP LS 302")
        c.send(f"CAP REQ :{caps}")
        c.expect(r"CAP \S+ ACK")
    c.send(f"NICK {nick}")
    c.send(f"USER {nick} 0 * :{nick} Example")
    if caps:
        c.send("CAP END")
    c.expect(r" 001 ")
    c.until(r" (376|422) ")
    return c


def telnet_client(port: int, nick: str, room: str = "") -> LineClient:
    """A raw telnet user with a nick, in ``room`` if given."""
    c = LineClient(port)
    c.expect("Pick a nick")
    c.send(nick)
    c.expect(f"Hello {nick}")
    if room:
        c.send(f"/join {room}")
        c.expect(rf"{room} \(")
    return c


class LibraryIRC:
    """A real third-party IRC client (the ``irc`` package) driven synchronously."""

    def __init__(self, port: int, nick: str, sasl: Optional[tuple[str, str]] = None) -> None:
        import irc.client

        self.reactor = irc.client.Reactor()
        self.events: list = []
        self.reactor.add_global_handler("all_events", lambda conn, event: self.events.append(event), -10)
        login, password = sasl or (None, None)
        self.conn = self.reactor.server().connect("127.0.0.1", port, nick, ircname=f"{nick} via library",
                                                  password=password, sasl_login=login)
        self.wait("welcome")

    def step(self) -> None:
        self.reactor.process_once(0.05)

    def wait(self, kind: str, match: Callable[[object], bool] = lambda e: True, timeout: float = 10.0):
        """Wait for an event of ``kind`` satisfying ``match``; consume and return it."""

        def find():
            for event in self.events:
                if event.type == kind and match(event):
                    self.events.remove(event)
                    return event
            return None

        return wait_until(find, timeout, self.step, what=f"IRC event {kind}")

    def close(self) -> None:
        self.conn.close()
