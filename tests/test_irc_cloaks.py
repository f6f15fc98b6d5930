"""Cloaked addresses against a real daemon: others see a keyed hash of where someone connects
from (WHOIS, JOIN, NAMES, the web), the person and server operators see the real address, bans
work on either, and a cloak is the same after a restart."""

from __future__ import annotations

import base64
import json
import re
import socket

import pytest
from websockets.sync.client import connect

from chatd.accounts.passwords import scrypt_hash

from .support.parts import CLOAK
from .support.processes import Daemon
from .support.sockets import LineClient, irc_register

pytestmark = pytest.mark.integration


class From(LineClient):
    """An IRC client connecting from a loopback address of its own (127.0.0.x)."""

    def __init__(self, port: int, source: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
        self.buffer = b""
        self.lines = []


def user(port: int, nick: str, source: str, caps: str = "") -> From:
    client = From(port, source)
    if caps:
        client.send(f"CAP REQ :{caps}")
        client.send("CAP END")  # held until NICK and USER: registration ends with them
    irc_register(client, nick)
    return client


@pytest.fixture
def cloaked(tmp_path):
    config = tmp_path / "chatd.toml"
    config.write_text(f'[[operators]]\nname = "root"\npassword = "{scrypt_hash("root-password")}"\n')
    daemon = Daemon("--config", str(config), "--flood-rate", "0", "--max-per-address", "0", state_dir=tmp_path)
    yield daemon.start()
    daemon.kill()


def whois_host(asker: LineClient, nick: str) -> tuple[str, list[str]]:
    asker.send(f"WHOIS {nick}")
    lines = asker.until(" 318 ")
    return next(line.split()[5] for line in lines if " 311 " in line), [line for line in lines if " 378 " in line]


def test_others_see_a_cloak_the_person_and_operators_the_address(cloaked):
    port = cloaked.ports["irc"]
    ann = user(port, "ann", "127.0.0.2", "userhost-in-names")
    ben = user(port, "ben", "127.0.0.3")
    host, real = whois_host(ben, "ann")
    assert re.fullmatch(CLOAK, host) and "127.0.0.2" not in host and real == []
    ben_host, _ = whois_host(ann, "ben")
    assert ben_host != host and ben_host.split(".")[1:] == host.split(".")[1:]  # same /24, same middle part
    own, shown = whois_host(ann, "ann")
    assert own == host and shown and shown[0].endswith(":is connecting from *@127.0.0.2 127.0.0.2")

    ann.send("JOIN #r")
    ann.expect(" 366 ")
    ben.send("JOIN #r")
    assert ann.expect(r"^:ben!\S+ JOIN #r").startswith(f":ben!~ben@{ben_host} ")
    ann.send("NAMES #r")
    names = [line for line in ann.until(" 366 ") if " 353 " in line][-1]
    assert f"ben!~ben@{ben_host}" in names and "127.0.0." not in names

    with connect(f"ws://127.0.0.1:{cloaked.ports['http']}/ws", subprotocols=["chatd.v1"]) as ws:
        ws.send(json.dumps({"type": "hello", "nick": "wes", "id": 1}))
        ws.send(json.dumps({"type": "whois", "nick": "ann", "id": 2}))
        while True:
            frame = json.loads(ws.recv(timeout=10))
            if frame.get("id") == 2:
                break
        assert frame["host"] == host and "address" not in frame

    root = user(port, "root", "127.0.0.4")
    root.send("OPER root root-password")
    root.expect(" 381 ")
    _, seen = whois_host(root, "ann")
    assert seen and "127.0.0.2" in seen[0]

    # A ban on the real address and one on the cloak's network both hold.
    ann.send("MODE #r +b *!*@127.0.0.3")
    ann.expect(r"MODE #r \+b")
    ann.send("KICK #r ben")
    ben.expect("KICK #r ben")
    ben.send("JOIN #r")
    ben.expect(" 474 ben #r ")
    cal = user(port, "cal", "127.0.0.5")
    cal.send("JOIN #r")
    cal.expect(" 366 ")
    ann.send(f"MODE #r +b *!*@*.{host.split('.', 1)[1]}")
    ann.expect(r"MODE #r \+b")
    ann.send("KICK #r cal")
    cal.expect("KICK #r cal")
    cal.send("JOIN #r")
    cal.expect(" 474 cal #r ")


def test_a_cloak_survives_a_restart_and_no_cloaks_shows_addresses(tmp_path):
    first = Daemon(state_dir=tmp_path).start()
    try:
        asker = user(first.ports["irc"], "asker", "127.0.0.6")
        before, _ = whois_host(asker, "asker")
    finally:
        first.stop()
    second = Daemon(state_dir=tmp_path).start()
    try:
        asker = user(second.ports["irc"], "asker", "127.0.0.6")
        assert whois_host(asker, "asker")[0] == before
    finally:
        second.stop()
    plain = Daemon("--no-cloaks", state_dir=tmp_path).start()
    try:
        asker = user(plain.ports["irc"], "asker", "127.0.0.6")
        assert whois_host(asker, "asker") == ("127.0.0.6", [])
    finally:
        plain.kill()


def test_account_cloaks_show_who_not_where_and_chghost_follows_a_login(tmp_path):
    daemon = Daemon("--account-cloaks", state_dir=tmp_path).start()
    try:
        irc = daemon.ports["irc"]
        bob = user(irc, "bob", "127.0.0.3", "chghost")
        bob.send("JOIN #team")
        bob.expect(" 366 ")
        plain = user(irc, "plain", "127.0.0.4")  # no chghost: nothing of the change reaches it
        plain.send("JOIN #team")
        plain.expect(" 366 ")
        alice = user(irc, "alice", "127.0.0.2")
        alice.send("JOIN #team")
        joined = bob.expect(r"^:alice!\S+ JOIN #team")
        guest_host = joined.split("@", 1)[1].split()[0]
        assert re.fullmatch(CLOAK, guest_host)

        alice.send("REGISTER * * :alice-password")  # logged in from now on: shown by account
        alice.expect("REGISTER SUCCESS alice ")
        assert bob.expect(" CHGHOST ") == f":alice!~alice@{guest_host} CHGHOST ~alice account/alice"
        bob.send("WHOIS alice")
        assert bob.expect(" 311 bob alice ").split()[5] == "account/alice"
        bob.send("MODE #team +b *!*@account/alice")  # bob made the room: a ban on the account's host
        bob.expect(r"MODE #team \+b")
        alice.send("PART #team")
        alice.send("JOIN #team")
        alice.expect(" 474 alice #team ")
        bob.send("MODE #team -b *!*@account/alice")
        bob.expect(r"MODE #team -b")
        alice.send("JOIN #team")
        bob.expect(r"^:alice!~alice@account/alice JOIN #team")

        alice.send("NICKSERV LOGOUT")
        assert bob.expect(" CHGHOST ") == f":alice!~alice@account/alice CHGHOST ~alice {guest_host}"
        plain.send("PING :done")
        assert not [line for line in plain.until("PONG") if "CHGHOST" in line]

        # Signed in before registering (SASL), the account host is there from the first line.
        alice.send("QUIT")
        assert alice.closed()
        again = From(irc, "127.0.0.2")
        again.send("CAP REQ :sasl")
        again.send("AUTHENTICATE PLAIN")
        again.expect(r"AUTHENTICATE \+")
        again.send("AUTHENTICATE " + base64.b64encode(b"\0alice\0alice-password").decode())
        again.expect(" 903 ")
        again.send("CAP END")
        irc_register(again, "alice")
        bob.send("WHOIS alice")
        assert bob.expect(" 311 bob alice ").split()[5] == "account/alice"
    finally:
        daemon.kill()
