"""Outgoing webhooks against a real daemon and a real receiver (a local HTTP server in the test):
signed events for what a subscription asked for, a ``{"text"}`` answer posted back as the bot's
reply, retries after a 500, and events that outlive a restart of chatd."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.processes import Daemon
from tests.test_api_posting import apikey, call, irc_in

pytestmark = pytest.mark.integration


class Receiver:
    """A webhook receiver: every request lands in ``got``; it answers with ``answers`` in turn
    (the last one for good)."""

    def __init__(self) -> None:
        self.got: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        self.answers: list[tuple[int, Any]] = [(200, None)]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.put(({k.lower(): v for k, v in self.headers.items()}, body))
                status, answer = receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                data = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/chatd"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout: float = 20.0) -> tuple[dict[str, str], dict[str, Any], bytes]:
        headers, body = self.got.get(timeout=timeout)
        return headers, json.loads(body), body

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def signed(headers: dict[str, str], body: bytes, secret: str) -> bool:
    expected = hmac.new(secret.encode(), headers["x-chatd-timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["x-chatd-signature"], "sha256=" + expected)


def test_a_trigger_word_reaches_the_receiver_signed_and_its_answer_is_posted(tmp_path, receiver):
    state = str(tmp_path / "state")
    secret = apikey(state, "webhook", "create", "#ops", receiver.url, "--trigger", "!deploy",
                    "--nick", "deploy-bot")
    receiver.answers = [(200, {"text": "deploying prod now"})]
    daemon = Daemon("--state-dir", state, state_dir=tmp_path).start()
    try:
        wendy = irc_in(daemon.ports["irc"], "wendy", "#ops")
        wendy.send("PRIVMSG #ops :hello, nothing for the bot\r\nPRIVMSG #ops :!deploy prod\r\n")
        headers, event, body = receiver.next()
        assert signed(headers, body, secret)
        assert abs(int(headers["x-chatd-timestamp"]) - time.time()) < 60
        assert headers["x-chatd-event"] == "message" and headers["content-type"] == "application/json"
        assert event["event"] == "message" and event["room"] == "#ops"
        assert event["text"] == "!deploy prod" and event["trigger"] == "!deploy" and event["args"] == "prod"
        assert event["user"]["nick"] == "wendy" and event["user"]["protocol"] == "irc"
        assert event["id"] and event["hook"]
        wendy.expect(r":deploy-bot!\S+@api JOIN #ops")
        wendy.expect(r":deploy-bot!\S+@api PRIVMSG #ops :deploying prod now")
        assert receiver.got.empty()  # "hello" (said first) was never sent; the bot's reply neither
        assert signed(headers, body + b" ", secret) is False
    finally:
        daemon.kill()


def metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
    return 0.0


def test_a_refused_event_is_retried_and_outlives_a_restart(tmp_path, receiver):
    state = str(tmp_path / "state")
    apikey(state, "webhook", "create", "#ops", receiver.url)
    receiver.answers = [(500, None)]
    daemon = Daemon("--state-dir", state, "--metrics", "tcp:0:interface=127.0.0.1", state_dir=tmp_path).start()
    try:
        wendy = irc_in(daemon.ports["irc"], "wendy", "#ops")
        wendy.send("PRIVMSG #ops :keep this one\r\n")
        first, event, body = receiver.next()
        again, _, same_body = receiver.next()  # retried after the 500 (a second later)
        assert again["x-chatd-delivery"] == first["x-chatd-delivery"] and same_body == body
        assert event["text"] == "keep this one"
        assert metric(daemon.ports["metrics"], 'chatd_webhook_events_total{result="failed"}') >= 1
        assert daemon.stop() == 0
    finally:
        daemon.kill()
    while not receiver.got.empty():
        receiver.got.get()
    receiver.answers = [(200, None)]
    daemon = Daemon("--state-dir", state, state_dir=tmp_path).start()
    try:
        headers, event, _ = receiver.next()
        assert headers["x-chatd-delivery"] == first["x-chatd-delivery"] and event["text"] == "keep this one"
    finally:
        daemon.kill()


def test_a_moderator_key_subscribes_a_room_over_the_api(tmp_path, receiver):
    state = str(tmp_path / "state")
    mod_key = apikey(state, "create", "opsbot", "--scope", "moderate", "--rooms", "#ops")
    post_key = apikey(state, "create", "ci", "--scope", "post,read")
    daemon = Daemon("--state-dir", state, state_dir=tmp_path).start()
    try:
        port = daemon.ports["http"]
        wendy = irc_in(daemon.ports["irc"], "wendy", "#ops")
        status, answer = call(port, "POST", "/api/v1/webhooks", post_key, {"room": "#ops", "url": receiver.url})
        assert status == 403
        status, answer = call(port, "POST", "/api/v1/webhooks", mod_key,
                              {"room": "#ops", "url": "file:///etc/passwd"})
        assert status == 400 and answer["error"] == "bad_field"
        status, answer = call(port, "POST", "/api/v1/webhooks", mod_key,
                              {"room": "#ops", "url": receiver.url, "events": ["join", "part"]})
        assert status == 201 and answer["secret"] and answer["events"] == ["join", "part"]
        assert answer["nick"] == "opsbot"  # without a nick, the key's own
        sub_id, secret = answer["id"], answer["secret"]
        receiver.answers = [(200, {"text": "welcome, bob"}), (200, None)]
        bob = irc_in(daemon.ports["irc"], "bob", "#ops")
        headers, event, body = receiver.next()
        assert signed(headers, body, secret)
        assert event["event"] == "join" and event["user"]["nick"] == "bob" and event["hook"] == sub_id
        bob.expect(r":opsbot!\S+ PRIVMSG #ops :welcome, bob")
        # The reply's bot is the key's own: the key still acts under its nick.
        status, answer = call(port, "PUT", "/api/v1/rooms/%23ops/topic", mod_key, {"topic": "frozen"})
        assert status == 200, answer
        bob.expect(r":opsbot!\S+ TOPIC #ops :frozen")
        _, event, _ = receiver.next()  # the bot's own join, posting the reply
        assert event["event"] == "join" and event["user"] == {**event["user"], "nick": "opsbot", "bot": True}
        bob.send("PART #ops :lunch\r\n")
        _, event, _ = receiver.next()
        assert event["event"] == "part" and event["reason"] == "lunch"
        status, listing = call(port, "GET", "/api/v1/webhooks", mod_key)
        assert status == 200 and [w["id"] for w in listing["webhooks"]] == [sub_id]
        assert "secret" not in listing["webhooks"][0]
        assert call(port, "DELETE", f"/api/v1/webhooks/{sub_id}", mod_key)[0] == 200
        assert call(port, "DELETE", f"/api/v1/webhooks/{sub_id}", mod_key)[0] == 404
        assert call(port, "GET", "/api/v1/webhooks", mod_key)[1]["webhooks"] == []
        wendy.close()
    finally:
        daemon.kill()
