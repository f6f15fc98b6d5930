"""What history keeps through kill -9: a burst to one room, the daemon killed the moment a reader
has the burst's last line, then the history file counted against what the reader saw.

    python -m bench.crash PORT DB --messages 10000     # prints one JSON line

The daemon is given (already running, with history) and killed by the caller: this tool only
sends, reads, and counts, so the bench runs it for either history-durability.
"""

from __future__ import annotations

import argparse
import json
import socket
import sqlite3
import sys
import threading
import time
from typing import Optional


def register(port: int, nick: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\nJOIN #crash\r\n".encode())
    read_until(sock, b" 366 ")
    return sock


def read_until(sock: socket.socket, marker: bytes, seen: Optional[list[bytes]] = None) -> None:
    buffer = b""
    while marker not in buffer:
        data = sock.recv(1 << 16)
        if not data:
            raise SystemExit("the daemon closed the connection")
        buffer += data
        if seen is not None:
            *lines, buffer_tail = buffer.split(b"\r\n")
            seen.extend(lines)
            if any(marker in line for line in lines):
                return
            buffer = buffer_tail


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("pid", type=int, help="the daemon's process id, killed when the last line is read")
    parser.add_argument("db", help="the daemon's history.sqlite3")
    parser.add_argument("--messages", type=int, default=10000)
    args = parser.parse_args(argv)
    reader, writer = register(args.port, "reader"), register(args.port, "writer")
    burst = b"".join(b"PRIVMSG #crash :line %d\r\n" % i for i in range(args.messages))
    threading.Thread(target=lambda: _send(writer, burst), daemon=True).start()
    started = time.monotonic()
    seen: list[bytes] = []
    read_until(reader, b"PRIVMSG #crash :line %d" % (args.messages - 1), seen)
    import os
    import signal
    os.kill(args.pid, signal.SIGKILL)  # the moment the last line reached a reader
    elapsed = time.monotonic() - started
    seen_texts = {line.rsplit(b":", 1)[1].decode() for line in seen if b" PRIVMSG #crash :" in line}
    for _ in range(100):  # the process is gone once its file lock is
        try:
            db = sqlite3.connect(args.db)
            stored = {text for (text,) in db.execute("SELECT text FROM messages WHERE target = '#crash'")}
            break
        except sqlite3.OperationalError:
            time.sleep(0.1)
    else:
        raise SystemExit("cannot read the history file")
    print(json.dumps({"messages": args.messages, "seen": len(seen_texts),
                      "seen_not_stored": len(seen_texts - stored), "burst_s": round(elapsed, 3),
                      "per_s": round(args.messages / elapsed, 1)}))
    return 0


def _send(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:
        pass  # the daemon was killed


if __name__ == "__main__":
    sys.exit(main())
