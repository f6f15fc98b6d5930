"""The HTTP API against a real daemon: keys from ``python -m chatd.apikey``, posts seen on IRC and
telnet, history over HTTP, and the refusals (401, 403, 404, 400, 413, revocation without a restart)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any, Optional

import pytest

from tests.support.processes import ROOT, Daemon
from tests.support.sockets import LineClient

pytestmark = pytest.mark.integration


def apikey(state: str, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "chatd.apikey", "--state-dir", state, *args],
                            capture_output=True, text=True, cwd=str(ROOT), timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def call(port: int, method: str, path: str, key: Optional[str], body: Any = None,
         raw: Optional[bytes] = None, content_type: str = "application/json") -> tuple[int, Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture
def api(tmp_path):
    state = str(tmp_path / "state")
    post_key = apikey(state, "create", "ci", "--scope", "post,read")
    read_key = apikey(state, "create", "reader", "--scope", "read")
    d = Daemon("--state-dir", state, state_dir=tmp_path).start()
    yield d, state, post_key, read_key
    d.kill()


def irc_in(port: int, nick: str, room: str) -> LineClient:
    client = LineClient(port)
    client.send(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\nJOIN {room}\r\n")
    client.expect(f" 366 {nick} {room} ")
    return client


def test_a_post_reaches_irc_and_telnet_users_and_history(api):
    daemon, state, key, _ = api
    irc = irc_in(daemon.ports["irc"], "wendy", "#ops")
    telnet = LineClient(daemon.ports["telnet"])
    telnet.expect("nick")
    telnet.send("tina\r\n/join #ops\r\n")
    telnet.expect("#ops")
    status, answer = call(daemon.ports["http"], "POST", "/api/v1/rooms/ops/messages", key,
                          {"text": "deploy finished"})
    assert status == 201, answer
    assert answer["from"] == "ci" and answer["stored"] is True and answer["id"]
    irc.expect(r":ci!ci@api JOIN #ops")
    irc.expect(r":ci!ci@api PRIVMSG #ops :deploy finished")
    telnet.expect("deploy finished")
    status, page = call(daemon.ports["http"], "GET", "/api/v1/rooms/%23ops/messages?limit=5", key)
    assert status == 200 and [m["id"] for m in page["messages"]] == [answer["id"]]
    assert page["messages"][0]["text"] == "deploy finished" and page["messages"][0]["bot"] is True
    status, room = call(daemon.ports["http"], "GET", "/api/v1/rooms/ops", key)
    members = {m["nick"]: m for m in room["members"]}
    assert status == 200 and members["ci"]["bot"] and members["ci"]["protocol"] == "api"
    assert members["wendy"]["protocol"] == "irc"


def test_refusals_are_json_with_the_right_status(api):
    daemon, state, key, read_key = api
    port = daemon.ports["http"]
    wendy = irc_in(daemon.ports["irc"], "wendy", "#ops")  # holds the nick (and the room) throughout
    assert call(port, "GET", "/api/v1/rooms", None)[0] == 401
    status, answer = call(port, "GET", "/api/v1/rooms", "chatd_wrong")
    assert status == 401 and answer["error"] == "unauthorized"
    status, answer = call(port, "POST", "/api/v1/rooms/ops/messages", read_key, {"text": "hi"})
    assert status == 403 and answer["error"] == "forbidden"
    status, answer = call(port, "POST", "/api/v1/rooms/nowhere/messages", key, {"text": "hi"})
    assert status == 404 and answer["error"] == "no_such_room"
    status, answer = call(port, "POST", "/api/v1/rooms/ops/messages", key, raw=b'{"text":')
    assert status == 400 and answer["error"] == "bad_json"
    status, answer = call(port, "POST", "/api/v1/rooms/ops/messages", key, {"text": 5})
    assert status == 400 and answer["error"] == "bad_field"
    status, answer = call(port, "POST", "/api/v1/rooms/ops/messages", key, {"text": "hi", "as": "wendy"})
    assert status == 409 and answer["error"] == "nick_in_use"
    status, answer = call(port, "POST", "/api/v1/rooms/ops/messages", key, {"text": "x" * 70000})
    assert status == 413 and answer["error"] == "too_large"
    status, answer = call(port, "GET", "/api/v1/nothing", key)
    assert status == 404 and answer["error"] == "not_found"
    wendy.close()


def test_a_revoked_key_fails_at_once_without_a_restart(api):
    daemon, state, key, _ = api
    port = daemon.ports["http"]
    assert call(port, "GET", "/api/v1/rooms", key)[0] == 200
    apikey(state, "revoke", "ci")
    assert call(port, "GET", "/api/v1/rooms", key)[0] == 401


def test_an_incoming_slack_style_hook_posts_to_its_room(api):
    daemon, state, _, _ = api
    irc = irc_in(daemon.ports["irc"], "wendy", "#ops")
    url = apikey(state, "hook", "create", "#ops", "alerts")
    path = url.split(str(daemon.ports["http"]), 1)[-1] if "/hooks/" in url else url
    path = path[path.index("/hooks/"):]
    status, answer = call(daemon.ports["http"], "POST", path, None, {"text": "disk full on db1"})
    assert status == 200 and answer["ok"], answer
    irc.expect(r":alerts!\S+@api PRIVMSG #ops :disk full on db1")
    status, answer = call(daemon.ports["http"], "POST", path[:-4] + "0000", None, {"text": "forged"})
    assert status == 404


def test_a_key_over_its_rate_gets_429_with_retry_after(tmp_path):
    state = str(tmp_path / "state")
    key = apikey(state, "create", "ci", "--scope", "read")
    other = apikey(state, "create", "other", "--scope", "read")
    daemon = Daemon("--state-dir", state, "--api-rate", "0.1", "--api-burst", "2", state_dir=tmp_path).start()
    try:
        port = daemon.ports["http"]
        assert [call(port, "GET", "/api/v1/rooms", key)[0] for _ in range(2)] == [200, 200]
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/rooms",
                                         headers={"Authorization": f"Bearer {key}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 429 and json.loads(refused.value.read())["error"] == "rate_limited"
        assert 1 <= int(refused.value.headers["Retry-After"]) <= 10
        assert call(port, "GET", "/api/v1/rooms", other)[0] == 200  # counted per key
    finally:
        daemon.kill()
