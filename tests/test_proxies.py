"""Behind a reverse proxy: the client's own address, and only from proxies we trust."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import struct

import pytest
from websockets.sync.client import connect

from .support.processes import Daemon
from .support.sockets import LineClient, irc_register

pytestmark = pytest.mark.integration


def proxy_v2(source: str, port: int) -> bytes:
    """A PROXY protocol v2 header (TCP over IPv4), as haproxy sends it."""
    addresses = ipaddress.ip_address(source).packed + ipaddress.ip_address("127.0.0.1").packed
    body = addresses + struct.pack("!HH", port, 2323)
    return b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory):
    # Real addresses shown (--no-cloaks): these tests read the address the proxy passed on from WHOIS.
    d = Daemon("--no-cloaks", "--trusted-proxies", "127.0.0.1/32", "--proxy-protocol", "irc,telnet",
               "--max-per-address", "2", state_dir=tmp_path_factory.mktemp("proxied")).start()
    yield d
    d.kill()


@pytest.fixture(scope="module")
def untrusting(tmp_path_factory):
    d = Daemon("--no-cloaks", "--trusted-proxies", "10.9.9.9", "--proxy-protocol", "telnet",
               state_dir=tmp_path_factory.mktemp("untrusting")).start()
    yield d
    d.kill()


def whois_host(server, nick: str, proxied: bool = True) -> str:
    asker = LineClient(server.ports["irc"])
    if proxied:
        asker.send(f"PROXY TCP4 192.0.2.{len(nick) + 1} 127.0.0.1 40000 6667")
    irc_register(asker, "asker" + nick[:5])
    asker.send(f"WHOIS {nick}")
    host = asker.expect(" 311 ").split()[5]
    asker.close()
    return host


def test_proxy_protocol_v1_and_v2_give_the_client_s_address(behind_proxy):
    irc = LineClient(behind_proxy.ports["irc"])
    irc.send("PROXY TCP4 203.0.113.7 127.0.0.1 50000 6667")  # v1, then the client's own lines
    irc_register(irc, "proxied")
    assert whois_host(behind_proxy, "proxied") == "203.0.113.7"

    tel = socket.create_connection(("127.0.0.1", behind_proxy.ports["telnet"]))
    tel.sendall(proxy_v2("198.51.100.23", 51000) + b"telly\r\n")
    data = b""
    while b"Hello telly" not in data:
        data += tel.recv(4096)
    # the greeting (after the server's telnet offers: WILL ECHO, WILL SGA, DO NAWS) waited for the header
    assert data.startswith(b"\xff\xfb\x01\xff\xfb\x03\xff\xfd\x1f*** Welcome")
    assert whois_host(behind_proxy, "telly") == "198.51.100.23"
    tel.close()
    irc.close()


def test_x_forwarded_for_from_a_trusted_proxy(behind_proxy):
    port = behind_proxy.ports["http"]
    with contextlib.ExitStack() as stack:
        for i in range(3):  # three browsers behind one proxy, with a limit of two per address
            ws = stack.enter_context(connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["chatd.v1"],
                                             additional_headers={"X-Forwarded-For": f"198.51.100.{i + 1}"}))
            ws.send(json.dumps({"type": "hello", "nick": f"browser{i}", "id": 1}))
            assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        assert whois_host(behind_proxy, "browser2") == "198.51.100.3"


@pytest.mark.parametrize(("header", "seen"), [
    ("for=198.51.100.40", "198.51.100.40"),
    ('for="198.51.100.41:4711";proto=https;by=127.0.0.1', "198.51.100.41"),
    ('for="[2001:db8:cafe::17]:4711"', "2001:db8:cafe::17"),
    ("for=198.51.100.42, for=127.0.0.1", "198.51.100.42"),  # the last hop is our proxy: trusted, skipped
    ("for=unknown", "127.0.0.1"),  # says nothing to rely on: the proxy's own address
    ("for=_hidden;proto=http", "127.0.0.1"),
])
def test_rfc_7239_forwarded_from_a_trusted_proxy(behind_proxy, header, seen):
    port = behind_proxy.ports["http"]
    nick = "fwd" + str(abs(hash(header)) % 10**6)
    with connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["chatd.v1"],
                 additional_headers={"Forwarded": header, "X-Forwarded-For": "192.0.2.250"}) as ws:
        ws.send(json.dumps({"type": "hello", "nick": nick, "id": 1}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        assert whois_host(behind_proxy, nick) == seen  # Forwarded wins over X-Forwarded-For


def test_an_untrusted_peer_cannot_claim_an_address(untrusting):
    tel = socket.create_connection(("127.0.0.1", untrusting.ports["telnet"]))
    tel.sendall(proxy_v2("203.0.113.99", 50000) + b"liar\r\n")
    tel.settimeout(10)
    assert tel.recv(4096) == b""  # closed at once: 127.0.0.1 is no trusted proxy here
    tel.close()
    port = untrusting.ports["http"]
    with connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["chatd.v1"],
                 additional_headers={"X-Forwarded-For": "203.0.113.99", "Forwarded": "for=203.0.113.98"}) as ws:
        ws.send(json.dumps({"type": "hello", "nick": "spoofer"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        assert whois_host(untrusting, "spoofer", proxied=False) == "127.0.0.1"  # the header was not believed
