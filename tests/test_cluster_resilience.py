"""A cluster that loses nothing: Redis hangs, restarts and fails over under a numbered stream.

Real redis-server processes (and a real Sentinel), real daemons, raw IRC
clients reading in the background: every message must reach every receiver
exactly once, in the order it was sent, whatever Redis does meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import signal
import time

import pytest
from websockets.sync.client import connect

from .support.processes import Daemon
from .support.redis import RedisServer, Sentinel
from .support.sockets import irc_client
from .support.streams import Receiver, Stream, expected
from .support.waiting import wait_until

pytestmark = pytest.mark.cluster

@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def start_node(tmp_path, name, *redis_args, timeout=10):
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    return Daemon(*redis_args, "--node-name", name, "--node-timeout", str(timeout), "--flood-rate", "0",
                  state_dir=folder).start()


def in_sync(daemon):
    daemon.wait_for_log(lambda line: "in sync" in line or None, 20, "cluster sync")
    return daemon


@contextlib.contextmanager
def nodes(tmp_path, redis, *names):
    """Daemons on one Redis, each in sync before the next starts; killed afterwards."""
    started = []
    try:
        for name in names:
            started.append(in_sync(start_node(tmp_path, name, "--redis", redis.url)))
        yield started
    finally:
        for daemon in started:
            daemon.kill()


def test_a_hung_redis_loses_nothing_and_local_chat_goes_on(tmp_path, redis):
    with nodes(tmp_path, redis, "east", "west") as (a, b):
        near = Receiver(a.ports["irc"], "near", "#stream")
        far = Receiver(b.ports["irc"], "far", "#stream")
        total, interval = 240, 0.025  # six seconds of 40 messages a second
        stream = Stream(a.ports["irc"], "sender", "#stream", total, interval)
        stream.start()
        wait_until(lambda: stream.reached(40), 10, what="the stream to start")
        redis.proc.send_signal(signal.SIGSTOP)  # hangs: sockets stay open, nothing answers
        hung_at = time.monotonic()
        try:
            wait_until(lambda: stream.reached(200), 15, what="four seconds of stream during the hang")
            # A direct message across nodes during the hang waits in the outbox too.
            stream.client.send("PRIVMSG far :a word while redis hangs")
        finally:
            redis.proc.send_signal(signal.SIGCONT)
        stream.join()

        assert near.wait_for("#stream", total) == expected(total)
        assert far.wait_for("#stream", total, timeout=30) == expected(total)
        assert far.wait_for("far", 1) == ["a word while redis hangs"]
        # Exactly once: nothing more arrives while both nodes settle.
        b.wait_for_log(lambda line: "in sync" in line or None, 20, "west back in sync")
        stream.client.send("PRIVMSG #stream :the end")
        near.wait_for("#stream", total + 1)
        far.wait_for("#stream", total + 1)
        assert near.texts("#stream") == far.texts("#stream") == expected(total) + ["the end"]

        # Local chat went on during the hang: east's own receiver got each message soon.
        arrived = near.arrivals("#stream")
        during = sorted(arrived[t] - stream.sent[t] for t in expected(total) if stream.sent[t] >= hung_at)
        p99 = during[int(len(during) * 0.99) - 1]
        assert len(during) >= 150 and p99 < 1.0, f"p99 local latency during the hang: {p99:.3f} s"
        assert "kept in the outbox" in "".join(a.output)
        for daemon in (a, b):
            assert not [line for line in daemon.output if "Unhandled error" in line or "Traceback" in line]


def test_redis_restart_replays_what_each_node_accepted(tmp_path, redis):
    with nodes(tmp_path, redis, "one", "two") as (a, b):
        ann = Receiver(a.ports["irc"], "ann", "#r")
        bob = Receiver(b.ports["irc"], "bob", "#r")
        one, two = irc_client(a.ports["irc"], "one"), irc_client(b.ports["irc"], "two")
        for sender in (one, two):
            sender.send("JOIN #r")
            sender.expect(" 366 ")
        ann.wait_for("#r", 0)
        one.send("PRIVMSG #r :before")
        assert bob.wait_for("#r", 1) == ["before"]

        redis.stop()
        a.wait_for_log(lambda line: "Redis link down" in line or None, 15, "link down on one")
        b.wait_for_log(lambda line: "Redis link down" in line or None, 15, "link down on two")
        for i in range(5):
            one.send(f"PRIVMSG #r :from one {i}")
            two.send(f"PRIVMSG #r :from two {i}")
        two.send("PRIVMSG ann :a direct word across the outage")
        # Each node's own members get its messages at once.
        assert ann.wait_for("#r", 6)[1:] == [f"from one {i}" for i in range(5)]
        assert bob.wait_for("#r", 6)[1:] == [f"from two {i}" for i in range(5)]

        redis.start()  # empty: it kept nothing
        in_sync(a)
        in_sync(b)
        at_ann, at_bob = ann.wait_for("#r", 11, timeout=20), bob.wait_for("#r", 11, timeout=20)
        both = sorted([f"from one {i}" for i in range(5)] + [f"from two {i}" for i in range(5)])
        assert sorted(at_ann[1:]) == sorted(at_bob[1:]) == both
        assert [t for t in at_bob if t.startswith("from one")] == [f"from one {i}" for i in range(5)]
        assert [t for t in at_ann if t.startswith("from two")] == [f"from two {i}" for i in range(5)]
        assert ann.wait_for("ann", 1) == ["a direct word across the outage"]
        one.send("PRIVMSG #r :after")
        assert bob.wait_for("#r", 12)[-1] == "after"
        assert ann.wait_for("#r", 12)[-1] == "after"
        assert len(ann.texts("#r")) == len(bob.texts("#r")) == 12  # nothing twice


def test_a_node_that_starts_while_redis_hangs_queues_and_catches_up(tmp_path, redis):
    a = in_sync(start_node(tmp_path, "first", "--redis", redis.url))
    try:
        ann = Receiver(a.ports["irc"], "ann", "#new")
        redis.proc.send_signal(signal.SIGSTOP)
        b = start_node(tmp_path, "late", "--redis", redis.url)
        try:
            local = Receiver(b.ports["irc"], "local", "#new")
            early = irc_client(b.ports["irc"], "early")
            early.send("JOIN #new")
            early.expect(" 366 ")
            early.send("PRIVMSG #new :said before the node was in sync")
            assert local.wait_for("#new", 1) == ["said before the node was in sync"]
            redis.proc.send_signal(signal.SIGCONT)
            in_sync(b)
            assert ann.wait_for("#new", 1, timeout=20) == ["said before the node was in sync"]
        finally:
            redis.proc.send_signal(signal.SIGCONT)
            b.kill()
    finally:
        a.kill()


def test_a_first_member_hears_every_message_after_joining(tmp_path, redis):
    """The join race: a node that only now subscribes to a room misses nothing said after 366.

    The node marks where the room's stream ends, subscribes, and reads back from the mark; on a
    quiet machine the subscription usually wins anyway, so this pins the behaviour rather than
    forcing the race."""
    with nodes(tmp_path, redis, "talker", "joiner") as (a, b):
        talker = irc_client(a.ports["irc"], "talker")
        joiner = irc_client(b.ports["irc"], "joiner")
        rooms = [f"#race{i}" for i in range(8)]  # under --new-rooms-per-minute
        for room in rooms:
            talker.send(f"JOIN {room}")
            talker.expect(f" 366 talker {room} ")
        for room in rooms:
            joiner.send(f"JOIN {room}")
            joiner.expect(f" 366 joiner {room} ")
            talker.send(f"PRIVMSG {room} :right after your join")  # the moment the joiner is answered
        for room in rooms:
            assert joiner.expect(rf"PRIVMSG {room} :right after your join", timeout=10)
        joiner.send("PING :done")
        assert not [line for line in joiner.until("PONG") if "PRIVMSG" in line]  # none twice


def test_sentinel_failover_loses_no_message(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "r").mkdir()
    master = RedisServer(tmp_path / "m").start()
    replica = RedisServer(tmp_path / "r", "--replicaof", "127.0.0.1", str(master.port)).start()
    wait_until(lambda: b"master_link_status:up" in replica.ask("INFO", "replication"), 15,
               what="the replica to follow the master")
    sentinel = Sentinel(tmp_path, master).start()
    args = ("--redis-sentinel", f"127.0.0.1:{sentinel.port}", "--redis-master", sentinel.name)
    a = b = None
    try:
        a = in_sync(start_node(tmp_path, "sa", *args))
        b = in_sync(start_node(tmp_path, "sb", *args))
        near = Receiver(a.ports["irc"], "near", "#fo")
        far = Receiver(b.ports["irc"], "far", "#fo")
        total = 200
        stream = Stream(a.ports["irc"], "sender", "#fo", total, 0.03)
        stream.start()
        wait_until(lambda: stream.reached(40), 10, what="the stream to start")
        master.proc.send_signal(signal.SIGKILL)  # the master dies; Sentinel promotes the replica
        wait_until(lambda: sentinel.master_port() == replica.port, 30, what="Sentinel to promote the replica")
        stream.join()
        assert near.wait_for("#fo", total) == expected(total)
        assert far.wait_for("#fo", total, timeout=30) == expected(total)
        a.wait_for_log(lambda line: f"is at 127.0.0.1:{replica.port}" in line or None, 20, "a on the new master")
        stream.client.send("PRIVMSG #fo :on the new master")
        assert far.wait_for("#fo", total + 1)[-1] == "on the new master"
        assert near.texts("#fo") == far.texts("#fo")
    finally:
        for daemon in (a, b):
            if daemon is not None:
                daemon.kill()
        sentinel.stop()
        replica.stop()
        master.stop()


def test_start_up_warns_when_redis_keeps_nothing(tmp_path, redis):
    with nodes(tmp_path, redis, "warned") as (a,):
        a.wait_for_log(lambda line: "Redis has no AOF" in line or None, 10, "the persistence warning")


def test_a_web_client_that_was_away_recovers_across_nodes(tmp_path, redis):
    with nodes(tmp_path, redis, "irc-side", "web-side") as (a, b):
        ivan = irc_client(a.ports["irc"], "ivan", "message-tags draft/chathistory batch server-time")
        ivan.send("JOIN #back")
        ivan.expect(" 366 ")

        def ask(ws, frame):
            ws.send(json.dumps(frame))
            while True:
                got = json.loads(ws.recv(timeout=10))
                if got.get("id") == frame["id"]:
                    return got

        with connect(f"ws://127.0.0.1:{b.ports['http']}/ws", subprotocols=["chatd.v1"]) as ws:
            ask(ws, {"type": "hello", "nick": "wendy", "id": 1})
            ask(ws, {"type": "join", "room": "#back", "id": 2})
            ivan.send("PRIVMSG #back :seen before the drop")
            message = json.loads(ws.recv(timeout=10))
            while message.get("type") != "message":
                message = json.loads(ws.recv(timeout=10))
            last = message["id"]
        # The socket dropped; others talk meanwhile.
        for i in range(5):
            ivan.send(f"PRIVMSG #back :missed {i}")
        ivan.send("PING :x")
        ivan.until("PONG")

        # Back, on the other node this time, asking for everything after the last id it saw.
        with connect(f"ws://127.0.0.1:{a.ports['http']}/ws", subprotocols=["chatd.v1"]) as ws:
            ask(ws, {"type": "hello", "nick": "wendy", "id": 1})
            joined = ask(ws, {"type": "join", "room": "#back", "since": last, "id": 2})
        assert joined["recovered"] is True
        assert [m["text"] for m in joined["history"]] == [f"missed {i}" for i in range(5)]

        # IRC clients get the same through CHATHISTORY with the cluster's message ids.
        ivan.send(f"CHATHISTORY AFTER #back msgid={last} 10")
        replay = ivan.until(r"BATCH -")
        assert [line.rsplit(":", 1)[1] for line in replay if "PRIVMSG" in line] == [f"missed {i}" for i in range(5)]
        ivan.send(f"CHATHISTORY BEFORE #back msgid={joined['history'][0]['id']} 10")
        older = ivan.until(r"BATCH -")
        assert [line.rsplit(":", 1)[1] for line in older if "PRIVMSG" in line] == ["seen before the drop"]
