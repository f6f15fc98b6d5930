"""SIGHUP and REHASH read the whole configuration again, against a real daemon."""

from __future__ import annotations

import signal

import pytest

from chatd.accounts.passwords import scrypt_hash

from .support.processes import Daemon
from .support.sockets import irc_client

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
