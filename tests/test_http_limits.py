"""The HTTP listener under abuse: bad paths, slowloris, and the daemon still serving."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

from .support.processes import Daemon
from .support.sockets import LineClient, irc_register

pytestmark = pytest.mark.integration


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_paths_that_name_nothing_get_400_without_a_traceback(daemon):
    port = daemon.ports["http"]
    for path in ("/%00", "/%00/x", "/js/%01main.js", "/%ff%fe"):
        status, body = get(port, path)
        assert status == 400 and b"Traceback" not in body and b"File " not in body, path
    assert get(port, "/")[0] == 200
    assert get(port, "/../../etc/passwd")[0] == 404
    assert not [line for line in daemon.output if "Traceback" in line]


def closed_by_server(sock: socket.socket, timeout: float) -> bytes:
    """Everything the server sends until it closes; fails if it keeps the socket open."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            return data
        except TimeoutError:
            raise AssertionError(f"the server kept a slow connection open; got {data!r}") from None
        if not chunk:
            return data
        data += chunk


def test_slowloris_is_bounded_and_cut_while_others_are_served(tmp_path):
    d = Daemon("--http-max-per-address", "10", "--http-header-timeout", "1", state_dir=tmp_path).start()
    try:
        port = d.ports["http"]
        slow = []
        for _ in range(30):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # headers never finish
            slow.append(sock)
        irc = LineClient(d.ports["irc"])  # chat goes on meanwhile
        irc_register(irc, "ivan")
        # Each socket ends: at once with 429 (beyond the 10 allowed), or cut by the
        # header deadline (1 s) with nothing sent; none is held for the 5 s we wait.
        answers = [closed_by_server(sock, 5) for sock in slow]
        assert sum(1 for a in answers if a.startswith(b"HTTP/1.1 429 ")) == 20
        assert answers.count(b"") == 10
        assert get(port, "/healthz")[0] == 200  # the address may connect again
        irc.send("PING :still")
        irc.expect("PONG .*still")
    finally:
        d.kill()
