"""A room's operators make its webhooks from IRC (``/msg ChanServ HOOK``), and a moderate key
over the API (``/api/v1/hooks``), against a real daemon: the URL works at once, only the room's
logged-in operators may, and a removed hook stops posting."""

from __future__ import annotations

import re

import pytest

from tests.support.processes import Daemon
from tests.support.sockets import LineClient
from tests.test_api_posting import apikey, call, irc_in
from tests.test_api_webhooks import Receiver, signed

pytestmark = pytest.mark.integration

PASSWORD = "correct-horse-battery"


@pytest.fixture
def daemon(tmp_path):
    state = str(tmp_path / "state")
    key = apikey(state, "create", "opsbot", "--scope", "moderate", "--rooms", "#ops")
    d = Daemon("--state-dir", state, state_dir=tmp_path).start()
    d.key = key
    yield d
    d.kill()


def operator(port: int, nick: str, room: str) -> LineClient:
    """``nick`` with an account, first into ``room`` (so its operator)."""
    client = irc_in(port, nick, room)
    client.send(f"PRIVMSG NickServ :REGISTER {PASSWORD}\r\n")
    client.expect(r"NOTICE \S+ :Account \S+ registered")
    return client


def chanserv(client: LineClient, text: str) -> str:
    client.send(f"PRIVMSG ChanServ :{text}\r\n")
    return client.expect(r"^:ChanServ!\S+ NOTICE ")


def test_a_room_operator_makes_a_hook_from_irc_lists_it_and_removes_it(daemon):
    wendy = operator(daemon.ports["irc"], "wendy", "#ops")
    chanserv(wendy, "HOOK #ops ADD alerts")
    line = wendy.expect(r"^:ChanServ!\S+ NOTICE wendy :http://")
    url = line.split(" :", 1)[1].strip()
    match = re.fullmatch(rf"http://127\.0\.0\.1:{daemon.ports['http']}/hooks/([0-9a-f]+)/[0-9a-f]+", url)
    assert match, url
    hook_id = match.group(1)
    path = url.split(str(daemon.ports["http"]), 1)[1]
    assert call(daemon.ports["http"], "POST", path, None, {"text": "disk full on db1"})[0] == 200
    wendy.expect(r"^:alerts!\S+ PRIVMSG #ops :disk full on db1")
    listed_line = chanserv(wendy, "HOOK #ops LIST")
    assert listed_line.endswith(f":{hook_id}  hook as alerts, made by account:wendy"), listed_line
    wendy.expect(r"NOTICE wendy :End of #ops's hooks \(1\)")
    status, listed = call(daemon.ports["http"], "GET", "/api/v1/hooks", daemon.key)
    assert status == 200 and [h["id"] for h in listed["hooks"]] == [hook_id]
    assert "digest" not in listed["hooks"][0] and "url" not in listed["hooks"][0]
    assert chanserv(wendy, f"HOOK #ops DEL {hook_id}").endswith(f":Hook {hook_id} of #ops removed")
    status, answer = call(daemon.ports["http"], "POST", path, None, {"text": "again"})
    assert status == 404 and answer["error"] == "not_found"
    wendy.close()


def test_only_the_rooms_logged_in_operators_may_make_hooks(daemon):
    wendy = irc_in(daemon.ports["irc"], "wendy", "#ops")  # the room's operator, with no account
    assert "logged in" in chanserv(wendy, "HOOK #ops ADD alerts")
    mallory = operator(daemon.ports["irc"], "mallory", "#lobby")
    mallory.send("JOIN #ops\r\n")
    mallory.expect(r" 366 mallory #ops ")
    assert "operator" in chanserv(mallory, "HOOK #ops ADD alerts").lower()
    assert "#ops" in chanserv(mallory, "HOOK #ops LIST")
    status, listed = call(daemon.ports["http"], "GET", "/api/v1/hooks", daemon.key)
    assert status == 200 and listed["hooks"] == []
    wendy.close()
    mallory.close()


def test_a_room_operator_subscribes_a_bot_that_answers_a_trigger(daemon):
    receiver = Receiver()
    receiver.answers = [(200, {"text": "deploying prod"})]
    try:
        wendy = operator(daemon.ports["irc"], "wendy", "#ops")
        chanserv(wendy, f"HOOK #ops WEBHOOK deploy-bot {receiver.url} !deploy")
        secret = wendy.expect(r"^:ChanServ!\S+ NOTICE wendy :[0-9a-f]{48}$").rsplit(":", 1)[1].strip()
        wendy.send("PRIVMSG #ops :!deploy prod\r\n")
        headers, event, body = receiver.next()
        assert signed(headers, body, secret)
        assert event["event"] == "message" and event["trigger"] == "!deploy" and event["args"] == "prod"
        assert event["user"]["nick"] == "wendy" and event["user"]["account"] == "wendy"
        wendy.expect(r"^:deploy-bot!\S+ PRIVMSG #ops :deploying prod")
        assert "is not an http" in chanserv(wendy, "HOOK #ops WEBHOOK other ftp://example.org/x")
        wendy.close()
    finally:
        receiver.close()


def test_a_moderate_key_makes_and_removes_hooks_for_its_rooms(daemon):
    port = daemon.ports["http"]
    wendy = irc_in(daemon.ports["irc"], "wendy", "#ops")
    status, made = call(port, "POST", "/api/v1/hooks", daemon.key, {"room": "#ops", "name": "grafana"})
    assert status == 201 and made["room"] == "#ops" and made["created_by"] == "key:opsbot"
    assert made["url"].startswith(f"http://127.0.0.1:{port}/hooks/{made['id']}/")
    path = made["url"].split(str(port), 1)[1]
    assert call(port, "POST", path, None, {"text": "cpu at 95%"})[0] == 200
    wendy.expect(r"^:grafana!\S+ PRIVMSG #ops :cpu at 95%")
    assert call(port, "POST", "/api/v1/hooks", daemon.key, {"room": "#other", "name": "x"})[0] == 403
    status, answer = call(port, "POST", "/api/v1/hooks", daemon.key, {"room": "#ops", "name": "no spaces"})
    assert status == 400 and answer["error"] == "bad_field"
    assert call(port, "DELETE", f"/api/v1/hooks/{made['id']}", daemon.key)[0] == 200
    assert call(port, "DELETE", f"/api/v1/hooks/{made['id']}", daemon.key)[0] == 404
    assert call(port, "POST", path, None, {"text": "again"})[0] == 404
    wendy.close()
