"""Numbered message streams for the cluster tests: a steady sender and receivers reading in threads."""

from __future__ import annotations

import re
import threading
import time

from .sockets import irc_client
from .waiting import wait_until

PRIVMSG = re.compile(r"^:([^!]+)!\S+ PRIVMSG (\S+) :(.*)$")


class Receiver:
    """An IRC user reading in a thread: every PRIVMSG it gets, with when it came."""

    def __init__(self, port: int, nick: str, room: str) -> None:
        self.client = irc_client(port, nick)
        self.client.send(f"JOIN {room}")
        self.client.expect(" 366 ")
        self.got: list[tuple[str, str, float]] = []  # (target, text, arrival)
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        sock = self.client.sock
        sock.settimeout(None)
        buffer = b""
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for raw in lines:
                line = raw.rstrip(b"\r").decode("utf-8", "replace")
                if line.startswith("PING "):
                    sock.sendall(b"PONG " + line[5:].encode() + b"\r\n")
                match = PRIVMSG.match(line)
                if match:
                    with self.lock:
                        self.got.append((match.group(2), match.group(3), time.monotonic()))

    def texts(self, target: str) -> list[str]:
        with self.lock:
            return [text for where, text, _ in self.got if where == target]

    def wait_for(self, target: str, count: int, timeout: float = 30) -> list[str]:
        wait_until(lambda: len(self.texts(target)) >= count, timeout,
                   what=f"{count} messages to {target} (have {len(self.texts(target))})")
        return self.texts(target)

    def arrivals(self, target: str) -> dict[str, float]:
        with self.lock:
            return {text: when for where, text, when in self.got if where == target}


class Stream(threading.Thread):
    """A sender saying ``n-0``, ``n-1``, ... at a steady rate; remembers when it sent each."""

    def __init__(self, port: int, nick: str, room: str, total: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.client = irc_client(port, nick)
        self.client.send(f"JOIN {room}")
        self.client.expect(" 366 ")
        self.room, self.total, self.interval = room, total, interval
        self.sent: dict[str, float] = {}

    def run(self) -> None:
        start = time.monotonic()
        for i in range(self.total):
            # Pace by the clock, so a slow send does not stretch the stream.
            delay = start + i * self.interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.sent[f"n-{i}"] = time.monotonic()
            self.client.send(f"PRIVMSG {self.room} :n-{i}")

    def reached(self, count: int) -> bool:
        return len(self.sent) >= count


def expected(total: int) -> list[str]:
    return [f"n-{i}" for i in range(total)]
