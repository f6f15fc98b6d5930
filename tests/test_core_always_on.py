"""Always-on against a real daemon: an account that stays in its rooms, shown away, when its last
connection closes; messages to it wait and are shown when it comes back (on any device); it
survives a restart of the daemon; a KILL or a server ban still makes it leave; guests never stay."""

from __future__ import annotations

import json

import pytest

from .support.processes import Daemon
from .support.sockets import LineClient, irc_client
from .support.waiting import wait_until
from .test_irc_multiclient import register, sasl_line_client

pytestmark = pytest.mark.integration


def sasl(port: int, login: str, password: str) -> LineClient:
    """Signed in as ``login`` (``alice@laptop``: alice's laptop), under the account's nick, welcomed."""
    nick = login.split("@")[0]
    client = sasl_line_client(port, nick, password, account=login)
    client.expect(f" 001 {nick} ")
    return client


def registered_in(daemon: Daemon, name: str, room: str) -> LineClient:
    """A new account ``name`` (password ``<name>-password``), logged in and in ``room``."""
    client = irc_client(daemon.ports["irc"], name)
    client.send(f"REGISTER * * :{name}-password")
    client.expect(f"REGISTER SUCCESS {name} ")
    client.send(f"JOIN {room}")
    client.expect(f" 366 {name} {room} ")
    return client


def settled(client: LineClient) -> list[str]:
    client.send("PING :settled")
    return client.until("PONG")


def test_an_always_on_account_stays_waits_for_messages_and_survives_a_restart(tmp_path):
    args = ("--always-on", "--flood-rate", "0", "--absent-message", "Gone home")
    daemon = Daemon(*args, state_dir=tmp_path).start()
    try:
        irc = daemon.ports["irc"]
        register(daemon, "alice")
        alice = sasl(irc, "alice@laptop", "alice-password")
        alice.send("JOIN #team")
        alice.expect(" 366 alice #team ")
        bob = irc_client(irc, "bob", "away-notify")
        bob.send("JOIN #team")
        bob.expect(" 366 ")

        alice.send("QUIT :closing the laptop")
        assert alice.closed()
        assert bob.expect(r"^:alice!\S+ AWAY :Gone home$")  # not a QUIT: she stays
        bob.send("NAMES #team")
        assert "alice" in bob.expect(" 353 bob ")
        bob.send("PRIVMSG alice :see you tomorrow?")
        assert bob.expect(" 301 bob alice ").endswith(":Gone home")
        bob.send("PRIVMSG #team :standup moved to ten")
        guest = irc_client(irc, "carol")
        guest.send("NICK alice")
        guest.expect(" 433 carol alice ")
        guest.send("QUIT")
        assert guest.closed()
    finally:
        assert daemon.stop() == 0  # SIGTERM: a clean stop writes down who stays

    daemon = Daemon(*args, state_dir=tmp_path).start()  # a restart: alice is still there
    try:
        irc = daemon.ports["irc"]
        bob = irc_client(irc, "bob", "away-notify")
        bob.send("JOIN #team")
        joined = bob.until(" 366 bob #team ")
        assert any(" 353 bob " in line and "alice" in line for line in joined)
        bob.send("WHOIS alice")
        assert bob.expect(" 301 bob alice ").endswith(":Gone home")

        alice = sasl(irc, "alice@laptop", "alice-password")  # back: her rooms, what she missed, not away
        burst = alice.until(r"PRIVMSG #team :standup moved to ten$")
        assert any(line.endswith(" JOIN #team") for line in burst)
        assert any("see you tomorrow?" in line for line in burst + settled(alice))
        assert bob.expect(r"^:alice!\S+ AWAY$")
        bob.send("PRIVMSG alice :welcome back")
        assert not [line for line in settled(bob) if " 301 " in line]
        alice.expect("welcome back")

        # Turned off, the next close is a quit; a KILL of someone absent makes them leave too.
        alice.send("PRIVMSG NickServ :SET ALWAYSON OFF")
        alice.expect("You leave your rooms when your last connection closes")
        alice.send("QUIT :bye")
        bob.expect(r"^:alice!\S+ QUIT :Quit: bye$")
        # The file forgets her within a second, without waiting for a clean stop: a crash now keeps her out.
        kept = tmp_path / "state" / "always-on.json"
        wait_until(lambda: json.loads(kept.read_text()) == [], 10, what="always-on.json without alice")
    finally:
        daemon.kill()
    daemon = Daemon(*args, state_dir=tmp_path).start()  # after a kill -9: she was not kept
    try:
        bob = irc_client(daemon.ports["irc"], "bob")
        bob.send("WHOIS alice")
        bob.expect(" 401 bob alice ")
    finally:
        daemon.kill()


def test_a_kill_makes_an_absent_person_leave_and_guests_never_stay(tmp_path):
    from .test_service_reload import oper, operators

    config = tmp_path / "chatd.toml"
    config.write_text(operators("root"))
    daemon = Daemon("--always-on", "--config", str(config), state_dir=tmp_path).start()
    try:
        irc = daemon.ports["irc"]
        maker = registered_in(daemon, "dora", "#ops")
        watcher = irc_client(irc, "watcher", "away-notify")
        watcher.send("JOIN #ops")
        watcher.expect(" 366 ")
        guest = irc_client(irc, "visitor")
        guest.send("JOIN #ops")
        guest.expect(" 366 ")
        guest.send("QUIT :just looking")
        watcher.expect(r"^:visitor!\S+ QUIT ")  # a guest is never kept
        maker.send("QUIT")
        watcher.expect(r"^:dora!\S+ AWAY :Not connected$")

        root = irc_client(irc, "root")
        assert oper(root, "root") == "381"
        root.send("KILL dora :spam")
        watcher.expect(r"^:dora!\S+ QUIT ")
        root.send("WHOIS dora")
        root.expect(" 401 root dora ")
    finally:
        daemon.kill()


def test_one_device_each_still_comes_back_to_an_absent_self(tmp_path):
    daemon = Daemon("--always-on", "--devices-per-account", "1", state_dir=tmp_path).start()
    try:
        irc = daemon.ports["irc"]
        maker = registered_in(daemon, "erin", "#one")
        maker.send("QUIT")
        assert maker.closed()
        back = sasl(irc, "erin", "erin-password")  # the nick is held by erin herself, absent: she is back
        back.until(" 366 erin #one ")
        second = LineClient(irc)  # while she is connected, a second device is one too many
        second.send("CAP REQ :sasl")
        second.send("NICK erin")
        second.send("USER erin 0 * :erin")
        second.expect(" 433 \\* erin ")
    finally:
        daemon.kill()
