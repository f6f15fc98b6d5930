"""One person on several devices (multiclient), against a real daemon: two ``irc`` library clients
and a browser's WebSocket signed in to the same account are one ``alice``: each sees what the
others say and join, others see one user, closing one device quits nobody, and the connection cap
per account holds.  Guests stay one connection each."""

from __future__ import annotations

import base64
import json
from contextlib import contextmanager
from typing import Any, Iterator

import pytest
from websockets.sync.client import ClientConnection, connect

from .support.processes import Daemon
from .support.sockets import LibraryIRC, LineClient, irc_client

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon("--flood-rate", "0", "--devices-per-account", "3",
               state_dir=tmp_path_factory.mktemp("multiclient")).start()
    yield d
    d.kill()


def register(daemon: Daemon, name: str) -> None:
    conn = irc_client(daemon.ports["irc"], name)
    conn.send(f"REGISTER * * :{name}-password")
    conn.expect(f"REGISTER SUCCESS {name} ")
    conn.send("QUIT")
    assert conn.closed()


def sasl_line_client(port: int, nick: str, password: str, caps: str = "", account: str = "") -> LineClient:
    """A raw IRC client that signs in to ``account`` (default: ``nick``) with SASL PLAIN under ``nick``;
    returns before the welcome."""
    client = LineClient(port)
    client.send("CAP LS 302")
    client.send(f"CAP REQ :{' '.join(['sasl', *caps.split()])}")
    client.send(f"NICK {nick}")
    client.send(f"USER {nick} 0 * :{nick}")
    client.send("AUTHENTICATE PLAIN")
    client.expect(r"^AUTHENTICATE \+$")
    login = account or nick
    client.send("AUTHENTICATE " + base64.b64encode(f"\0{login}\0{password}".encode()).decode())
    client.expect(" 903 ")
    client.send("CAP END")
    return client


@contextmanager
def web_signed_in(daemon: Daemon, name: str) -> Iterator[ClientConnection]:
    with connect(f"ws://127.0.0.1:{daemon.ports['http']}/ws", subprotocols=["chatd.v1"]) as ws:
        ws.send(json.dumps({"type": "login", "name": name, "password": f"{name}-password", "id": 1}))
        ws.send(json.dumps({"type": "hello", "nick": name, "id": 2}))
        yield ws


def web_frame(ws: ClientConnection, kind: str, **fields: Any) -> dict[str, Any]:
    """The next frame of ``kind`` whose fields include ``fields``."""
    while True:
        frame = json.loads(ws.recv(timeout=10))
        if frame.get("type") == kind and all(frame.get(k) == v for k, v in fields.items()):
            return frame


def test_one_person_on_two_irc_clients_and_a_browser(daemon):
    register(daemon, "alice")
    irc = daemon.ports["irc"]
    bob = irc_client(irc, "bob")
    bob.send("JOIN #team")
    bob.expect(" 366 ")

    laptop = LibraryIRC(irc, "alice", sasl=("alice", "alice-password"))
    laptop.conn.join("#team")
    laptop.wait("endofnames")
    # The phone signs in with the same account and nick: it becomes alice too, in alice's rooms.
    phone = sasl_line_client(irc, "alice", "alice-password", caps="echo-message")
    phone.expect(" 001 alice ")
    burst = phone.until(" 366 alice #team ")
    assert any(line.endswith(" JOIN #team") and line.startswith(":alice!") for line in burst)
    assert any(" 353 alice " in line and "bob" in line for line in burst)

    with web_signed_in(daemon, "alice") as web:
        browser_and_irc_devices(bob, laptop, phone, web)


