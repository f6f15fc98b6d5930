"""One person on devices connected to different nodes of a cluster (real daemons on one Redis):
a device that signs in on another node than the one holding its person is carried there
(chatd/cluster/relay.py) and is one more connection of theirs, exactly as on one server: the
whole multiclient contract of tests/test_irc_multiclient.py holds with the laptop on one node
and the phone's IRC client and browser on the other.  A carried connection ends with the node
holding its person, and its client then signs in again where it is."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import signal

import pytest
from websockets.sync.client import connect

from .support.sockets import LibraryIRC, LineClient, irc_client
from .support.tls import make_certificate
from .support.waiting import wait_until
from .test_cluster import in_sync, node, redis  # noqa: F401  (the fixture, shared)
from .test_irc_multiclient import browser_and_irc_devices, register, sasl_line_client, web_frame
from .test_irc_sasl_sockets import TLSLineClient
from .test_ws_irc import WebIRC

pytestmark = pytest.mark.cluster


@pytest.fixture
def pair(tmp_path, redis):  # noqa: F811
    """alpha and beta on one Redis, up to three connections per account."""
    a = in_sync(node(tmp_path, redis, "alpha", "--devices-per-account", "3"))
    b = in_sync(node(tmp_path, redis, "beta", "--devices-per-account", "3"))
    yield a, b
    a.kill()
    b.kill()


def laptop_in_team(daemon):
    """alice registered, signed in on ``daemon`` with SASL from her laptop, in #team: held there."""
    register(daemon, "alice")
    laptop = sasl_line_client(daemon.ports["irc"], "alice", "alice-password")
    laptop.expect(" 001 alice ")
    laptop.send("JOIN #team")
    laptop.expect(" 366 alice #team ")
    return laptop


def test_devices_on_two_nodes_are_one_person(pair):
    a, b = pair
    register(a, "alice")
    bob = irc_client(b.ports["irc"], "bob")
    bob.send("JOIN #team")
    bob.expect(" 366 ")

    laptop = LibraryIRC(a.ports["irc"], "alice", sasl=("alice", "alice-password"))  # alpha holds alice
    laptop.conn.join("#team")
    laptop.wait("endofnames")
    bob.expect(r"^:alice!\S+ JOIN #team")

    # The phone reaches beta: it is welcomed as alice (no 433), in alice's room, its names from alpha.
    phone = sasl_line_client(b.ports["irc"], "alice", "alice-password", caps="echo-message")
    phone.expect(" 001 alice ")
    burst = phone.until(" 366 alice #team ")
    assert not [line for line in burst if " 433 " in line]
    assert any(line.endswith(" JOIN #team") and line.startswith(":alice!") for line in burst)
    assert any(" 353 alice " in line and "bob" in line for line in burst)
    b.wait_for_log(lambda line: "carried to node alpha" in line or None, 10, "the phone carried to alpha")

    laptop.conn.send_raw("NickServ SESSIONS")  # one person, two connections, held on alpha
    laptop.wait("privnotice", lambda e: e.arguments[0] == "You are connected 2 time(s):")

    with connect(f"ws://127.0.0.1:{b.ports['http']}/ws", subprotocols=["chatd.v1"]) as web:
        web.send(json.dumps({"type": "login", "name": "alice", "password": "alice-password", "id": 1}))
        web.send(json.dumps({"type": "hello", "nick": "alice", "id": 2}))
        browser_and_irc_devices(bob, laptop, phone, web)


def test_a_carried_connection_ends_with_the_node_holding_its_person(pair):
    a, b = pair
    laptop = laptop_in_team(a)
    phone = sasl_line_client(b.ports["irc"], "alice", "alice-password", account="alice@phone")
    phone.expect(" 001 alice ")
    phone.expect(" 366 alice #team ")

    # Its lines are answered by alpha, in order, through beta.
    for n in range(20):
        phone.send(f"PRIVMSG #team :line {n}")
    phone.send("PING :in-order")
    phone.expect("PONG")
    for n in range(20):
        laptop.expect(rf"PRIVMSG #team :line {n}$")

    a.signal(signal.SIGKILL)  # alpha dies: beta finds it lost and closes what it carried there, saying why
    assert phone.expect("^ERROR ", timeout=30).endswith("(The server holding your session went away)")
    assert phone.closed()
    again = sasl_line_client(b.ports["irc"], "alice", "alice-password", account="alice@phone")
    again.expect(" 001 alice ")  # alpha's alice is gone: the phone is alice on beta now
    again.send("JOIN #team")
    again.expect(" 366 alice #team ")


