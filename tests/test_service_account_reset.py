"""An operator's way back into an account, against a real daemon: ``python -m chatd.account``
(a new password, from a pipe or generated; the sessions; revoke) and the admin API's
``/api/v1/accounts/...``, each ending the account's saved sessions while the daemon runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from websockets.sync.client import connect

from tests.support.processes import Daemon
from tests.test_api_posting import ROOT, apikey, call

pytestmark = pytest.mark.integration


def account_tool(state: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chatd.account", "--state-dir", state, *args], input=stdin,
                          capture_output=True, text=True, cwd=str(ROOT), timeout=60)


def web_login(port: int, **fields: str) -> dict:
    """One sign-in over a real WebSocket: the server's answer to a ``login`` (or ``register``)."""
    kind = fields.pop("kind", "login")
    with connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["chatd.v1"]) as ws:
        ws.send(json.dumps({"type": kind, "id": 1, **fields}))
        while True:
            frame = json.loads(ws.recv(timeout=10))
            if frame.get("id") == 1:
                return frame


def test_the_operator_resets_a_password_and_ends_the_sessions_with_the_cli(tmp_path):
    state = str(tmp_path / "state")
    daemon = Daemon("--state-dir", state, state_dir=tmp_path).start()
    try:
        port = daemon.ports["http"]
        made = web_login(port, kind="register", name="alice", password="alice-password")
        assert made["type"] == "logged_in"
        listed = account_tool(state, "sessions", "alice")
        assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 1, listed.stderr
        reset = account_tool(state, "passwd", "alice", stdin="a-new-password\n")
        assert reset.returncode == 0 and "1 session(s) ended" in reset.stdout, reset.stderr
        assert web_login(port, token=made["token"])["code"] == "bad_login"  # at once, no restart
        assert web_login(port, name="alice", password="a-new-password")["type"] == "logged_in"
        generated = account_tool(state, "passwd", "ALICE", "--generate")
        password = generated.stdout.strip().splitlines()[-1]
        assert generated.returncode == 0 and len(password) >= 16
        again = web_login(port, name="alice", password=password)
        assert again["type"] == "logged_in"
        ended = account_tool(state, "revoke", "alice")
        assert ended.returncode == 0 and "1 session(s) of alice ended" in ended.stdout
        assert web_login(port, token=again["token"])["code"] == "bad_login"
        weak = account_tool(state, "passwd", "alice", stdin="short\n")
        assert weak.returncode == 1 and weak.stderr.strip().startswith("chatd.account: ") and "8" in weak.stderr
        unknown = account_tool(state, "revoke", "nobody")
        assert unknown.returncode == 1 and "no account is named 'nobody'" in unknown.stderr
    finally:
        daemon.kill()


def test_an_admin_key_resets_a_password_and_ends_the_sessions_over_the_api(tmp_path):
    state = str(tmp_path / "state")
    admin = apikey(state, "create", "ops", "--scope", "admin")
    mod = apikey(state, "create", "mods", "--scope", "moderate")
    daemon = Daemon("--state-dir", state, state_dir=tmp_path).start()
    try:
        port = daemon.ports["http"]
        made = web_login(port, kind="register", name="bob", password="bob-password")
        assert call(port, "PUT", "/api/v1/accounts/bob/password", mod, {"password": "x" * 12})[0] == 403
        status, found = call(port, "GET", "/api/v1/accounts/bob/sessions", admin)
        assert status == 200 and len(found["sessions"]) == 1
        status, answer = call(port, "PUT", "/api/v1/accounts/bob/password", admin, {"password": "short"})
        assert status == 400 and answer["error"] == "weak_password"
        status, answer = call(port, "PUT", "/api/v1/accounts/bob/password", admin, {"password": "bob-new-password"})
        assert status == 200 and answer == {"account": "bob", "revoked": 1}
        assert web_login(port, token=made["token"])["code"] == "bad_login"
        again = web_login(port, name="bob", password="bob-new-password")
        assert again["type"] == "logged_in"
        status, answer = call(port, "DELETE", "/api/v1/accounts/bob/sessions", admin)
        assert status == 200 and answer["revoked"] == 1
        assert web_login(port, token=again["token"])["code"] == "bad_login"
        status, answer = call(port, "DELETE", "/api/v1/accounts/nobody/sessions", admin)
        assert status == 404 and answer["error"] == "not_found"
    finally:
        daemon.kill()
