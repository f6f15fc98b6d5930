"""Posting load: what a CI job or a bot costs, over the HTTP API or over IRC, from its own process.

    python -m bench.poster api --port HTTP --key KEY --room ops --posts 2000 --clients 4
    python -m bench.poster irc --port IRC --room '#ops' --posts 2000 --clients 4

Each client posts one message after the other and waits for the server to
take it: over the API the ``201`` (which chatd sends once history has it),
over IRC a ``PING`` after the ``PRIVMSG`` and its ``PONG`` (the IRC server's
"done").  One receiver in the room counts what arrives, so a post that was
answered but not delivered shows as loss.  Prints one JSON line: posts/s,
p50/p99/max latency, loss, and the server's CPU seconds per post (``--pid``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import threading
import time
from typing import Any, Optional


def cpu_seconds(pid: Optional[int]) -> float:
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Irc:
    """A blocking IRC connection: text sent as it is (CR LF included), read until a marker."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed-ACK waits
        self.buffer = b""

    @classmethod
    def joined(cls, port: int, nick: str, room: str) -> Irc:
        """A guest ``nick``, registered and in ``room``."""
        client = cls(port)
        client.send(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\nJOIN {room}\r\n")
        client.until(f" 366 {nick} ")
        return client

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode())

    def until(self, marker: str) -> int:
        """Read until ``marker``; how many PRIVMSG lines went by."""
        seen = 0
        wanted = marker.encode()
        while True:
            lines = self.buffer.split(b"\r\n")
            self.buffer = lines.pop()
            for line in lines:
                if b" PRIVMSG " in line:
                    seen += 1
                if wanted in line:
                    self.buffer = b"\r\n".join(lines[lines.index(line) + 1:] + [self.buffer])
                    return seen
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            self.buffer += data


def api_client(args: argparse.Namespace, index: int, count: int, latencies: list[float]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
    headers = {"Authorization": f"Bearer {args.key}", "Content-Type": "application/json"}
    for n in range(count):
        body = json.dumps({"text": f"build {index}-{n} finished " + "x" * 60})
        start = time.perf_counter()
        connection.request("POST", f"/api/v1/rooms/{args.room.lstrip('#')}/messages", body, headers)
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            raise RuntimeError(f"HTTP {response.status}")
        latencies.append(time.perf_counter() - start)
    connection.close()


def irc_client(args: argparse.Namespace, index: int, count: int, latencies: list[float]) -> None:
    client = Irc.joined(args.port, f"poster{index}", args.room)
    for n in range(count):
        start = time.perf_counter()
        client.send(f"PRIVMSG {args.room} :build {index}-{n} finished {'x' * 60}\r\nPING :p{n}\r\n")
        client.until("PONG ")
        latencies.append(time.perf_counter() - start)
    client.send("QUIT\r\n")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.poster")
    parser.add_argument("mode", choices=("api", "irc"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--irc-port", type=int, help="where the counting receiver joins (default --port)")
    parser.add_argument("--key", default="")
    parser.add_argument("--room", default="#ops")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--pid", type=int, default=0)
    args = parser.parse_args(argv)
    room = args.room if args.room.startswith("#") else "#" + args.room
    args.room = room
    receiver = Irc.joined(args.irc_port or args.port, "counter", room)
    counted: list[int] = []
    counting = threading.Thread(target=lambda: counted.append(receiver.until("counted")))
    counting.start()  # reads all along, so the server never holds back for it
    per_client = args.posts // args.clients
    latencies: list[list[float]] = [[] for _ in range(args.clients)]
    errors: list[str] = []
    client = api_client if args.mode == "api" else irc_client

    def run(index: int) -> None:
        try:
            client(args, index, per_client, latencies[index])
        except Exception as error:  # reported in the JSON line
            errors.append(f"{error.__class__.__name__}: {error}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(args.clients)]
    cpu_before, started = cpu_seconds(args.pid), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(args.pid) - cpu_before
    posted = sum(len(each) for each in latencies)
    receiver.send("PING :counted\r\n")
    counting.join()
    delivered = counted[0] if counted else 0
    ordered = sorted(x for each in latencies for x in each)

    def quantile(q: float) -> Optional[float]:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2) if ordered else None

    result: dict[str, Any] = {
        "posts": posted, "per_s": round(posted / elapsed, 1) if elapsed else None,
        "latency_ms": {"p50": quantile(0.5), "p99": quantile(0.99), "max": quantile(1.0)},
        "loss": posted - delivered, "server_cpu_ms_per_post": round(cpu / posted * 1000, 3) if posted else None,
    }
    if errors:
        result["error"] = errors[0]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
