"""The load generator: raw sockets, no chat library, in its own process.

It speaks just enough of each protocol to register, join one room and send
timestamped messages, and it counts what arrives without parsing it fully
(one regular expression over each chunk of IRC lines; a frame-header walk
for WebSocket), so that it is not the bottleneck.  It prints one JSON object:
the figures and its own CPU use, so a reader can tell whether it kept up.

    python -m bench.loadgen fanout --dialect irc --port 6667 --receivers 500 ...
"""

from __future__ import annotations

import argparse
import base64
import errno
import json
import os
import re
import resource
import selectors
import socket
import struct
import sys
import time
from typing import Optional

ROOM = "#bench"
STAMP = re.compile(rb"T(\d{16,20}) ")
WS_KEY = base64.b64encode(os.urandom(16)).decode()


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ws_frame(payload: bytes) -> bytes:
    """A masked client text frame (the mask is zero: legal, and cheap)."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x81, 0x80 | size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, size)
    return head + b"\0\0\0\0" + payload


class Client:
    """One connection; ``dialect`` says how to log in, join and talk."""

    def __init__(self, dialect: str, host: str, port: int, nick: str, path: str) -> None:
        self.dialect = dialect
        self.nick = nick
        self.host, self.port, self.path = host, port, path
        self.retries = 0
        self._open_socket()
        self.received = 0
        self.counting = True  # receivers count and time what arrives; senders discard it
        self.latencies: list[float] = []  # milliseconds, send stamp to arrival of its chunk
        self.ws = dialect.startswith("ws")
        self.room = ROOM  # --rooms spreads clients over #bench0, #bench1, ...

    opened = 0

    def _open_socket(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        if self.host == "127.0.0.1":
            # Spread clients over loopback source addresses, as real users come
            # from many: servers that throttle per address would otherwise
            # measure their throttle, not their speed.
            Client.opened += 1
            self.sock.bind((f"127.0.{Client.opened // 250 % 250}.{1 + Client.opened % 250}", 0))
        err = self.sock.connect_ex((self.host, self.port))
        if err not in (0, errno.EINPROGRESS):
            raise OSError(err, os.strerror(err))
        self.buffer = b""
        self.out = b""
        self.state = "connecting"  # -> handshake -> registering -> registered -> joined
        self.closed = False

    def retry(self) -> bool:
        """A connection refused or reset while logging in (a full accept queue): try again."""
        if self.state == "joined" or self.retries >= 5:
            return False
        self.retries += 1
        self.sock.close()
        self._open_socket()
        return True

    # -- writing -----------------------------------------------------------------------

    def queue(self, data: bytes) -> None:
        self.out += data
        self.flush()

    def flush(self) -> None:
        if not self.out or self.closed:
            return
        try:
            sent = self.sock.send(self.out)
            self.out = self.out[sent:]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self.closed = True

    def open(self) -> None:
        if self.ws:
            self.queue(
                (f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {WS_KEY}\r\nSec-WebSocket-Version: 13\r\n"
                 + ("Sec-WebSocket-Protocol: chatd.v1\r\n" if self.dialect == "ws-chatd" else "")
                 + "\r\n").encode())
            self.state = "handshake"
        else:
            login = f"NICK {self.nick}\r\nUSER {self.nick} 0 * :bench\r\n"
            if self.dialect == "irc-pass":
                login = "PASS bench\r\n" + login
            self.queue(login.encode())
            self.state = "registering"

    def join(self) -> None:
        if self.dialect == "ws-chatd":
            self.queue(ws_frame(json.dumps({"type": "join", "room": self.room}).encode()))
        elif self.dialect == "ws-django":
            self.state = "joined"  # the URL names the room
        else:
            self.queue(f"JOIN {self.room}\r\n".encode())

    def message(self, text: str) -> bytes:
        if self.dialect == "ws-chatd":
            return ws_frame(json.dumps({"type": "msg", "to": self.room, "text": text}).encode())
        if self.dialect == "ws-django":
            return ws_frame(json.dumps({"message": text}).encode())
        return f"PRIVMSG {self.room} :{text}\r\n".encode()

    # -- reading -------------------------------------------------------------------------

    def readable(self, count_stamps: bool) -> None:
        try:
            data = self.sock.recv(262144)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.closed = True
            return
        if not data:
            self.closed = True
            return
        if self.state in ("joined",) and not count_stamps:
            return  # a sender: its copy of the room is discarded
        self.buffer += data
        if self.ws:
            self._ws_data(count_stamps)
        else:
            self._irc_data(count_stamps)

    def _count(self, stamps: list[bytes], timed: bool) -> None:
        self.received += len(stamps)
        if timed and stamps:
            arrived = time.time_ns()
            self.latencies.extend([(arrived - int(stamp)) / 1e6 for stamp in stamps])

    def _irc_data(self, count_stamps: bool) -> None:
        cut = self.buffer.rfind(b"\n")
        if cut < 0:
            return
        chunk, self.buffer = self.buffer[: cut + 1], self.buffer[cut + 1 :]
        if self.state == "joined":
            self._count(STAMP.findall(chunk), count_stamps)
            if b"PING" in chunk:
                for line in chunk.split(b"\n"):
                    if line.startswith(b"PING"):
                        self.queue(b"PONG" + line[4:].rstrip(b"\r") + b"\r\n")
            return
        for line in chunk.split(b"\n"):
            parts = line.split(b" ")
            if line.startswith(b"PING"):
                self.queue(b"PONG" + line[4:].rstrip(b"\r") + b"\r\n")
            elif len(parts) > 1 and parts[1] == b"001":
                self.state = "registered"
            elif len(parts) > 1 and parts[1] in (b"366",):
                self.state = "joined"
            elif len(parts) > 1 and parts[1] in (b"433", b"432", b"464") or line.startswith(b"ERROR"):
                raise RuntimeError(f"{self.nick}: {line[:120]!r}")

    def _ws_data(self, count_stamps: bool) -> None:
        if self.state == "handshake":
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                raise RuntimeError(f"{self.nick}: handshake refused: {head[:100]!r}")
            if self.dialect == "ws-chatd":
                self.queue(ws_frame(json.dumps({"type": "hello", "nick": self.nick}).encode()))
                self.state = "registering"
            else:
                self.state = "registered"
        if self.state == "joined":
            # Server frames are unmasked text: count stamps in the raw bytes, up
            # to the end of the last complete JSON payload ("}"), frame headers and all.
            cut = self.buffer.rfind(b"}")
            if cut >= 0:
                chunk, self.buffer = self.buffer[: cut + 1], self.buffer[cut + 1 :]
                self._count(STAMP.findall(chunk), count_stamps)
            return
        buf = self.buffer
        pos = 0
        payloads = []
        size = len(buf)
        while size - pos >= 2:
            length = buf[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length = struct.unpack_from("!H", buf, pos + 2)[0]
                start = pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = struct.unpack_from("!Q", buf, pos + 2)[0]
                start = pos + 10
            if size < start + length:
                break
            payloads.append(buf[start : start + length])
            pos = start + length
        self.buffer = buf[pos:]
        for payload in payloads:
            if b'"type":"welcome"' in payload:
                self.state = "registered"
            elif b'"type":"joined"' in payload:
                self.state = "joined"
            elif b'"type":"error"' in payload:
                raise RuntimeError(f"{self.nick}: {payload[:160]!r}")


class Swarm:
    def __init__(self, dialect: str, host: str, port: int, path: str) -> None:
        self.dialect, self.host, self.port, self.path = dialect, host, port, path
        self.selector = selectors.DefaultSelector()
        self.clients: list[Client] = []

    def connect(self, count: int, prefix: str, batch: int = 200, timeout: float = 120.0,
                join: bool = True, rooms: int = 0) -> list[Client]:
        """Open, register and (unless ``join`` is false) join ``count`` clients, ``batch`` at a time;
        with ``rooms``, client i joins ``#bench<i % rooms>``."""
        made = []
        deadline = time.monotonic() + timeout
        for start in range(0, count, batch):
            group = []
            for i in range(start, min(count, start + batch)):
                client = Client(self.dialect, self.host, self.port, f"{prefix}{i}", self.path)
                if rooms:
                    client.room = f"{ROOM}{i % rooms}"
                self.selector.register(client.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)
                group.append(client)
                self.clients.append(client)
            self.pump_until(lambda group=group: all(c.state != "connecting" or c.closed for c in group), deadline)
            self.pump_until(lambda group=group: all(c.state in ("registered", "joined") for c in group), deadline)
            if not join:
                made.extend(group)
                continue
            for client in group:
                client.join()
            self.pump_until(lambda group=group: all(c.state == "joined" for c in group), deadline)
            made.extend(group)
        return made

    def pump_until(self, done, deadline: float) -> None:
        while not done():
            if time.monotonic() > deadline:
                states = {}
                for c in self.clients[-50:]:
                    states[c.state] = states.get(c.state, 0) + 1
                raise TimeoutError(f"setup timed out; states {states}")
            self.pump(0.05)

    def pump(self, timeout: float, count_stamps: bool = True) -> None:
        for key, events in self.selector.select(timeout):
            client: Client = key.data
            if events & selectors.EVENT_WRITE:
                if client.state == "connecting":
                    client.open()
                client.flush()
                if not client.out:
                    self.selector.modify(client.sock, selectors.EVENT_READ, client)
            if events & selectors.EVENT_READ:
                client.readable(count_stamps and client.counting)
            if client.out:
                self.selector.modify(client.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)
            if client.closed:
                self.selector.unregister(client.sock)
                if client.retry():
                    self.selector.register(client.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)
                    continue
                client.sock.close()
                raise RuntimeError(f"{client.nick}: the server closed the connection")


