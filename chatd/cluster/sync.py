"""Bringing a node in line with the cluster when its Redis link comes (back) up.

:func:`snapshot` reads the network's state (live nodes, their users, rooms and
members) from Redis into this node's view; :func:`register_everything` then
tells Redis and every other node what this node holds, claiming its nicks
again and announcing a ``sync`` that peers apply with ``resync_node``.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from twisted.internet import defer
from twisted.logger import Logger

from ..core.moderation import ServerBan
from ..core.publisher import RemoteClient
from . import codec, scripts

if TYPE_CHECKING:
    from .bridge import RedisBridge

log = Logger()


@defer.inlineCallbacks
def snapshot(bridge: RedisBridge) -> Any:
    """Read the network's state from Redis into our view."""
    replica = bridge.network.replica
    now_ms = int(time.time() * 1000)
    nodes = yield bridge.link.call("HGETALL", bridge.keys.nodes)
    alive: dict[str, list[Any]] = {}
    for node, beat in zip(nodes[::2], nodes[1::2], strict=False):
        if node == bridge.node:
            continue
        age = (now_ms - int(beat)) / 1000.0
        if age > bridge.node_timeout:
            yield bridge._reap(node)
            continue
        bridge.heard[node] = bridge.reactor.seconds() - max(age, 0)
        alive[node] = (yield bridge.link.call("HGETALL", bridge.keys.users(node)))
    present: set[str] = set()
    for node, flat in alive.items():
        for folded, raw in zip(flat[::2], flat[1::2], strict=False):
            data = json.loads(raw)
            collided = replica.add_user(node, codec.to_identity(data["i"]), data.get("a"), data.get("s", 0),
                                        data.get("m", ""))
            if collided is not None:
                bridge._collision(collided)
            present.add(folded)
    for user in [u for u in bridge.network.users.values() if isinstance(u.client, RemoteClient)]:
        if user.folded not in present:
            replica.quit(user.nick, "node lost")
    rooms = yield bridge.link.call("HGETALL", bridge.keys.rooms)
    for folded, raw in zip(rooms[::2], rooms[1::2], strict=False):
        data = json.loads(raw)
        room = bridge.network.find_room(data["n"])
        if room is None or not [u for u in room.members if not isinstance(u.client, RemoteClient)]:
            replica.room(data["n"], data["c"], data["t"], data["tb"], data["tt"], data["f"], data["k"],
                         data["l"], data.get("s"))
        members = yield bridge.link.call("HGETALL", bridge.keys.members(folded))
        for nick, value in zip(members[::2], members[1::2], strict=False):
            status, _, node = value.partition("|")
            if node in alive:
                member = bridge.network.users.get(nick)
                if member is not None:
                    replica.join(member.nick, data["n"], status, data["c"])
    bans = yield bridge.link.call("HGETALL", bridge.keys.server_bans)
    for raw in bans[1::2]:
        bridge.network.apply_server_ban(ServerBan(**json.loads(raw)))

def register_everything(bridge: RedisBridge) -> defer.Deferred[Any]:
    """Tell Redis and every node what this node holds (after start or an outage)."""
    now_ms = int(time.time() * 1000)
    calls = [bridge.link.call("HSET", bridge.keys.nodes, bridge.node, now_ms),
             bridge.link.call("DEL", bridge.keys.users(bridge.node))]
    listing = []
    for user in [u for u in bridge.network.users.values() if not isinstance(u.client, RemoteClient)]:
        d = bridge.link.script(scripts.CLAIM_NICK, [bridge.keys.nicks], [user.folded, bridge.node])
        calls.append(d.addCallback(bridge._claimed, user))
        calls.append(bridge.link.call("HSET", bridge.keys.users(bridge.node), user.folded, bridge._user_json(user)))
        rooms = {}
        for folded, room in user.rooms.items():
            rooms[room.name] = "".join(sorted(room.members[user]))
            bridge.room_channels.add(folded)
            calls.append(bridge.link.call("HSET", bridge.keys.rooms, folded, codec.room_json(room)))
            calls.append(bridge.link.call("HSET", bridge.keys.members(folded), user.folded, bridge._status(room, user)))
        listing.append({"i": codec.identity(user.identity), "a": user.away, "s": user.signon, "r": rooms,
                        "m": "".join(sorted(user.modes))})
    sync = codec.dumps({"t": "sync", "n": bridge.node, "users": listing})
    calls.append(bridge.link.call("PUBLISH", bridge.keys.events, sync))
    return defer.gatherResults(calls, consumeErrors=True)


def check_persistence(bridge: RedisBridge) -> None:
    """Shared history and accounts live in Redis: say so loudly if it keeps nothing on disk."""
    def checked(info: Any) -> None:
        fields = dict(line.split(":", 1) for line in str(info).splitlines() if ":" in line)
        if fields.get("aof_enabled", "0").strip() == "1":
            return
        d = bridge.link.call("CONFIG", "GET", "save")
        d.addCallback(lambda saved: log.warn(
            "Redis has no AOF (appendonly no){more}: a Redis restart loses the latest history, accounts and "
            "registered rooms; turn on appendonly (docs/cluster.md)",
            more="" if len(saved) > 1 and saved[1].strip() else " and no snapshots"))
        d.addErrback(lambda _: log.warn("Redis has no AOF (appendonly no): a Redis restart loses the latest "
                                        "history, accounts and registered rooms (docs/cluster.md)"))

    bridge.link.call("INFO", "persistence").addCallbacks(checked, lambda _: None)
