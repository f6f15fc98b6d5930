"""State files (accounts with password hashes and the token key, private history) are the owner's alone."""

from __future__ import annotations

import os
import stat

import pytest

from .support.processes import Daemon
from .support.sockets import LineClient, irc_register

pytestmark = pytest.mark.integration


def modes(folder):
    return {str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*")}


def test_state_files_are_0600_whatever_the_umask(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    old = state / "history.sqlite3"
    old.touch(mode=0o644)  # left by an older version, under a lax umask
    os.chmod(old, 0o644)
    previous = os.umask(0o022)  # the daemon inherits it
    try:
        d = Daemon(state_dir=tmp_path).start()
    finally:
        os.umask(previous)
    try:
        c = LineClient(d.ports["irc"])
        irc_register(c, "ann")
        c.send("REGISTER * * :ann-password")
        c.expect("REGISTER SUCCESS")
        c.send("JOIN #files")
        c.send("PRIVMSG #files :kept")
        c.send("PING :written")
        c.expect("PONG .*written")
        running = modes(state)
        assert {"accounts.sqlite3", "history.sqlite3"} <= set(running)
        assert any(name.endswith("-wal") for name in running)  # the write-ahead log is open
        assert {name: mode for name, mode in running.items() if mode & 0o077} == {}
    finally:
        d.stop()
    assert {name: mode for name, mode in modes(state).items() if mode & 0o077 and name != "."} == {}