def sessions(client) -> list[str]:
    """What NickServ SESSIONS lists for ``client``'s person: a line per connection."""
    client.send("NickServ SESSIONS")
    client.expect(r"NOTICE \S+ :You are connected \d+ time")
    client.send("PING :listed")
    return [line.split(" :", 1)[1] for line in client.until("PONG") if re.search(r"NOTICE \S+ :\d+: ", line)]


def test_a_browser_closed_on_one_node_ends_its_connection_on_the_other(pair):
    a, b = pair
    register(a, "carol")
    laptop = sasl_line_client(a.ports["irc"], "carol", "carol-password")
    laptop.expect(" 001 carol ")
    with connect(f"ws://127.0.0.1:{b.ports['http']}/ws", subprotocols=["chatd.v1"]) as web:
        web.send(json.dumps({"type": "login", "name": "carol@browser", "password": "carol-password", "id": 1}))
        web.send(json.dumps({"type": "hello", "nick": "carol", "id": 2}))
        assert web_frame(web, "welcome")["nick"] == "carol"
        web.send(b'{"type": "ping"}')  # binary: refused as on any server, not passed on as text
        assert web_frame(web, "error")["code"] == "binary"
        listed = sessions(laptop)
        assert len(listed) == 2 and listed[1].startswith("2: web (browser) from 127.0.0.1")
    wait_until(lambda: len(sessions(laptop)) == 1, 10, what="the browser's connection gone on alpha")


def test_a_terminal_on_the_other_node_is_one_more_device(pair):
    a, b = pair
    laptop = laptop_in_team(a)
    bob = irc_client(b.ports["irc"], "bob")
    bob.send("JOIN #team")
    bob.expect(" 366 ")

    terminal = LineClient(b.ports["telnet"])  # beta greets it; alpha, holding alice, runs it
    terminal.expect("Pick a nick")
    terminal.send(b"\xff\xfd\x01\xff\xfd\x03")  # DO ECHO, DO SGA: keys as typed, the server edits the line
    terminal.send("/login alice alice-password")
    terminal.expect("Hello alice")
    terminal.expect(r"You are in #team \(2\)")  # alice and bob
    bob.send("PRIVMSG #team :hello terminal")
    terminal.expect(r"#team <bob> hello terminal$")
    laptop.expect(r"PRIVMSG #team :hello terminal$")
    terminal.send(b"half a li")
    terminal.send(b"\xff\xf4\xff\xfd\x06")  # Ctrl-C (IAC IP, DO TIMING-MARK): the line is dropped where it is edited
    terminal.expect("Interrupted. /quit leaves the chat.")
    terminal.send(b"\xff\xfb\x1f\xff\xfa\x1f\x00\x28\x00\x18\xff\xf0")  # WILL NAWS; 40 columns wide now
    terminal.send(b"x" * 30 + b"y" * 30)  # scrolled sideways where it is edited: 32 columns after the prompt
    wait_until(lambda: terminal._pump(0.2) and b"#team> xx" + b"y" * 30 in terminal.buffer, 10,
               what="the long line drawn for 40 columns")
    terminal.send(b"\x15")  # Ctrl-U: the line is empty again
    terminal.send("typed on a terminal")  # a plain line: to the room it is in
    bob.expect(r"^:alice!\S+ PRIVMSG #team :typed on a terminal$")
    assert not [line for line in bob.lines if "half a li" in line]
    laptop.expect(r"^:alice!\S+ PRIVMSG #team :typed on a terminal$")

    terminal.send("/quit")
    assert terminal.closed()
    laptop.send("PRIVMSG #team :still one alice")
    bob.expect("still one alice")
    assert not [line for line in bob.lines if " QUIT " in line]


