"""SASL over real sockets against a real daemon: PLAIN with the ``irc`` library, SCRAM-SHA-256
with ``scramp`` on a raw socket, and EXTERNAL with a TLS client certificate."""

from __future__ import annotations

import base64
import socket
import ssl

import pytest
from scramp import ScramClient

from .support.sockets import LibraryIRC, LineClient, irc_client
from .support.tls import make_certificate
from .test_irc_v3 import server  # noqa: F401  (a daemon with a TLS IRC listener, shared)

pytestmark = pytest.mark.integration


def b64(data: str) -> str:
    return base64.b64encode(data.encode()).decode()


def make_account(daemon, name: str, password: str) -> None:
    conn = irc_client(daemon.ports["irc"], name)
    conn.send(f"REGISTER * * :{password}")
    conn.expect(f"REGISTER SUCCESS {name} ")
    conn.send("QUIT")
    # The nick is free once the server has closed this connection; a client that signs in with
    # it before then is told 433 (and the irc library then never sees its welcome).
    assert conn.closed()


def whois_account(daemon, nick: str) -> str:
    asker = irc_client(daemon.ports["irc"], f"ask{nick}"[:20])
    asker.send(f"WHOIS {nick}")
    line = asker.expect(r" (330|318) ")
    asker.send("QUIT")
    return line.split()[4] if " 330 " in line else ""


def test_sasl_plain_with_the_irc_library(server):  # noqa: F811
    make_account(server, "libby", "libby-password")
    client = LibraryIRC(server.ports["irc"], "libby", sasl=("libby", "libby-password"))
    try:
        assert whois_account(server, "libby") == "libby"
    finally:
        client.close()


def test_sasl_scram_sha_256_on_a_raw_socket(server):  # noqa: F811
    make_account(server, "scrammy", "scrammy-password")
    conn = LineClient(server.ports["irc"])
    conn.send("CAP LS 302")
    conn.send("CAP REQ :sasl")
    conn.send("NICK scrammy")
    conn.send("USER scrammy 0 * :S")
    conn.expect("ACK :sasl")
    conn.send("AUTHENTICATE SCRAM-SHA-256")
    conn.expect("^AUTHENTICATE \\+$")
    client = ScramClient(["SCRAM-SHA-256"], "scrammy", "scrammy-password")
    conn.send("AUTHENTICATE " + b64(client.get_client_first()))
    challenge = conn.expect("^AUTHENTICATE ").split(" ", 1)[1]
    client.set_server_first(base64.b64decode(challenge).decode())
    conn.send("AUTHENTICATE " + b64(client.get_client_final()))
    final = conn.expect("^AUTHENTICATE ").split(" ", 1)[1]
    client.set_server_final(base64.b64decode(final).decode())
    conn.send("AUTHENTICATE +")
    conn.expect(" 903 ")
    conn.send("CAP END")
    conn.expect(" 001 ")
    assert whois_account(server, "scrammy") == "scrammy"


class TLSLineClient(LineClient):
    def __init__(self, port: int, cert, key) -> None:  # noqa: D107 - a LineClient over TLS with a certificate
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.load_cert_chain(cert, key)
        self.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
        self.buffer = b""
        self.lines = []


def test_sasl_external_with_a_tls_client_certificate(server, tmp_path):  # noqa: F811
    key, cert = make_certificate(tmp_path, "certy-client", serial=7)
    make_account(server, "certy", "certy-password")
    first = TLSLineClient(server.ports["irc-tls"], cert, key)
    first.send("CAP LS 302")
    first.send("CAP REQ :sasl")
    first.send("NICK certy")
    first.send("USER certy 0 * :C")
    first.send("AUTHENTICATE PLAIN")
    first.expect("^AUTHENTICATE \\+$")
    first.send("AUTHENTICATE " + b64("\0certy\0certy-password"))
    first.expect(" 903 ")
    first.send("CAP END")
    first.expect(" 001 ")
    first.send("NICKSERV CERT ADD")
    assert first.expect("NickServ.*(now logs in|Certificate)")
    first.send("QUIT")
    first.expect("^ERROR ")
    second = TLSLineClient(server.ports["irc-tls"], cert, key)
    second.send("CAP LS 302")
    second.send("CAP REQ :sasl")
    second.send("NICK certy")
    second.send("USER certy 0 * :C")
    second.send("AUTHENTICATE EXTERNAL")
    second.expect("^AUTHENTICATE \\+$")
    second.send("AUTHENTICATE +")
    assert second.expect(" 900 ").endswith("You are now logged in as certy")
    second.expect(" 903 ")
    # Without the certificate, EXTERNAL fails like any bad login.
    (tmp_path / "other").mkdir()
    other_key, other_cert = make_certificate(tmp_path / "other", "other", 9)
    stranger = TLSLineClient(server.ports["irc-tls"], other_cert, other_key)
    stranger.send("CAP REQ :sasl")
    stranger.send("AUTHENTICATE EXTERNAL")
    stranger.expect("^AUTHENTICATE \\+$")
    stranger.send("AUTHENTICATE +")
    stranger.expect(" 904 ")