def browser_and_irc_devices(bob: LineClient, laptop: LibraryIRC, phone: LineClient, web: ClientConnection) -> None:
    welcome = web_frame(web, "welcome")
    assert welcome["nick"] == "alice" and welcome["rooms"] == ["#team"]

    # What others say reaches every device.
    bob.send("PRIVMSG #team :morning all")
    laptop.wait("pubmsg", lambda e: e.arguments == ["morning all"])
    phone.expect(r"^:bob!\S+ PRIVMSG #team :morning all$")
    assert web_frame(web, "message", text="morning all")["from"] == "bob"

    # What alice says on one device reaches the others (the phone asked for echoes: it gets its own).
    phone.send("PRIVMSG #team :from my phone")
    assert phone.expect(r"PRIVMSG #team :from my phone$").startswith(":alice!")
    laptop.wait("pubmsg", lambda e: e.arguments == ["from my phone"] and e.source.nick == "alice")
    assert web_frame(web, "message", text="from my phone")["from"] == "alice"
    bob.expect(r"^:alice!\S+ PRIVMSG #team :from my phone$")

    # The laptop did not ask for echoes: the others get its message, it does not get it back.
    laptop.conn.privmsg("#team", "from my laptop")
    phone.expect(r"^:alice!\S+ PRIVMSG #team :from my laptop$")
    bob.expect(r"PRIVMSG #team :from my laptop$")
    web_frame(web, "message", text="from my laptop")
    laptop.conn.privmsg("#team", "second from laptop")
    phone.expect("second from laptop")
    assert not [e for e in laptop.events if e.type == "pubmsg" and e.arguments == ["from my laptop"]]

    # A direct message to alice reaches every device.
    bob.send("PRIVMSG alice :lunch?")
    laptop.wait("privmsg", lambda e: e.arguments == ["lunch?"])
    phone.expect(r"^:bob!\S+ PRIVMSG alice :lunch\?$")
    assert web_frame(web, "message", text="lunch?")["to"] == "alice"

    # Joining on one device joins all of them: JOIN, topic and NAMES on IRC, a joined frame on the web.
    phone.send("JOIN #second")
    phone.expect(" 366 alice #second ")
    laptop.wait("join", lambda e: e.target == "#second" and e.source.nick == "alice")
    laptop.wait("endofnames", lambda e: e.arguments[0] == "#second")
    assert web_frame(web, "joined", room="#second")["members"][0]["nick"] == "alice"
    web.send(json.dumps({"type": "part", "room": "#second", "id": 3}))
    laptop.wait("part", lambda e: e.target == "#second")
    phone.expect(r"^:alice!\S+ PART #second")

    # Others see one alice.
    bob.send("WHOIS alice")
    whois = bob.until(" 318 ")
    assert len([line for line in whois if " 311 bob alice " in line]) == 1
    bob.send("NAMES #team")
    names = bob.expect(" 353 bob ")
    assert names.split(":", 2)[2].split().count("@alice") + names.split(":", 2)[2].split().count("alice") == 1

    # Closing one device quits nobody: bob sees nothing, the others stay in the room.
    laptop.conn.quit("laptop closed")
    laptop.wait("disconnect")  # the server closed it: it has dealt with the QUIT
    phone.send("PRIVMSG #team :still here")
    phone.expect("still here")
    bob.send("PING :after")
    seen = bob.until("PONG")
    assert not [line for line in seen if " QUIT " in line]
    assert any("still here" in line for line in seen)
    web_frame(web, "message", text="still here")

    # A nick change on one device is everyone's.
    phone.send("NICK alice_away")
    phone.expect(r"^:alice!\S+ NICK :?alice_away$")
    assert web_frame(web, "presence", event="nick")["new_nick"] == "alice_away"
    bob.expect(r"^:alice!\S+ NICK :?alice_away$")
    phone.send("NICK alice")
    phone.expect(r"NICK :?alice$")

    # When the last device goes, alice quits (once, whichever of the two the server hears of last).
    web.close()
    phone.send("QUIT :bye")
    bob.expect(r"^:alice!\S+ QUIT ")
    bob.send("PING :done")
    assert not [line for line in bob.until("PONG") if " QUIT " in line]


def test_the_cap_per_account_and_guests(daemon):
    register(daemon, "carol")
    irc = daemon.ports["irc"]
    devices = []
    for _ in range(3):  # --devices-per-account 3
        client = sasl_line_client(irc, "carol", "carol-password")
        client.expect(" 001 carol ")
        devices.append(client)
    fourth = sasl_line_client(irc, "carol", "carol-password")
    refused = fourth.expect(" 433 ")
    assert "too many places" in refused
    # A guest cannot become carol, nor can another account.
    guest = LineClient(irc)
    guest.send("NICK carol")
    guest.send("USER g 0 * :g")
    guest.expect(" 433 \\* carol ")
    register(daemon, "dave")
    dave = sasl_line_client(irc, "carol", "dave-password", account="dave")
    dave.expect(" 433 ")
    # A device that goes frees its place.
    leaving = devices.pop()
    leaving.send("QUIT")
    assert leaving.closed()
    again = sasl_line_client(irc, "carol", "carol-password")
    again.expect(" 001 carol ")


def test_sessions_lists_each_device_and_ends_one(daemon):
    register(daemon, "erin")
    irc = daemon.ports["irc"]
    laptop = sasl_line_client(irc, "erin", "erin-password", account="erin@laptop")
    laptop.expect(" 001 erin ")
    laptop.send("JOIN #erin")
    laptop.expect(" 366 erin #erin ")
    terminal = LineClient(daemon.ports["telnet"])
    terminal.expect("Pick a nick")
    terminal.send("/login erin@phone erin-password")
    terminal.expect("logged in as erin")
    terminal.send("erin")
    terminal.expect("You are in #erin")

    laptop.send("PRIVMSG NickServ :SESSIONS")
    listed = laptop.until(r"NOTICE erin :2: ")
    assert any(line.endswith(":You are connected 2 time(s):") for line in listed)
    first = next(line for line in listed if ":1: " in line)
    assert "1: irc (laptop) from 127.0.0.1, for " in first and first.endswith(" - this one")
    assert "2: telnet (phone) from 127.0.0.1, for " in listed[-1]

    terminal.send("/sessions")
    assert terminal.expect(r"-NickServ- 2: telnet \(phone\)").endswith(" - this one")
    terminal.send("/sessions end 1")  # the laptop was left signed in: closed from the phone
    assert "Ended from another session of yours" in laptop.expect("^ERROR ")
    assert laptop.closed()
    terminal.expect(r"Session 1 \(irc, laptop\) is closed")
    terminal.send("/sessions")
    terminal.expect(r"You are connected 1 time\(s\)")
    terminal.send("/sessions end 5")
    terminal.expect("No session 5: you have 1")