def percentile(sorted_values: list[float], fraction: float) -> Optional[float]:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def fanout(args: argparse.Namespace) -> dict:
    swarm = Swarm(args.dialect, args.host, args.port, args.path)
    receivers = swarm.connect(args.receivers, "r", batch=args.batch, rooms=args.rooms)
    sender_swarm = swarm if args.sender_port in (None, args.port) else Swarm(
        args.dialect, args.host, args.sender_port, args.path)
    senders = sender_swarm.connect(args.senders, "s", batch=args.batch, rooms=args.rooms)
    members = {room: sum(1 for r in receivers if r.room == room) for room in {c.room for c in senders}}
    for sender in senders:
        sender.counting = False
    payload_pad = "x" * max(0, args.size - 22)
    interval = args.senders / args.rate
    start = time.perf_counter()
    cpu_start = cpu_seconds()
    watched = [int(p) for p in (args.cpu_pids or "").split(",") if p]
    server_start = tree_cpu_seconds(watched)
    redis_pids = [int(p) for p in str(args.redis_pid or "").split(",") if p]
    redis_start = tree_cpu_seconds(redis_pids)
    next_send = [start + i * interval / args.senders for i in range(args.senders)]
    sent = 0
    expected = 0
    end_send = start + args.duration
    while True:
        now = time.perf_counter()
        if now >= end_send:
            break
        for i, sender in enumerate(senders):
            while next_send[i] <= now:
                sender.out += sender.message(f"T{time.time_ns()} {payload_pad}")
                next_send[i] += interval
                sent += 1
                expected += members[sender.room]
            sender.flush()
        wait = max(0.0, min(min(next_send), end_send) - time.perf_counter())
        swarm.pump(min(wait, 0.005))
        if sender_swarm is not swarm:
            sender_swarm.pump(0)
    send_window = time.perf_counter() - start
    drain_until = time.perf_counter() + args.drain
    while time.perf_counter() < drain_until:
        if sum(r.received for r in receivers) >= expected:
            break
        swarm.pump(0.02)
        if sender_swarm is not swarm:
            sender_swarm.pump(0)
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_start
    server_cpu = tree_cpu_seconds(watched) - server_start
    redis_cpu = tree_cpu_seconds(redis_pids) - redis_start
    received = sum(r.received for r in receivers)
    return {
        "scenario": "fanout",
        "dialect": args.dialect,
        "receivers": len(receivers),
        "senders": len(senders),
        "offered_msgs_per_s": args.rate,
        "offered_deliveries_per_s": args.rate * len(receivers),
        "sent": sent,
        "expected": expected,
        "received": received,
        "loss": (expected - received) / expected if expected else 0.0,
        "deliveries_per_s": received / elapsed if elapsed else 0.0,
        "send_window_s": send_window,
        "elapsed_s": elapsed,
        "latency_ms": latency_summary(receivers),
        "loadgen_cpu": cpu / elapsed if elapsed else 0.0,
        # CPU seconds of the watched processes (--cpu-pids) per million deliveries and per message
        "server_cpu_s": server_cpu if watched else None,
        "server_cpu_s_per_million": server_cpu / received * 1e6 if watched and received else None,
        "server_cpu_ms_per_message": server_cpu / sent * 1e3 if watched and sent else None,
        "rooms": len(members),
        "redis_cpu_ms_per_message": redis_cpu / sent * 1e3 if redis_pids and sent else None,
    }


