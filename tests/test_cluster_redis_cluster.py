"""chatd nodes on a real Redis Cluster: three primaries with a replica each (Debian's redis-server 7).

Rooms are picked so that their keys live on different shards; every check is
what a user sees (IRC lines, history batches) or what Redis holds.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys

import pytest

from chatd.cluster.keys import Keys, renamed
from chatd.cluster.slots import crc16, key_slot
from chatd.core import casefold

from .support.parts import ROOT
from .support.processes import Daemon
from .support.redis import RedisServer
from .support.redis_cluster import RedisCluster
from .support.sockets import irc_client
from .support.streams import Receiver, Stream, expected
from .support.waiting import wait_until
from .test_irc_multiclient import register, sasl_line_client

KEYS = Keys("chatd:chatd:")
HISTORY_CAPS = "draft/chathistory batch server-time message-tags"


# -- slots and names, from the cluster specification (no processes) ---------------------------

@pytest.mark.unit
def test_slots_follow_the_cluster_specification():
    assert crc16(b"123456789") == 0x31C3  # the spec's check value for its CRC16 (XMODEM)
    assert key_slot("{user1000}.following") == key_slot("{user1000}.followers")
    assert key_slot("foo{}{bar}") == crc16(b"foo{}{bar}") % 16384  # an empty tag: the whole key
    assert key_slot("foo{{bar}}zap") == crc16(b"{bar") % 16384
    assert key_slot("foo{bar}{zap}") == crc16(b"bar") % 16384


@pytest.mark.unit
def test_everything_one_step_touches_shares_a_slot():
    for room in ("#team", "#a{b}", "#x}y", "#ümlaut"):
        folded = casefold(room)
        slots = {key_slot(k) for k in (KEYS.history(folded), KEYS.ids(folded), KEYS.members(folded),
                                       KEYS.room_channel(folded))}
        assert len(slots) == 1, room
        assert KEYS.room_of_channel(KEYS.room_channel(folded)) == folded
    conversation = "alice bob"
    assert key_slot(KEYS.history(conversation)) == key_slot(KEYS.ids(conversation))
    assert key_slot(KEYS.inbox("node-1")) == key_slot(KEYS.node_channel("node-1"))
    network = {key_slot(k) for k in (KEYS.nicks, KEYS.nodes, KEYS.rooms, KEYS.users("n1"), KEYS.events)}
    assert len(network) == 1
    assert key_slot(KEYS.account("alice")) == key_slot(KEYS.account_nicks) == key_slot(KEYS.account_certs)
    # Rooms spread: a hundred rooms fall in many slots, not one.
    assert len({key_slot(KEYS.history(f"#room{i}")) for i in range(100)}) > 90


@pytest.mark.unit
def test_the_flat_names_of_earlier_releases_map_to_the_tagged_ones():
    assert renamed("chatd:chatd:", "chatd:chatd:history:#team") == KEYS.history("#team")
    assert renamed("chatd:chatd:", "chatd:chatd:history:alice bob") == KEYS.history("alice bob")
    assert renamed("chatd:chatd:", "chatd:chatd:account-nicks") == KEYS.account_nicks
    assert renamed("chatd:chatd:", "chatd:chatd:members:#team") == KEYS.members("#team")
    assert renamed("chatd:chatd:", KEYS.history("#team")) is None  # already tagged
    assert renamed("chatd:chatd:", "other:thing") is None


# -- a real cluster -------------------------------------------------------------------------

@pytest.fixture
def cluster(tmp_path):
    folder = tmp_path / "redis"
    folder.mkdir()
    started = RedisCluster(folder)
    try:
        yield started.start()
    finally:
        started.stop()


def start_node(tmp_path, cluster, name, *extra):
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    daemon = Daemon("--redis-cluster", cluster.seeds, "--node-name", name, "--node-timeout", "10",
                    "--flood-rate", "0", *extra, state_dir=folder).start()
    daemon.wait_for_log(lambda line: "in sync" in line or None, 30, "cluster sync")
    return daemon


@contextlib.contextmanager
def nodes(tmp_path, cluster, *names, extra=()):
    started = []
    try:
        for name in names:
            started.append(start_node(tmp_path, cluster, name, *extra))
        yield started
    finally:
        for daemon in started:
            daemon.kill()


def rooms_on_different_shards(cluster, count=2):
    """Room names whose keys live on ``count`` different primaries."""
    found: dict[int, str] = {}
    for i in range(200):
        room = f"#shard{i}"
        found.setdefault(cluster.owner(KEYS.history(casefold(room))), room)
        if len(found) == count:
            return list(found.values())
    raise AssertionError("no rooms on different shards")


def said_in(client, room, count):
    """The texts of the first ``count`` lines said in ``room`` that ``client`` gets (others stay unread)."""
    texts: list[str] = []
    while len(texts) < count:
        line = client.expect(rf" PRIVMSG {re.escape(room)} :", timeout=15)
        texts.append(line.rsplit(" :", 1)[1])
    return texts


def history(client, room, *query):
    """One CHATHISTORY answer: the texts of its batch."""
    client.send(f"CHATHISTORY {' '.join(query)}")
    lines = client.until(r"BATCH -")
    texts = [line.rsplit(" :", 1)[1] for line in lines if f"PRIVMSG {room} :" in line]
    ids = [re.search(r"msgid=(\w+)", line).group(1) for line in lines if f"PRIVMSG {room} :" in line]
    return texts, ids


@pytest.mark.cluster
def test_two_nodes_share_rooms_on_different_shards(tmp_path, cluster):
    first, second = rooms_on_different_shards(cluster)
    with nodes(tmp_path, cluster, "alpha", "beta") as (a, b):
        ivan = irc_client(a.ports["irc"], "ivan", HISTORY_CAPS + " echo-message")
        maya = irc_client(b.ports["irc"], "maya", HISTORY_CAPS + " echo-message")
        for client, nick in ((ivan, "ivan"), (maya, "maya")):
            for room in (first, second):
                client.send(f"JOIN {room}")
                client.expect(f" 366 {nick} {room} ")
        for i in range(10):  # both talk in both rooms, interleaved
            for room in (first, second):
                ivan.send(f"PRIVMSG {room} :ivan {i}")
                maya.send(f"PRIVMSG {room} :maya {i}")
        for room in (first, second):
            maya.send(f"PRIVMSG {room} :end")
        for room in (first, second):
            seen = []
            for client in (ivan, maya):  # with echo-message each sees its own lines in the room's order
                seen.append(said_in(client, room, 21))
            assert seen[0] == seen[1]  # one order per room on both nodes
            assert [t for t in seen[0] if t.startswith("ivan")] == [f"ivan {i}" for i in range(10)]
            assert [t for t in seen[0] if t.startswith("maya")] == [f"maya {i}" for i in range(10)]
            if room == first:
                seen_first = seen[0]
        # Each room's stream is on its own shard, and each shard holds only its rooms.
        assert cluster.owner(KEYS.history(casefold(first))) != cluster.owner(KEYS.history(casefold(second)))
        for room, other in ((first, second), (second, first)):
            port = cluster.owner(KEYS.history(casefold(room)))
            assert cluster.ask(port, "XLEN", KEYS.history(casefold(room))) == "21"
            assert cluster.ask(port, "XLEN", KEYS.history(casefold(other))).startswith("MOVED ")
        # History paging from the other node, through the shards.
        everything, ids = history(maya, first, "LATEST", first, "*", "100")
        assert everything == seen_first
        texts, ids = history(maya, first, "LATEST", first, "*", "5")
        assert texts == everything[-5:]
        older, _ = history(maya, first, "BEFORE", first, f"msgid={ids[0]}", "4")
        assert older == everything[-9:-5]
        # A nick is one person's across the network.
        maya.send("NICK ivan")
        maya.expect(r" 433 maya ivan ")
        # A direct message across nodes.
        ivan.send("PRIVMSG maya :hello across shards")
        maya.expect(r":ivan!\S+ PRIVMSG maya :hello across shards")


@pytest.mark.cluster
def test_a_primary_killed_loses_no_acknowledged_message(tmp_path, cluster):
    """The primary serving a room's slot dies mid-stream; its replica is promoted, and every
    message is delivered to both nodes once, in order, and kept in the room's history."""
    room = "#failover"
    with nodes(tmp_path, cluster, "fa", "fb", extra=("--redis-wait-replicas", "1")) as (a, b):
        near = Receiver(a.ports["irc"], "near", room)
        far = Receiver(b.ports["irc"], "far", room)
        total = 150
        stream = Stream(a.ports["irc"], "sender", room, total, 0.03)
        stream.start()
        wait_until(lambda: stream.reached(40), 10, what="the stream to start")
        victim = cluster.owner(KEYS.history(casefold(room)))
        cluster.kill(victim)
        wait_until(lambda: cluster.owner(KEYS.history(casefold(room))) not in (victim, 0), 30,
                   what="a replica to be promoted")
        stream.join()
        assert near.wait_for(room, total, timeout=40) == expected(total)
        assert far.wait_for(room, total, timeout=40) == expected(total)
        stream.client.send(f"PRIVMSG {room} :after the failover")
        assert far.wait_for(room, total + 1)[-1] == "after the failover"
        reader = irc_client(b.ports["irc"], "reader", HISTORY_CAPS)
        reader.send(f"JOIN {room}")
        reader.expect(f" 366 reader {room} ")
        texts, ids = history(reader, room, "LATEST", room, "*", "100")  # CHATHISTORY=100 a batch
        older, _ = history(reader, room, "BEFORE", room, f"msgid={ids[0]}", "100")
        assert older + texts == expected(total) + ["after the failover"]


