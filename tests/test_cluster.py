"""Several daemons sharing one real redis-server behave as one chat network."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import time

import pytest
from websockets.sync.client import connect

from .support.parts import CLOAK
from .support.processes import Daemon
from .support.redis import RedisServer
from .support.sockets import LineClient, irc_register

pytestmark = pytest.mark.cluster

NODE_TIMEOUT = 4.0


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def node(tmp_path, redis, name, *extra, timeout=NODE_TIMEOUT):
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    timeouts = ["--node-timeout", str(timeout)] if timeout else []
    return Daemon("--redis", redis.url, "--node-name", name, *timeouts, "--flood-rate", "0", *extra,
                  state_dir=folder).start()


def in_sync(daemon):
    daemon.wait_for_log(lambda line: "in sync" in line or None, 20, "cluster sync")
    return daemon


class Web:
    def __init__(self, stack, port, nick):
        self.ws = stack.enter_context(connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["chatd.v1"]))
        self.send({"type": "hello", "nick": nick, "id": 0})
        self.welcome = self.expect(lambda f: f.get("id") == 0)

    def send(self, frame):
        self.ws.send(json.dumps(frame))

    def expect(self, match, timeout=15):
        deadline = time.monotonic() + timeout
        while True:
            frame = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if match(frame):
                return frame


@pytest.fixture
def three(tmp_path, redis):
    nodes = [in_sync(node(tmp_path, redis, name)) for name in ("alpha", "beta", "gamma")]
    yield nodes
    for d in nodes:
        d.kill()


def test_irc_web_and_telnet_users_on_three_nodes_share_a_room(three):
    a, b, c = three
    ivan = LineClient(a.ports["irc"])
    irc_register(ivan, "ivan")
    ivan.send("JOIN #mesh")
    ivan.expect("JOIN #mesh")
    with contextlib.ExitStack() as stack:
        wendy = Web(stack, b.ports["http"], "wendy")
        wendy.send({"type": "join", "room": "#mesh", "id": 1})
        joined = wendy.expect(lambda f: f["type"] == "joined")
        assert {(m["nick"], m["protocol"]) for m in joined["members"]} == {("ivan", "irc"), ("wendy", "web")}
        joined = ivan.expect(rf":wendy!web@{CLOAK} JOIN #mesh")  # cloaked the same on every node

        tina = LineClient(c.ports["telnet"])
        tina.expect("Pick a nick")
        tina.send("tina")
        tina.expect("Hello tina")
        tina.send("/join #mesh")
        tina.expect(r"#mesh \(3\): ")
        ivan.expect("tina!telnet@.* JOIN #mesh")
        wendy.expect(lambda f: f.get("event") == "join" and f["nick"] == "tina")

        ivan.send("WHO #mesh")
        who = ivan.until(" 315 ")
        assert {line.split()[7] for line in who if " 352 " in line} == {"ivan", "wendy", "tina"}
        wendy_host = joined.split("@", 1)[1].split()[0]
        assert any(f" 352 ivan #mesh web {wendy_host} beta wendy " in line for line in who)

        wendy.send({"type": "msg", "to": "#mesh", "text": "from beta"})
        assert ivan.expect(r"PRIVMSG #mesh :from beta$")
        tina.expect(r"#mesh <wendy> from beta")
        ivan.send("PRIVMSG #mesh :from alpha")
        assert wendy.expect(lambda f: f["type"] == "message" and f["from"] == "ivan")["text"] == "from alpha"
        tina.expect(r"#mesh <ivan> from alpha")

        ivan.send("PRIVMSG wendy :alpha to beta, privately")
        dm = wendy.expect(lambda f: f["type"] == "message" and "to" in f)
        assert (dm["from"], dm["text"]) == ("ivan", "alpha to beta, privately")
        wendy.send({"type": "msg", "to": "tina", "text": "beta to gamma"})
        tina.expect(r"\[wendy -> tina\] beta to gamma")

        ivan.send("TOPIC #mesh :one network")
        assert wendy.expect(lambda f: f["type"] == "topic")["topic"] == "one network"
        ivan.send("MODE #mesh +o wendy")
        mode = wendy.expect(lambda f: f["type"] == "mode")
        assert mode["changes"] == [["+", "o", "wendy"]]

        ivan.send("LIST")
        assert ivan.expect(r" 322 ivan #mesh 3 :one network")
        ivan.send("ISON wendy tina nobody")
        assert ivan.expect(r" 303 ivan :wendy tina$")

        wendy.send({"type": "part", "room": "#mesh", "reason": "bye"})
        assert ivan.expect(r":wendy!\S+ PART #mesh :bye")
        tina.send("/quit")
        assert ivan.expect(r":tina!\S+ QUIT :Quit")

        # A hello that is not valid Unicode is answered and leaves no ghost on any node.
        ghost = stack.enter_context(connect(f"ws://127.0.0.1:{b.ports['http']}/ws", subprotocols=["chatd.v1"]))
        ghost.send('{"type":"hello","nick":"ghost","realname":"\\udfff","id":5}')
        assert json.loads(ghost.recv(timeout=10))["code"] == "bad_field"
        ivan.send("WHOIS ghost")
        assert ivan.expect(r" 401 ivan ghost ")
        Web(stack, c.ports["http"], "ghost")  # the nick is free everywhere


def test_nick_taken_on_another_node_gets_433(three):
    a, b, _ = three
    first = LineClient(a.ports["irc"])
    irc_register(first, "unique")
    second = LineClient(b.ports["irc"])
    second.send("NICK Unique")
    second.send("USER u 0 * :u")
    assert second.expect(r" 433 \* Unique :Nickname is already in use")
    with contextlib.ExitStack() as stack:
        web = stack.enter_context(connect(f"ws://127.0.0.1:{b.ports['http']}/ws", subprotocols=["chatd.v1"]))
        web.send(json.dumps({"type": "hello", "nick": "UNIQUE"}))
        assert json.loads(web.recv(timeout=10))["code"] == "nick_in_use"


def test_one_order_per_room_with_concurrent_senders(tmp_path, redis):
    a, b = in_sync(node(tmp_path, redis, "left")), in_sync(node(tmp_path, redis, "right"))
    try:
        clients = {}
        for name, daemon in (("send1", a), ("send2", b), ("recv1", a), ("recv2", b)):
            clients[name] = LineClient(daemon.ports["irc"])
            irc_register(clients[name], name)
            clients[name].send("JOIN #order")
            clients[name].expect("JOIN #order")
        clients["send2"].send("PING :joined")
        clients["send2"].expect("PONG")
        count = 150
        clients["send1"].send(b"".join(b"PRIVMSG #order :one-%d\r\n" % i for i in range(count)))
        clients["send2"].send(b"".join(b"PRIVMSG #order :two-%d\r\n" % i for i in range(count)))
        seen = {}
        for name in ("recv1", "recv2"):
            lines = clients[name].until(rf"PRIVMSG #order :(one|two)-{count - 1}$", timeout=30)
            got = [m.group(1) for m in (re.search(r"PRIVMSG #order :((?:one|two)-\d+)$", ln) for ln in lines) if m]
            while len(got) < 2 * count:
                line = clients[name].until(r"PRIVMSG #order :", timeout=30)[-1]
                got.append(line.rsplit(":", 1)[1])
            seen[name] = got
        assert len(seen["recv1"]) == 2 * count
        assert seen["recv1"] == seen["recv2"]
        assert [m for m in seen["recv1"] if m.startswith("one")] == [f"one-{i}" for i in range(count)]
    finally:
        a.kill()
        b.kill()


def test_killed_node_users_quit_everywhere_and_nicks_are_freed(tmp_path, redis):
    # Default timeouts: the bound users get is the one operators get.
    a = in_sync(node(tmp_path, redis, "stays", timeout=None))
    b = in_sync(node(tmp_path, redis, "dies", timeout=None))
    try:
        watcher = LineClient(a.ports["irc"])
        irc_register(watcher, "watcher")
        watcher.send("JOIN #r")
        victim = LineClient(b.ports["irc"])
        irc_register(victim, "victim")
        victim.send("JOIN #r")
        watcher.expect(r":victim!\S+ JOIN #r")
        b.proc.send_signal(signal.SIGKILL)
        started = time.monotonic()
        assert watcher.expect(r":victim!\S+ QUIT :node lost", timeout=20)
        assert time.monotonic() - started < 15
        again = LineClient(a.ports["irc"])
        irc_register(again, "victim")
    finally:
        a.kill()
        b.kill()


def test_shared_history_and_redis_outage(tmp_path, redis):
    a = in_sync(node(tmp_path, redis, "first"))
    try:
        ann = LineClient(a.ports["irc"])
        irc_register(ann, "ann")
        ann.send("JOIN #h")
        ann.send("PRIVMSG #h :said before beta existed")
        ann.send("PING :x")
        ann.expect("PONG")
        b = in_sync(node(tmp_path, redis, "second"))
        try:
            with contextlib.ExitStack() as stack:
                web = Web(stack, b.ports["http"], "bea")
                web.send({"type": "join", "room": "#h"})
                joined = web.expect(lambda f: f["type"] == "joined")
                assert [m["text"] for m in joined["history"]] == ["said before beta existed"]
                web.send({"type": "history", "room": "#h", "id": 5})
                assert [m["text"] for m in web.expect(lambda f: f["type"] == "history")["messages"]] == [
                    "said before beta existed"]

                # Redis goes away: each node keeps serving its own users.
                redis.stop()
                a.wait_for_log(lambda line: "Redis link down" in line or None, 15, "link down on first")
                b.wait_for_log(lambda line: "Redis link down" in line or None, 15, "link down on second")
                local = LineClient(a.ports["irc"])
                irc_register(local, "local")
                local.send("JOIN #h")
                local.send("PRIVMSG #h :during the outage")
                assert ann.expect(r":local!\S+ PRIVMSG #h :during the outage")
                health = json.loads(_get(a.ports["http"], "/healthz"))
                assert health["status"] == "degraded" and health["redis"] == "down"

                # Redis is back: nodes re-register, cross-node chat resumes.
                redis.start()
                in_sync(a)
                in_sync(b)
                ann.send("PRIVMSG #h :after the outage")
                assert web.expect(lambda f: f["type"] == "message" and f["from"] == "ann")["text"] == \
                    "after the outage"
                web.send({"type": "msg", "to": "#h", "text": "beta hears you"})
                assert ann.expect(r":bea!\S+ PRIVMSG #h :beta hears you")
                assert json.loads(_get(a.ports["http"], "/healthz"))["status"] == "ok"
                assert a.proc.poll() is None and b.proc.poll() is None
        finally:
            b.kill()
    finally:
        a.kill()


def _get(port, path):
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as response:
        return response.read().decode()


def test_a_hung_redis_does_not_freeze_chat(tmp_path, redis):
    a = in_sync(node(tmp_path, redis, "hung-a"))
    b = in_sync(node(tmp_path, redis, "hung-b"))
    try:
        ann, amy = LineClient(a.ports["irc"]), LineClient(a.ports["irc"])
        irc_register(ann, "ann")
        irc_register(amy, "amy")
        bob = LineClient(b.ports["irc"])
        irc_register(bob, "bob")
        for c in (ann, amy, bob):
            c.send("JOIN #hang")
            c.expect(" 366 ")
        ann.send("PRIVMSG #hang :before the hang")
        assert bob.expect("before the hang") and amy.expect("before the hang")

        redis.proc.send_signal(signal.SIGSTOP)  # Redis hangs: sockets stay open, nothing answers
        try:
            # The first message after the hang waits out the reply timeout (a second), then the link
            # is down and the node's own members still get it; chat on the node goes on.
            ann.send("PRIVMSG #hang :while redis hangs 1")
            assert amy.expect("while redis hangs 1")
            a.wait_for_log(lambda line: "Redis link down" in line or None, 10, "link down on a hung Redis")
            for i in range(2, 6):
                ann.send(f"PRIVMSG #hang :while redis hangs {i}")
                assert amy.expect(f"while redis hangs {i}")
            amy.send("PRIVMSG ann :a private word meanwhile")
            assert ann.expect("a private word meanwhile")
            assert json.loads(_get(a.ports["http"], "/healthz"))["redis"] == "down"
            # b has no traffic of its own: its PING probe finds the hang.
            b.wait_for_log(lambda line: "Redis link down" in line or None, 10, "link down on an idle node")
        finally:
            redis.proc.send_signal(signal.SIGCONT)
        in_sync(a)
        in_sync(b)
        ann.send("PRIVMSG #hang :after the hang")
        assert bob.expect("after the hang")  # across nodes again
        bob.send("PRIVMSG #hang :and back")
        assert ann.expect("and back")
        assert not [line for line in a.output + b.output if "Unhandled error" in line]
    finally:
        a.kill()
        b.kill()