def latency_summary(receivers: list[Client]) -> dict:
    values = sorted(v for r in receivers for v in r.latencies)
    return {
        "p50": percentile(values, 0.50),
        "p99": percentile(values, 0.99),
        "max": values[-1] if values else None,
        "samples": len(values),
    }


def idle(args: argparse.Namespace) -> dict:
    swarm = Swarm(args.dialect, args.host, args.port, args.path)
    before = rss_kib(args.server_pid)
    started = time.perf_counter()
    partial = False
    try:
        # Registered, in no room: a room of 10,000 would measure 10,000 JOIN
        # fan-outs (O(n^2) lines), not the cost of holding connections.
        swarm.connect(args.connections, "i", batch=args.batch, timeout=args.setup_timeout, join=False)
    except TimeoutError:
        partial = True  # the server accepts too slowly: measure what it did accept
    clients = [c for c in swarm.clients if c.state in ("registered", "joined")]
    setup = time.perf_counter() - started
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        swarm.pump(0.1)  # let the server settle (and answer pings)
    after = rss_kib(args.server_pid)
    return {
        "scenario": "idle",
        "dialect": args.dialect,
        "connections": len(clients),
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_connection": (after - before) / len(clients) if before and after and clients else None,
        "setup_s": setup,
        "partial": partial,
    }


