"""chatd behind Debian's haproxy, configured as docs/operations.md shows: IRC with ``send-proxy-v2``,
telnet with ``send-proxy`` (v1), and the web socket through ``mode http`` with ``option forwardfor``.
The clients connect from 127.0.0.2 and haproxy from 127.0.0.1 (the only trusted proxy): chatd must
see each client's own address, never the proxy's."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest
from websockets.sync.client import connect

from .support.parts import free_port, require
from .support.processes import Daemon
from .support.sockets import LineClient, irc_register
from .test_proxies import whois_host  # asks chatd as a trusted proxy would, with a PROXY header of its own

pytestmark = pytest.mark.integration

CLIENT = "127.0.0.2"  # the whole of 127.0.0.0/8 is this machine's: a client address that is not the proxy's

CONFIG = """
global
    maxconn 100
defaults
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 60s
frontend irc
    mode tcp
    bind 127.0.0.1:{irc_front}
    default_backend chatd_irc
backend chatd_irc
    mode tcp
    server chatd 127.0.0.1:{irc} send-proxy-v2
frontend telnet
    mode tcp
    bind 127.0.0.1:{telnet_front}
    default_backend chatd_telnet
backend chatd_telnet
    mode tcp
    server chatd 127.0.0.1:{telnet} send-proxy
frontend web
    mode http
    bind 127.0.0.1:{http_front}
    option forwardfor
    default_backend chatd_web
backend chatd_web
    mode http
    server chatd 127.0.0.1:{http}
"""


def from_client(port: int) -> LineClient:
    """A line client whose connection comes from ``CLIENT``."""
    client = LineClient.__new__(LineClient)
    client.sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(CLIENT, 0))
    client.buffer = b""
    client.lines = []
    return client


def listening(proxy: subprocess.Popen[bytes], port: int, deadline: float) -> bool:
    """Whether haproxy listens on ``port``; False if it exited (it could not bind)."""
    while True:
        if proxy.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"haproxy did not listen on {port}") from None
            time.sleep(0.05)  # haproxy says nothing when it is ready: its port is the only sign


@pytest.fixture(scope="module")
def proxied(tmp_path_factory) -> Iterator[tuple[Daemon, dict[str, int]]]:
    haproxy = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    require(haproxy is not None, "haproxy is not installed (apt-get install haproxy)")
    assert haproxy is not None
    folder = tmp_path_factory.mktemp("haproxy")
    daemon = Daemon("--no-cloaks", "--trusted-proxies", "127.0.0.1/32", "--proxy-protocol", "irc,telnet",
                    state_dir=folder).start()
    try:
        proxy, fronts = start_haproxy(haproxy, folder, daemon)
    except BaseException:
        daemon.kill()
        raise
    try:
        yield daemon, fronts
    finally:
        proxy.terminate()
        proxy.wait(10)
        daemon.kill()


def start_haproxy(haproxy: str, folder: Path, daemon: Daemon) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    """haproxy in front of ``daemon`` on free ports; ports picked free can be taken by someone else
    before haproxy binds them, and then haproxy exits at once: it is started again on others."""
    config = folder / "haproxy.cfg"
    for _ in range(3):
        fronts = {"irc_front": free_port(), "telnet_front": free_port(), "http_front": free_port()}
        config.write_text(CONFIG.format(irc=daemon.ports["irc"], telnet=daemon.ports["telnet"],
                                        http=daemon.ports["http"], **fronts))
        check = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        if all(listening(proxy, port, deadline) for port in fronts.values()):
            return proxy, fronts
        output = proxy.communicate(timeout=10)[0].decode(errors="replace")
        assert "cannot bind" in output.lower() or "address already in use" in output.lower(), output
    raise AssertionError("haproxy could not bind free ports three times")


def test_irc_through_haproxy_send_proxy_v2(proxied):
    daemon, fronts = proxied
    irc = from_client(fronts["irc_front"])
    irc_register(irc, "viaproxy")
    assert whois_host(daemon, "viaproxy") == CLIENT


def test_telnet_through_haproxy_send_proxy_v1(proxied):
    daemon, fronts = proxied
    terminal = from_client(fronts["telnet_front"])
    terminal.expect("Pick a nick")
    terminal.send("terminal")
    terminal.expect("Hello terminal")
    assert whois_host(daemon, "terminal") == CLIENT


def test_the_web_socket_through_haproxy_forwardfor(proxied):
    daemon, fronts = proxied
    sock = socket.create_connection(("127.0.0.1", fronts["http_front"]), timeout=10, source_address=(CLIENT, 0))
    with connect(f"ws://127.0.0.1:{fronts['http_front']}/ws", sock=sock, subprotocols=["chatd.v1"]) as ws:
        ws.send(json.dumps({"type": "hello", "nick": "browser", "id": 1}))
        while json.loads(ws.recv(timeout=10)).get("type") != "welcome":
            pass
        assert whois_host(daemon, "browser") == CLIENT


def test_a_client_that_skips_the_proxy_is_not_let_in(proxied):
    daemon, _ = proxied
    direct = from_client(daemon.ports["irc"])  # 127.0.0.2 is no trusted proxy: closed before it says anything
    assert direct.closed()
