"""SIGHUP and REHASH read the whole configuration again, against a real daemon."""

from __future__ import annotations

import signal

import pytest

from chatd.accounts.passwords import scrypt_hash

from .support.processes import Daemon
from .support.sockets import LineClient, irc_client

pytestmark = pytest.mark.integration


def operators(*names):
    """``[[operators]]`` tables (last in the file: the keys after a table belong to it)."""
    return "".join(f'[[operators]]\nname = "{n}"\npassword = "{scrypt_hash(n + "-password")}"\n' for n in names)


def oper(client, name):
    client.send(f"OPER {name} {name}-password")
    return client.expect(r" (381|464) ").split()[1]


def test_sighup_adds_an_operator_and_a_bad_file_keeps_the_running_configuration(tmp_path):
    config = tmp_path / "chatd.toml"
    config.write_text('log-level = "info"\n' + operators("root"))
    d = Daemon("--config", str(config), state_dir=tmp_path).start()
    try:
        port = d.ports["irc"]
        newbie = irc_client(port, "newbie")
        assert oper(newbie, "newop") == "464"
        config.write_text('log-level = "info"\nlogin-attempts = 9\nnicklen = 20\n' + operators("root", "newop"))
        d.signal(signal.SIGHUP)
        line = d.wait_for_log(lambda text: text if "reload:" in text else None, what="the reload's log line")
        assert "changed login-attempts, operators" in line and "after a restart only: nicklen" in line
        assert oper(newbie, "newop") == "381"

        # A broken file is refused as a whole: the operators stay as they were.
        config.write_text("flood-rate = -1\n" + operators("root"))
        newbie.send("REHASH")
        refused = newbie.expect(r"FAIL REHASH CONFIG_ERROR")
        assert "--flood-rate must not be negative" in refused
        other = irc_client(port, "other")
        assert oper(other, "newop") == "381"

        # A good file through REHASH: 382 naming the file, then what changed.
        config.write_text('log-level = "debug"\nlogin-attempts = 9\nnicklen = 20\n' + operators("root"))
        newbie.send("REHASH")
        assert newbie.expect(r" 382 newbie chatd\.toml :Rehashing")
        assert "changed log-level, operators" in newbie.expect(r"NOTICE newbie :Reloaded")
        third = irc_client(port, "third")
        assert oper(third, "newop") == "464"
        third.send("REHASH")  # not an operator
        assert third.expect(r" 481 third ")
    finally:
        d.kill()


def test_sighup_applies_limits_proxies_and_the_motd_to_new_connections(tmp_path):
    import json

    from websockets.sync.client import connect

    (tmp_path / "first.motd").write_text("the first message of the day\n")
    (tmp_path / "second.motd").write_text("the second message of the day\n")
    config = tmp_path / "chatd.toml"
    config.write_text(f'max-per-address = 10\nmotd-file = "{tmp_path / "first.motd"}"\n')
    d = Daemon("--config", str(config), "--no-cloaks", state_dir=tmp_path).start()
    try:
        port = d.ports["irc"]
        first = irc_client(port, "first")
        config.write_text(f'max-per-address = 2\nmotd-file = "{tmp_path / "second.motd"}"\n'
                          'trusted-proxies = "127.0.0.1"\n')
        d.signal(signal.SIGHUP)
        line = d.wait_for_log(lambda text: text if "reload:" in text else None, what="the reload's log line")
        assert "changed max-per-address, motd-file, trusted-proxies" in line
        assert "after a restart only" not in line

        second = irc_client(port, "second")  # the second from this address: still let in
        second.send("MOTD")
        assert second.expect(" 372 ").endswith("the second message of the day")
        third = LineClient(port)  # the third: over the new bound
        assert third.closed()

        # 127.0.0.1 is a trusted proxy now: its X-Forwarded-For names the browser.
        with connect(f"ws://127.0.0.1:{d.ports['http']}/ws", subprotocols=["chatd.v1"],
                     additional_headers={"X-Forwarded-For": "192.0.2.44"}) as ws:
            ws.send(json.dumps({"type": "hello", "nick": "proxied", "id": 1}))
            while json.loads(ws.recv(timeout=10)).get("type") != "welcome":
                pass
            first.send("WHOIS proxied")
            assert first.expect(" 311 first proxied ").split()[5] == "192.0.2.44"
    finally:
        d.kill()
