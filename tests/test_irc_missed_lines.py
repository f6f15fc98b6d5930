"""What an IRC client without chathistory missed in its rooms, per device, against a real daemon:
signed in as ``alice@laptop`` or ``alice@phone``, each device that comes back gets the room's lines
said since it left (with server-time when it asked), once; a device that was there live gets
nothing again; the bound on lines is said in the notice; guests get nothing."""

from __future__ import annotations

import base64

import pytest

from .support.processes import Daemon
from .support.sockets import LineClient, irc_client

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon("--flood-rate", "0", "--missed-lines", "5", state_dir=tmp_path_factory.mktemp("missed")).start()
    yield d
    d.kill()


def device(daemon: Daemon, login: str, caps: str = "") -> LineClient:
    """alice on a device (``alice@phone``), registered, past the welcome (and any attach burst)."""
    client = LineClient(daemon.ports["irc"])
    client.send(f"CAP REQ :{' '.join(['sasl', *caps.split()])}")
    client.send("NICK alice")
    client.send("USER alice 0 * :alice")
    client.send("AUTHENTICATE PLAIN")
    client.expect(r"^AUTHENTICATE \+$")
    client.send("AUTHENTICATE " + base64.b64encode(f"\0{login}\0alice-password".encode()).decode())
    client.expect(" 903 ")
    client.send("CAP END")
    client.expect(" 001 alice ")
    return client


def leave(client: LineClient) -> None:
    client.send("QUIT")
    assert client.closed()


def settled(client: LineClient) -> list[str]:
    """Everything the client got until the answer to a PING sent now (so all before it has arrived)."""
    client.send("PING :settled")
    return client.until("PONG")


def test_each_device_catches_up_once_on_what_it_missed(daemon):
    maker = irc_client(daemon.ports["irc"], "alice")
    maker.send("REGISTER * * :alice-password")
    maker.expect("REGISTER SUCCESS alice ")
    leave(maker)
    bob = irc_client(daemon.ports["irc"], "bob")
    bob.send("JOIN #team")
    bob.expect(" 366 ")

    laptop = device(daemon, "alice@laptop", "server-time")
    laptop.send("JOIN #team")
    laptop.expect(" 366 alice #team ")
    leave(laptop)
    phone = device(daemon, "alice@phone")
    phone.send("JOIN #team")
    phone.expect(" 366 alice #team ")
    leave(phone)

    bob.send("PRIVMSG #team :while both were away")
    bob.send("PING :sent")
    bob.expect("PONG")

    laptop = device(daemon, "alice@laptop", "server-time")
    laptop.send("JOIN #team")
    assert laptop.expect("NOTICE alice :").endswith(":1 line(s) in #team since you left:")
    assert laptop.expect(r"PRIVMSG #team :while both were away$").startswith("@time=")

    # The phone comes back while the laptop is connected: it joins alice, is shown #team, catches up too.
    phone = device(daemon, "alice@phone")
    burst = phone.until(r"PRIVMSG #team :while both were away$")
    assert any(line.endswith("1 line(s) in #team since you left:") for line in burst)

    # The laptop goes; what is said meanwhile reaches the phone live, and the laptop when it is back.
    leave(laptop)
    bob.send("PRIVMSG #team :only the laptop missed this")
    phone.expect("only the laptop missed this")
    laptop = device(daemon, "alice@laptop")
    lines = laptop.until(r"PRIVMSG #team :only the laptop missed this$")
    assert not any("while both were away" in line for line in lines)  # each line once per device
    assert not [line for line in settled(phone) if "since you left" in line]

    # Bounded: the newest five, and the notice says older ones were left out.
    leave(laptop)
    for number in range(8):
        bob.send(f"PRIVMSG #team :line {number}")
    phone.expect("line 7")
    laptop = device(daemon, "alice@laptop")
    lines = laptop.until(r"PRIVMSG #team :line 7$")
    assert any(line.endswith("5 line(s) in #team since you left; older ones are not shown:") for line in lines)
    assert [line.rsplit(":", 1)[1] for line in lines if " PRIVMSG #team :line " in line] == \
        [f"line {n}" for n in range(3, 8)]


def test_guests_and_chathistory_clients_get_no_replay(daemon):
    carol = irc_client(daemon.ports["irc"], "carol")
    carol.send("JOIN #quiet")
    carol.expect(" 366 ")
    dave = irc_client(daemon.ports["irc"], "dave")
    dave.send("JOIN #quiet")
    dave.expect(" 366 ")
    leave(dave)
    carol.send("PRIVMSG #quiet :dave is gone")
    dave = irc_client(daemon.ports["irc"], "dave")
    dave.send("JOIN #quiet")
    dave.expect(" 366 ")
    assert not [line for line in settled(dave) if "since you left" in line or "dave is gone" in line]
