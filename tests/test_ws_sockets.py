"""WebSocket users over real sockets, with IRC users in the same rooms."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from .support.sockets import LibraryIRC

pytestmark = pytest.mark.integration


class Browserless:
    """A WebSocket client from the ``websockets`` library, speaking chatd.v1."""

    def __init__(self, port: int, nick: str, **kwargs) -> None:
        self.stack = contextlib.ExitStack()
        self.ws = self.stack.enter_context(connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["chatd.v1"], **kwargs))
        self.send({"type": "hello", "nick": nick})
        assert self.expect("welcome")["nick"] == nick

    def send(self, frame) -> None:
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    def expect(self, kind: str, match=lambda f: True, timeout: float = 10.0) -> dict:
        while True:
            frame = json.loads(self.ws.recv(timeout=timeout))
            if frame["type"] == kind and match(frame):
                return frame


def test_irc_and_websocket_users_chat_both_ways(daemon):
    ivan = LibraryIRC(daemon.ports["irc"], "ivan")
    ivan.conn.join("#mixed")
    ivan.wait("join")
    web = Browserless(daemon.ports["http"], "wendy")
    web.send({"type": "join", "room": "#mixed", "id": 1})
    joined = web.expect("joined")
    assert {(m["nick"], m["protocol"]) for m in joined["members"]} == {("ivan", "irc"), ("wendy", "web")}
    assert ivan.wait("join", lambda e: e.source.nick == "wendy")

    ivan.conn.who("#mixed")
    who = [ivan.wait("whoreply") for _ in range(2)]
    assert {w.arguments[4] for w in who} == {"ivan", "wendy"}

    web.send({"type": "msg", "to": "#mixed", "text": "hi irc, from a browser"})
    assert ivan.wait("pubmsg").arguments == ["hi irc, from a browser"]
    ivan.conn.privmsg("#mixed", "hi web, from irc")
    got = web.expect("message", lambda f: f["from"] == "ivan")
    assert (got["room"], got["text"], got["protocol"]) == ("#mixed", "hi web, from irc", "irc")
    assert len(got["id"]) == 26 and got["time"] > 0

    ivan.conn.privmsg("wendy", "private hello")
    dm = web.expect("message", lambda f: "to" in f)
    assert (dm["from"], dm["to"], dm["text"]) == ("ivan", "wendy", "private hello")

    ivan.conn.part("#mixed", "lunch")
    left = web.expect("presence", lambda f: f["event"] == "part")
    assert (left["nick"], left["reason"]) == ("ivan", "lunch")
    ivan.conn.join("#mixed")
    assert web.expect("presence", lambda f: f["event"] == "join")["nick"] == "ivan"

    web.stack.close()
    quit_ = ivan.wait("quit")
    assert quit_.source.nick == "wendy"


def test_bad_origin_handshake_is_refused(daemon):
    port = daemon.ports["http"]
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["chatd.v1"], origin="https://evil.example")
    assert refused.value.response.status_code == 403
    with connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["chatd.v1"], origin=f"http://127.0.0.1:{port}") as ok:
        assert ok.subprotocol == "chatd.v1"


def test_bad_frames_get_errors_while_others_keep_chatting(daemon):
    port = daemon.ports["http"]
    alice, bob = Browserless(port, "alice"), Browserless(port, "bob")
    for user in (alice, bob):
        user.send({"type": "join", "room": "#r"})
        user.expect("joined")
    alice.send("{{{{ not json")
    assert alice.expect("error")["code"] == "bad_json"
    alice.send({"type": "msg", "to": "#r", "text": "y" * 100_000, "id": 9})
    assert alice.expect("error")["code"] == "too_large"
    alice.send({"type": "nope", "id": 10})
    assert alice.expect("error") == {"type": "error", "code": "unknown_type", "message": "Unknown frame type 'nope'",
                                     "re": "nope", "id": 10}
    bob.send({"type": "msg", "to": "#r", "text": "still fine"})
    assert alice.expect("message")["text"] == "still fine"
    alice.send({"type": "msg", "to": "#r", "text": "me too"})
    assert bob.expect("message", lambda f: f["from"] == "alice")["text"] == "me too"


def test_healthz_and_the_page(daemon):
    port = daemon.ports["http"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as response:
        health = json.load(response)
    assert health["status"] == "ok" and health["users"] == 0
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
        assert b'<script type="module" src="js/main.js">' in response.read()
        assert "default-src 'self'" in response.headers["content-security-policy"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/js/main.js") as response:
        assert response.headers["content-type"].startswith("text/javascript")
    with pytest.raises(urllib.error.HTTPError) as listing:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/js/")
    assert listing.value.code == 403