@pytest.mark.cluster
def test_a_shard_down_holds_up_only_its_own_rooms(tmp_path, cluster):
    """A shard (primary and replica) hangs: a room on another shard keeps its cross-node delivery
    meanwhile; the hung shard's room is shown locally, and reaches the other node once, in order,
    with its history, when the shard answers again."""
    home = cluster.owner(KEYS.events)
    rooms = {cluster.owner(KEYS.history(casefold(room))): room for room in rooms_on_different_shards(cluster, 3)}
    hung_port = next(port for port in rooms if port != home)
    hung = rooms[hung_port]
    fine = next(room for port, room in rooms.items() if port not in (home, hung_port))
    started = []
    with nodes(tmp_path, cluster, "ha", "hb") as (a, b), contextlib.ExitStack() as stack:
        stack.callback(lambda: [daemon.kill() for daemon in started])
        near = Receiver(a.ports["irc"], "near", hung)
        far_hung = Receiver(b.ports["irc"], "farhung", hung)
        far_fine = Receiver(b.ports["irc"], "farfine", fine)
        sender = irc_client(a.ports["irc"], "sender")
        for room in (hung, fine):
            sender.send(f"JOIN {room}")
            sender.expect(f" 366 sender {room} ")
        for i in range(5):
            for room in (hung, fine):
                sender.send(f"PRIVMSG {room} :n-{i}")
        assert far_hung.wait_for(hung, 5) == expected(5)
        assert far_fine.wait_for(fine, 5) == expected(5)
        replica = cluster.replica_of(hung_port)
        cluster.freeze(hung_port)
        cluster.freeze(replica)
        try:
            noticed = f"Redis link down (127.0.0.1:{hung_port})"
            a.wait_for_log(lambda line: noticed in line, 15, "the hung shard noticed")
            for i in range(5, 15):
                for room in (hung, fine):
                    sender.send(f"PRIVMSG {room} :n-{i}")
            # The shard is still hung: the other room goes on across nodes, the hung one locally.
            assert far_fine.wait_for(fine, 15) == expected(15)
            assert near.wait_for(hung, 15) == expected(15)
            assert far_hung.texts(hung) == expected(5)
            # A join whose member-list write the shard cannot take, and a node that starts now,
            # unable to read the room's member list: both put right once the shard is back.
            late = irc_client(a.ports["irc"], "late")
            late.send(f"JOIN {hung}")
            late.expect(f" 366 late {hung} ")
            third = start_node(tmp_path, cluster, "hc")
            started.append(third)
        finally:
            cluster.thaw(replica)
            cluster.thaw(hung_port)
        assert far_hung.wait_for(hung, 15, timeout=40) == expected(15)
        sender.send(f"PRIVMSG {hung} :after")
        assert far_hung.wait_for(hung, 16)[-1] == "after"
        assert near.wait_for(hung, 16) == expected(15) + ["after"]  # once each, here too
        assert far_hung.texts(hung) == expected(15) + ["after"]
        reader = irc_client(b.ports["irc"], "reader", HISTORY_CAPS)
        reader.send(f"JOIN {hung}")
        reader.expect(f" 366 reader {hung} ")
        texts, _ = history(reader, hung, "LATEST", hung, "*", "100")
        assert texts == expected(15) + ["after"]
        members = KEYS.members(casefold(hung))
        wait_until(lambda: "late" in cluster.ask(cluster.owner(members), "HGETALL", members).split(), 15,
                   what="the join made during the outage in the room's member list")
        viewer = irc_client(third.ports["irc"], "viewer")
        seen: list[set[str]] = [set()]
        everyone = {"near", "farhung", "sender", "late", "reader"}
        try:
            wait_until(lambda: seen.append(names(viewer, hung)) or seen[-1] == everyone, 15)
        except AssertionError:
            raise AssertionError(f"NAMES on the third node: {seen[-1]}\n{''.join(third.output)}") from None


