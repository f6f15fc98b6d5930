"""Writing to someone who is not connected, against a real daemon: a message to a registered
account that nobody is connected to is kept (no 401), shown when its owner signs in (once, on a
client without chathistory; as message frames on the web), bounded per sender; a nick that is
nobody's account is still 401."""

from __future__ import annotations

import base64
import json
import re

import pytest
from websockets.sync.client import connect

from .support.processes import Daemon
from .support.sockets import LineClient, irc_client, irc_register

pytestmark = pytest.mark.integration


def sasl_client(port: int, account: str, password: str) -> LineClient:
    client = LineClient(port)
    client.send("CAP REQ :sasl")
    client.send("AUTHENTICATE PLAIN")
    client.expect("AUTHENTICATE \\+")
    client.send("AUTHENTICATE " + base64.b64encode(f"\0{account}\0{password}".encode()).decode())
    client.expect(" 903 ")
    client.send("CAP END")
    irc_register(client, account)
    return client


def test_a_message_to_an_offline_account_waits_for_its_owner(tmp_path):
    daemon = Daemon("--flood-rate", "0", state_dir=tmp_path).start()
    try:
        irc = daemon.ports["irc"]
        alice = irc_client(irc, "alice")
        alice.send("REGISTER * * :alice-password")
        alice.expect("REGISTER SUCCESS alice ")
        alice.send("QUIT :laptop closed")
        assert alice.closed()

        bob = irc_client(irc, "bob")
        bob.send("PRIVMSG alice :are you around tomorrow?")
        assert bob.expect(" 301 bob alice ").endswith(":is offline; your message waits for them")
        bob.send("PRIVMSG nobody :hello?")
        bob.expect(" 401 bob nobody ")

        back = sasl_client(irc, "alice", "alice-password")
        back.send("PING :after-welcome")  # answered after what the welcome shows, never before
        lines = back.until("PONG")
        told = [line for line in lines if "came while you were away" in line]
        assert told and "1 message(s)" in told[0]
        assert any(re.match(r"^:bob!\S+ PRIVMSG alice :are you around tomorrow\?$", line) for line in lines)
        back.send("QUIT")
        assert back.closed()

        again = sasl_client(irc, "alice", "alice-password")  # shown once: it counts as read now
        again.send("PING :after")
        lines = again.until("PONG")
        assert not any("came while you were away" in line for line in lines)
        again.send("QUIT")
        assert again.closed()

        bob.send("PRIVMSG alice :one more, for the browser")
        bob.expect(" 301 bob alice ")
        with connect(f"ws://127.0.0.1:{daemon.ports['http']}/ws", subprotocols=["chatd.v1"]) as ws:
            ws.send(json.dumps({"type": "login", "name": "alice", "password": "alice-password", "id": 1}))
            ws.send(json.dumps({"type": "hello", "nick": "alice", "id": 2}))
            frames = []
            while not any(f.get("type") == "message" for f in frames):
                frames.append(json.loads(ws.recv(timeout=10)))
        kept = [f for f in frames if f.get("type") == "message"]
        assert [(f["from"], f["text"]) for f in kept] == [("bob", "one more, for the browser")]
        assert [f["type"] for f in frames][:2] == ["logged_in", "welcome"]

        # Bounded: one sender leaves at most 30 an hour for one offline account.
        for i in range(28):
            bob.send(f"PRIVMSG alice :note {i}")
        bob.send("PRIVMSG alice :one too many")
        assert "enough messages waiting" in bob.expect(r"NOTICE bob :.*enough messages waiting")
    finally:
        daemon.kill()