def test_a_web_irc_client_on_the_other_node_is_one_more_device(pair):
    a, b = pair
    laptop = laptop_in_team(a)
    with contextlib.ExitStack() as stack:
        kiwi = WebIRC(stack, b.ports["http"])  # IRC over WebSocket on beta, carried to alpha
        kiwi.send("CAP REQ :sasl")
        kiwi.send("NICK alice")
        kiwi.send("USER alice 0 * :Alice")
        kiwi.send("AUTHENTICATE PLAIN")
        kiwi.expect("AUTHENTICATE +")
        kiwi.send("AUTHENTICATE " + base64.b64encode(b"\0alice@kiwi\0alice-password").decode())
        kiwi.expect(" 903 ")
        kiwi.send("CAP END")
        kiwi.expect(" 001 alice ")
        kiwi.expect(" 366 alice #team ")
        kiwi.send("PRIVMSG #team :from kiwi")
        assert laptop.expect(r"PRIVMSG #team :from kiwi$").startswith(":alice!")
        laptop.send("PRIVMSG #team :from the laptop")
        kiwi.expect("PRIVMSG #team :from the laptop")


def test_a_carried_connection_keeps_its_client_certificate(tmp_path, redis):  # noqa: F811
    """The node a TLS client reached saw its certificate: the node holding the person uses it
    (NickServ CERT ADD), and the certificate then signs the next device in (SASL EXTERNAL)."""
    server_key, server_cert = make_certificate(tmp_path, "localhost")
    (tmp_path / "client").mkdir()
    key, cert = make_certificate(tmp_path / "client", "alice-phone", serial=11)
    a = in_sync(node(tmp_path, redis, "alpha"))
    b = in_sync(node(tmp_path, redis, "beta", "--irc-tls",
                     f"ssl:0:interface=127.0.0.1:privateKey={server_key}:certKey={server_cert}"))
    try:
        laptop = laptop_in_team(a)
        phone = TLSLineClient(b.ports["irc-tls"], cert, key)
        signed_in_with(phone, "PLAIN", base64.b64encode(b"\0alice\0alice-password").decode())
        phone.expect(" 366 alice #team ")
        phone.send("NICKSERV CERT ADD")
        phone.expect("NickServ.*now logs in")
        tablet = TLSLineClient(b.ports["irc-tls"], cert, key)
        signed_in_with(tablet, "EXTERNAL", "+")
        tablet.expect(" 366 alice #team ")
        laptop.send("NickServ SESSIONS")
        laptop.expect("You are connected 3 time")
    finally:
        a.kill()
        b.kill()


def authenticated(client, nick: str, mechanism: str, answer: str):
    """``client`` through SASL (``mechanism``, one ``answer``) under ``nick``, before CAP END."""
    client.send("CAP REQ :sasl")
    client.send(f"NICK {nick}")
    client.send(f"USER {nick} 0 * :{nick}")
    client.send(f"AUTHENTICATE {mechanism}")
    client.expect(r"^AUTHENTICATE \+$")
    client.send(f"AUTHENTICATE {answer}")
    client.expect(" 903 ")
    return client


def signed_in_with(client, mechanism: str, answer: str) -> None:
    authenticated(client, "alice", mechanism, answer).send("CAP END")
    client.expect(" 001 alice ")


def test_two_devices_signing_in_at_once_on_two_nodes_are_one_person(pair):
    """The laptop and the phone finish signing in in the same instant, one on each node: whichever
    claims the nick first holds the person, and the other, finding the nick taken before it has
    heard of them, waits for their arrival and joins them (no 433)."""
    a, b = pair
    for n in range(8):
        name = f"twin{n}"
        register(a, name)
        devices = []
        for daemon, device in ((a, "laptop"), (b, "phone")):
            login = base64.b64encode(f"\0{name}@{device}\0{name}-password".encode()).decode()
            devices.append(authenticated(LineClient(daemon.ports["irc"]), name, "PLAIN", login))
        for client in devices:  # both registrations go at once
            client.send("CAP END")
        for client in devices:
            welcome = client.expect(r" (001|433) \S+ ")
            assert f" 001 {name} " in welcome, welcome
        devices[0].send("NickServ SESSIONS")
        devices[0].expect("You are connected 2 time")
        for client in devices:
            client.send("QUIT")