def names(client, room):
    client.send(f"NAMES {room}")
    lines = client.until(r" 366 ")
    return {nick.lstrip("@+") for line in lines if " 353 " in line for nick in line.rsplit(" :", 1)[1].split()}


@pytest.mark.cluster
def test_a_room_whose_slot_is_resharded_keeps_its_order_and_history(tmp_path, cluster):
    """The room's slot moves to another primary while people talk: its channel and stream follow."""
    room = "#moving"
    key = KEYS.history(casefold(room))
    with nodes(tmp_path, cluster, "ra", "rb") as (a, b):
        near = Receiver(a.ports["irc"], "near", room)
        far = Receiver(b.ports["irc"], "far", room)
        sender = irc_client(a.ports["irc"], "sender")
        sender.send(f"JOIN {room}")
        sender.expect(" 366 ")
        for i in range(20):
            sender.send(f"PRIVMSG {room} :n-{i}")
        far.wait_for(room, 20)
        source = cluster.owner(key)
        target = next(port for port in cluster.live() if port != source and cluster.is_primary(port))
        cluster.move_slot(int(cluster.ask(source, "CLUSTER", "KEYSLOT", key)), source, target)
        assert cluster.owner(key) == target
        for i in range(20, 40):
            sender.send(f"PRIVMSG {room} :n-{i}")
        assert far.wait_for(room, 40, timeout=30) == expected(40)
        assert near.wait_for(room, 40) == expected(40)
        assert cluster.ask(target, "XLEN", key) == "40"
        reader = irc_client(b.ports["irc"], "reader", HISTORY_CAPS)
        reader.send(f"JOIN {room}")
        reader.expect(" 366 ")
        texts, _ = history(reader, room, "LATEST", room, "*", "100")
        assert texts == expected(40)


