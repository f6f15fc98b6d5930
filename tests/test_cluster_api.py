"""The HTTP API and webhooks across two real nodes sharing one real Redis: keys made with the CLI
against Redis, a post on one node read on the other, revocation everywhere at once, and an outgoing
webhook sent once, by the node the message was said on."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .support.processes import ROOT
from .test_api_posting import call, irc_in
from .test_api_webhooks import Receiver, signed
from .test_cluster import in_sync, node, redis  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.cluster


def apikey(redis_url: str, state, *args: str) -> str:
    """The key tool against the cluster's Redis (its --state-dir a scratch one: never the checkout's)."""
    result = subprocess.run([sys.executable, "-m", "chatd.apikey", "--redis", redis_url, "--state-dir", str(state),
                             *args],
                            capture_output=True, text=True, cwd=str(ROOT), timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_a_post_on_one_node_is_read_on_the_other_and_webhooks_fire_once(tmp_path, redis):  # noqa: F811
    receiver = Receiver()
    receiver.answers = [(200, {"text": "on it"})]
    key = apikey(redis.url, tmp_path / "tool", "create", "ci", "--scope", "post,read")
    secret = apikey(redis.url, tmp_path / "tool", "webhook", "create", "#ops", receiver.url, "--trigger", "!deploy",
                    "--nick", "deployer")
    a = in_sync(node(tmp_path, redis, "alpha"))
    b = in_sync(node(tmp_path, redis, "beta"))
    try:
        wendy = irc_in(b.ports["irc"], "wendy", "#ops")
        status, posted = call(a.ports["http"], "POST", "/api/v1/rooms/ops/messages", key, {"text": "built 1.2"})
        assert status == 201, posted
        wendy.expect(r":ci!ci@api PRIVMSG #ops :built 1.2")
        status, page = call(b.ports["http"], "GET", "/api/v1/rooms/ops/messages?limit=5", key)
        assert status == 200 and [m["id"] for m in page["messages"]] == [posted["id"]]
        status, room = call(b.ports["http"], "GET", "/api/v1/rooms/ops", key)
        assert {m["nick"] for m in room["members"]} == {"wendy", "ci"}

        wendy.send("PRIVMSG #ops :!deploy one\r\nPRIVMSG #ops :!deploy two\r\n")
        headers, first, body = receiver.next()
        assert signed(headers, body, secret) and first["text"] == "!deploy one"
        _, second, _ = receiver.next()
        assert second["text"] == "!deploy two"  # not "one" again from the other node
        wendy.expect(r":deployer!\S+@api PRIVMSG #ops :on it")

        apikey(redis.url, tmp_path / "tool", "revoke", "ci")
        assert call(a.ports["http"], "GET", "/api/v1/rooms", key)[0] == 401
        assert call(b.ports["http"], "GET", "/api/v1/rooms", key)[0] == 401
        wendy.close()
    finally:
        a.kill()
        b.kill()
        receiver.close()