def connect_rate(args: argparse.Namespace) -> dict:
    swarm = Swarm(args.dialect, args.host, args.port, args.path)
    started = time.perf_counter()
    cpu_start = cpu_seconds()
    made = 0
    round_ = 0
    while made < args.connections:
        group = swarm.connect(min(args.batch, args.connections - made), f"c{round_}x", batch=args.batch)
        made += len(group)
        for client in group:
            swarm.selector.unregister(client.sock)
            client.sock.close()
        swarm.clients.clear()
        round_ += 1
    elapsed = time.perf_counter() - started
    return {
        "scenario": "connect",
        "dialect": args.dialect,
        "connections": made,
        "per_s": made / elapsed,
        "elapsed_s": elapsed,
        "loadgen_cpu": (cpu_seconds() - cpu_start) / elapsed,
    }


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children (a ``--workers`` supervisor's workers)."""
    pids = [pid]
    try:
        pids += [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        pass
    return pids


def tree_cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds of the processes ``pids`` and their children, from /proc."""
    total = 0
    for root in pids:
        for p in process_tree(root):
            try:
                fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: Optional[int]) -> Optional[int]:
    if not pid:
        return None
    total = 0
    pids = [pid]
    try:
        children = open(f"/proc/{pid}/task/{pid}/children").read().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("scenario", choices=["fanout", "idle", "connect"])
    parser.add_argument("--dialect", default="irc", choices=["irc", "irc-pass", "ws-chatd", "ws-django"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sender-port", type=int, default=None, help="send through another node")
    parser.add_argument("--path", default="/ws")
    parser.add_argument("--receivers", type=int, default=100)
    parser.add_argument("--senders", type=int, default=5)
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second, all senders")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--drain", type=float, default=3.0)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50, help="connections set up at once")
    parser.add_argument("--server-pid", type=int, default=None)
    parser.add_argument("--cpu-pids", default="", help="comma list of pids whose CPU (with children) is counted")
    parser.add_argument("--redis-pid", default="", help="redis-server pids (a comma list: every shard) whose CPU "
                        "per message is counted")
    parser.add_argument("--rooms", type=int, default=0, help="spread clients over this many rooms (0: one)")
    parser.add_argument("--setup-timeout", type=float, default=180.0)
    args = parser.parse_args(argv)
    raise_fd_limit()
    result = {"fanout": fanout, "idle": idle, "connect": connect_rate}[args.scenario](args)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