@pytest.mark.cluster
def test_a_network_moves_from_one_redis_to_the_cluster(tmp_path, cluster):
    """History and an account made on a single Redis under the flat names of earlier releases are
    copied to the cluster by ``python -m chatd.migrate``, renamed, and served from there."""
    (tmp_path / "single").mkdir()
    single = RedisServer(tmp_path / "single").start()
    try:
        folder = tmp_path / "old"
        folder.mkdir()
        old = Daemon("--redis", single.url, "--node-name", "old", state_dir=folder).start()
        old.wait_for_log(lambda line: "in sync" in line or None, 20, "cluster sync")
        ann = irc_client(old.ports["irc"], "ann")
        ann.send("REGISTER * * :ann-password")
        ann.expect("REGISTER SUCCESS ann ")
        ann.send("JOIN #team")
        ann.expect(" 366 ann #team ")
        for i in range(3):
            ann.send(f"PRIVMSG #team :before the move {i}")
        ann.send("PING :written")
        ann.expect("PONG")
        assert old.stop() == 0
        # The names an earlier release gave these keys (no hash tags).
        for new, flat in ((KEYS.history("#team"), "history:#team"), (KEYS.ids("#team"), "ids:#team"),
                          (KEYS.account("ann"), "account:ann"), (KEYS.account_nicks, "account-nicks")):
            assert single.ask("RENAME", new, "chatd:chatd:" + flat).startswith(b"+OK")
        moved = subprocess.run(
            [sys.executable, "-m", "chatd.migrate", "--from", single.url, "--redis-cluster", cluster.seeds,
             "--state-dir", str(tmp_path / "tool")], capture_output=True, text=True, cwd=str(ROOT), timeout=120)
        assert moved.returncode == 0, moved.stderr
        assert re.match(r"copied \d+ keys", moved.stdout), moved.stdout
        history_port = cluster.owner(KEYS.history("#team"))
        assert cluster.ask(history_port, "XLEN", KEYS.history("#team")) == "3"
        again = subprocess.run(
            [sys.executable, "-m", "chatd.migrate", "--from", single.url, "--redis-cluster", cluster.seeds,
             "--state-dir", str(tmp_path / "tool")], capture_output=True, text=True, cwd=str(ROOT), timeout=120)
        assert f"left as it is: {KEYS.history('#team')}" in again.stdout  # a second run copies nothing twice
        assert cluster.ask(history_port, "XLEN", KEYS.history("#team")) == "3"
    finally:
        single.stop()
    with nodes(tmp_path, cluster, "new") as (new,):
        ann = irc_client(new.ports["irc"], "ann2", HISTORY_CAPS)
        ann.send("NICK ann")
        ann.expect(" 433 ")  # reserved for the account
        ann.send("PRIVMSG NickServ :IDENTIFY ann ann-password")
        ann.expect(r"You are now logged in as ann")
        ann.send("JOIN #team")
        ann.expect(" 366 ")
        texts, _ = history(ann, "#team", "LATEST", "#team", "*", "10")
        assert texts == [f"before the move {i}" for i in range(3)]


