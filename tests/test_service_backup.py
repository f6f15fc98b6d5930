"""``python -m chatd.backup`` against a running daemon: a copy taken while messages are being
written holds every committed message and a consistent prefix of the rest, restores into a
fresh daemon (history and accounts), and an export gives a room's or an account's messages."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys

import pytest
from websockets.sync.client import connect

from tests.support.parts import ROOT
from tests.support.processes import Daemon
from tests.support.sockets import irc_client

pytestmark = pytest.mark.integration

BURST = 4000


def backup(state, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chatd.backup", "--state-dir", str(state), *args],
                          capture_output=True, text=True, cwd=str(ROOT), timeout=120)


def request(ws, frame: dict, request_id: int) -> dict:
    """One request on an open socket, and its answer."""
    ws.send(json.dumps({**frame, "id": request_id}))
    return answer(ws, request_id)


def answer(ws, request_id: int) -> dict:
    while True:
        frame = json.loads(ws.recv(timeout=15))
        if frame.get("id") == request_id:
            return frame


def test_copy_while_writing_restore_and_export(tmp_path):
    state = tmp_path / "state"
    daemon = Daemon("--flood-rate", "0", state_dir=tmp_path).start()
    try:
        http = daemon.ports["http"]
        with connect(f"ws://127.0.0.1:{http}/ws", subprotocols=["chatd.v1"]) as ws:
            assert request(ws, {"type": "register", "name": "alice", "password": "alice-password"}, 1)["type"] \
                == "logged_in"
            request(ws, {"type": "hello", "nick": "alice"}, 2)
            request(ws, {"type": "join", "room": "#keep"}, 3)
            for i in range(200):  # each ack comes once its message is committed
                ws.send(json.dumps({"type": "msg", "to": "#keep", "text": f"kept {i}", "id": 100 + i}))
            acks = [answer(ws, 100 + i) for i in range(200)]
            assert all(a["type"] == "ack" for a in acks)
            writer = irc_client(daemon.ports["irc"], "writer")
            writer.send("REGISTER * * :writer-password")  # a DM between accounts outlives both sessions
            writer.expect("REGISTER SUCCESS writer ")
            writer.send("JOIN #keep")
            writer.expect(" 366 ")
            writer.send("PRIVMSG alice :a private word")
            sending = writer.send_in_background(
                "".join(f"PRIVMSG #keep :burst {i}\r\n" for i in range(BURST)).encode())
            copied = backup(state, "copy", str(tmp_path / "copy"))  # while the burst is written
            sending.wait()
        assert copied.returncode == 0, copied.stderr
        assert "history.sqlite3" in copied.stdout and "accounts.sqlite3" in copied.stdout
        assert stat.S_IMODE((tmp_path / "copy").stat().st_mode) == 0o700
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (tmp_path / "copy").iterdir())
        db = sqlite3.connect(tmp_path / "copy" / "history.sqlite3")
        texts = [t for (t,) in db.execute("SELECT text FROM messages WHERE target='#keep' ORDER BY id")]
        db.close()
        assert texts[:200] == [f"kept {i}" for i in range(200)]  # everything committed before
        burst = [int(t.split()[1]) for t in texts[200:]]
        assert burst == list(range(len(burst)))  # a consistent snapshot: a prefix, no holes

        # Exports, from the live state.
        room = backup(state, "export", "--room", "#KEEP")
        lines = [json.loads(line) for line in room.stdout.splitlines()]
        assert room.returncode == 0 and lines[0]["text"] == "kept 0" and lines[0]["room"] == "#keep"
        assert len(lines) >= 200 and f"{len(lines)} messages" in room.stderr
        mine = tmp_path / "alice.txt"
        own = backup(state, "export", "--account", "alice", "--format", "text", str(mine))
        text = mine.read_text()
        assert own.returncode == 0 and stat.S_IMODE(mine.stat().st_mode) == 0o600
        assert "-> alice <writer> a private word" in text and "#keep <alice> kept 199" in text
        assert "burst" not in text  # what others said in rooms is theirs
    finally:
        daemon.stop()

    # Restore: the copy as the state of a fresh daemon.
    restored = tmp_path / "restored"
    restored.mkdir(mode=0o700)
    for path in (tmp_path / "copy").iterdir():
        (restored / path.name).write_bytes(path.read_bytes())
    again = Daemon("--state-dir", str(restored), state_dir=tmp_path).start()
    try:
        with connect(f"ws://127.0.0.1:{again.ports['http']}/ws", subprotocols=["chatd.v1"]) as ws:
            assert request(ws, {"type": "login", "name": "alice", "password": "alice-password"}, 1)["type"] \
                == "logged_in"
            request(ws, {"type": "hello", "nick": "alice"}, 2)
            history = request(ws, {"type": "history", "with": "writer"}, 3)
            assert [m["text"] for m in history["messages"]] == ["a private word"]
            assert request(ws, {"type": "join", "room": "#keep"}, 4)["history"]
    finally:
        again.kill()


def test_copy_refuses_a_folder_that_holds_a_backup_and_a_state_without_stores(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = backup(empty, "copy", str(tmp_path / "out"))
    assert refused.returncode == 1 and "no chatd stores" in refused.stderr
    (tmp_path / "state").mkdir()
    sqlite3.connect(tmp_path / "state" / "history.sqlite3").close()
    assert backup(tmp_path / "state", "copy", str(tmp_path / "out")).returncode == 0
    again = backup(tmp_path / "state", "copy", str(tmp_path / "out"))
    assert again.returncode == 1 and "already holds a backup" in again.stderr

