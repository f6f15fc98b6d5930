"""Moderation over the API against a real daemon: a moderate key's bot sets the topic, bans and
kicks as a room operator everyone sees; an admin key sets and lifts server bans; scopes hold."""

from __future__ import annotations

import pytest

from tests.support.processes import Daemon
from tests.test_api_posting import apikey, call, irc_in

pytestmark = pytest.mark.integration


@pytest.fixture
def keys(tmp_path):
    state = str(tmp_path / "state")
    made = {"mod": apikey(state, "create", "opsbot", "--scope", "moderate", "--rooms", "#ops"),
            "post": apikey(state, "create", "ci", "--scope", "post,read"),
            "admin": apikey(state, "create", "root", "--scope", "admin")}
    daemon = Daemon("--state-dir", state, state_dir=tmp_path).start()
    yield daemon, made
    daemon.kill()


def test_a_moderator_key_sets_the_topic_bans_and_kicks_as_a_visible_operator(keys):
    daemon, key = keys
    port = daemon.ports["http"]
    wendy = irc_in(daemon.ports["irc"], "wendy", "#ops")
    mallory = irc_in(daemon.ports["irc"], "mallory", "#ops")
    status, answer = call(port, "PUT", "/api/v1/rooms/ops/topic", key["mod"], {"topic": "deploys only"})
    assert status == 200 and answer["topic"] == "deploys only"
    wendy.expect(r":opsbot!\S+@api JOIN #ops")
    wendy.expect(r":opsbot!\S+@api MODE #ops \+o opsbot")
    wendy.expect(r":opsbot!\S+@api TOPIC #ops :deploys only")
    status, answer = call(port, "POST", "/api/v1/rooms/ops/bans", key["mod"], {"mask": "mallory"})
    assert status == 201 and answer["mask"] == "mallory!*@*"
    wendy.expect(r"MODE #ops \+b mallory!\*@\*")
    mallory.send("PRIVMSG #ops :can I still talk?\r\n")
    mallory.expect(r" 404 mallory #ops ")
    status, answer = call(port, "GET", "/api/v1/rooms/ops/bans", key["mod"])
    assert status == 200 and [b["mask"] for b in answer["bans"]] == ["mallory!*@*"]
    assert answer["bans"][0]["set_by"] == "opsbot"
    status, answer = call(port, "POST", "/api/v1/rooms/ops/kicks", key["mod"], {"nick": "mallory", "reason": "spam"})
    assert status == 200
    wendy.expect(r":opsbot!\S+@api KICK #ops mallory :spam")
    assert call(port, "DELETE", "/api/v1/rooms/ops/bans/mallory%21%2A%40%2A", key["mod"])[0] == 200
    wendy.expect(r"MODE #ops -b mallory!\*@\*")
    status, answer = call(port, "DELETE", "/api/v1/rooms/ops/bans/mallory%21%2A%40%2A", key["mod"])
    assert status == 404 and answer["error"] == "not_found"
    status, answer = call(port, "POST", "/api/v1/rooms/ops/kicks", key["mod"], {"nick": "nobody"})
    assert status == 404
    wendy.close()
    mallory.close()


def test_scopes_and_rooms_bound_what_a_key_may_moderate(keys):
    daemon, key = keys
    port = daemon.ports["http"]
    wendy = irc_in(daemon.ports["irc"], "wendy", "#ops")
    wendy.send("JOIN #other\r\n")
    wendy.expect(r" 366 wendy #other ")
    assert call(port, "PUT", "/api/v1/rooms/ops/topic", key["post"], {"topic": "x"})[0] == 403
    assert call(port, "PUT", "/api/v1/rooms/other/topic", key["mod"], {"topic": "x"})[0] == 403
    assert call(port, "POST", "/api/v1/bans", key["mod"], {"mask": "*!*@evil.example"})[0] == 403
    status, answer = call(port, "PUT", "/api/v1/rooms/ops/topic", key["mod"], {"topic": 7})
    assert status == 400 and answer["error"] == "bad_field"
    wendy.close()


def test_an_admin_key_sets_and_lifts_server_bans(keys):
    daemon, key = keys
    port = daemon.ports["http"]
    mallory = irc_in(daemon.ports["irc"], "mallory", "#ops")
    status, answer = call(port, "POST", "/api/v1/bans", key["admin"],
                          {"mask": "mallory", "duration": "1h", "reason": "spam"})
    assert status == 201 and answer["mask"] == "mallory!*@*" and answer["disconnected"] == 1
    assert answer["expires"] is not None
    assert mallory.closed()
    status, answer = call(port, "GET", "/api/v1/bans", key["admin"])
    assert status == 200 and [b["mask"] for b in answer["bans"]] == ["mallory!*@*"]
    assert answer["bans"][0]["set_by"].startswith("root")
    assert call(port, "DELETE", "/api/v1/bans/mallory%21%2A%40%2A", key["admin"])[0] == 200
    assert call(port, "DELETE", "/api/v1/bans/mallory%21%2A%40%2A", key["admin"])[0] == 404
    again = irc_in(daemon.ports["irc"], "mallory", "#ops")
    again.close()