@pytest.mark.cluster
def test_a_device_on_another_node_is_carried_over_sharded_channels(tmp_path, cluster):
    """Each node's relay channel lives on its own slot's shard (sharded pub/sub): a phone signing in
    on beta is carried to alpha, which holds alice, both ways; when beta's relay shard hangs, the
    carried connection ends on both nodes instead of lingering."""
    assert len({cluster.owner(KEYS.relay("alpha")), cluster.owner(KEYS.relay("beta")), cluster.owner(KEYS.events)}) == 3
    with nodes(tmp_path, cluster, "alpha", "beta") as (a, b):
        register(a, "alice")
        laptop = sasl_line_client(a.ports["irc"], "alice", "alice-password")
        laptop.expect(" 001 alice ")
        laptop.send("JOIN #team")
        laptop.expect(" 366 alice #team ")
        phone = sasl_line_client(b.ports["irc"], "alice", "alice-password", caps="echo-message")
        phone.expect(" 001 alice ")
        phone.expect(" 366 alice #team ")
        phone.send("PRIVMSG #team :from the phone")
        phone.expect(r"^:alice!\S+ PRIVMSG #team :from the phone$")
        laptop.expect(r"^:alice!\S+ PRIVMSG #team :from the phone$")
        laptop.send("PRIVMSG #team :from the laptop")
        phone.expect(r"PRIVMSG #team :from the laptop$")

        # beta's relay channel's shard hangs (primary and replica): nothing carried can reach beta,
        # so beta ends the phone's connection, saying why, and alpha drops its end of it.
        shard = cluster.owner(KEYS.relay("beta"))
        replica = cluster.replica_of(shard)
        cluster.freeze(shard)
        cluster.freeze(replica)
        try:
            assert phone.expect("^ERROR ", timeout=20).endswith("(Lost the link to the other servers)")
            laptop.send("PRIVMSG #team :are you still there, phone?")

            def sessions() -> str:
                laptop.send("NickServ SESSIONS")
                return laptop.expect(r"You are connected \d+ time")

            wait_until(lambda: "connected 1 time" in sessions(), 20, what="the phone gone from alpha")
        finally:
            cluster.thaw(replica)
            cluster.thaw(shard)
