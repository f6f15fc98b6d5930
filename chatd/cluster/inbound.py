"""What other nodes tell this one on the events channel, applied to the network's view.

Each event names its node; a node's own events are ignored, and every other
one refreshes that node's heartbeat before it is applied through the core's
:class:`~chatd.core.replica.Replica`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import casefold
from ..core.moderation import ServerBan
from ..core.publisher import RemoteClient
from . import codec

if TYPE_CHECKING:
    from .bridge import RedisBridge


def apply(bridge: RedisBridge, event: dict[str, Any]) -> None:
    node = event.get("n")
    if node == bridge.node or not isinstance(node, str):
        return
    bridge.heard[node] = bridge.reactor.seconds()
    replica = bridge.network.replica
    kind = event.get("t")
    if kind == "user":
        collided = replica.add_user(node, codec.to_identity(event["i"]), event.get("a"), event.get("s", 0),
                                    event.get("m", ""))
        if collided is not None:
            bridge._collision(collided, collided.folded)
    elif kind == "quit":
        replica.quit(event["nick"], event["reason"])
    elif kind == "nick":
        replica.rename(event["old"], event["new"])
    elif kind == "away":
        replica.away(event["nick"], event.get("msg"))
    elif kind == "join":
        replica.join(event["nick"], event["room"], event.get("st", ""), event.get("c"))
    elif kind == "part":
        replica.part(event["nick"], event["room"], event.get("reason", ""))
    elif kind == "kick":
        target = bridge.network.find_user(event["nick"])
        replica.kick(codec.to_identity(event["by"]), event["room"], event["nick"], event.get("reason", ""))
        if target is not None and not isinstance(target.client, RemoteClient):
            room = bridge.network.find_room(event["room"])
            if room is not None:
                bridge._maybe_unlisten(room)
    elif kind == "topic":
        replica.topic(codec.to_identity(event["by"]), event["room"], event["topic"], event["time"])
    elif kind == "mode":
        replica.modes(codec.to_identity(event["by"]), event["room"], [tuple(c) for c in event["ch"]])
    elif kind == "kline":
        ban = ServerBan(**event["ban"])
        bridge.network.apply_server_ban(ban)
        bridge.network.enforce_server_ban(ban)
    elif kind == "unkline":
        bridge.network.lift_server_ban(event["ban"]["mask"])
    elif kind == "kill":
        victim = bridge.network.find_user(event["nick"])
        if victim is not None and not isinstance(victim.client, RemoteClient) and event.get("node") == bridge.node:
            victim.client.disconnect(event.get("reason", "Killed"))
    elif kind == "wallops":
        bridge.network.show_wallops(codec.to_identity(event["by"]), event.get("text", ""))
    elif kind == "roomstate":
        replica.room_state(event["room"], event.get("s") or {})
    elif kind == "read":
        replica.read_moved(event["person"], event["target"], float(event["until"]))
    elif kind == "redact":
        replica.redact(codec.to_identity(event["by"]), event["target"], event["msgid"], event.get("reason", ""))
    elif kind == "invite":
        replica.invite(codec.to_identity(event["by"]), event["nick"], event["room"])
    elif kind == "sync":
        resync_node(bridge, node, event["users"])
    elif kind == "bye":
        bridge.heard.pop(node, None)
        replica.node_lost(node, "Server shutting down")

def resync_node(bridge: RedisBridge, node: str, users: list[dict[str, Any]]) -> None:
    """A node (re)joined the cluster and listed its users: make our view match."""
    replica = bridge.network.replica
    listed = set()
    for entry in users:
        identity = codec.to_identity(entry["i"])
        listed.add(casefold(identity.nick))
        collided = replica.add_user(node, identity, entry.get("a"), entry.get("s", 0), entry.get("m", ""))
        if collided is not None:
            bridge._collision(collided)
            continue
        rooms = entry.get("r", {})
        known = bridge.network.find_user(identity.nick)
        for room_name, status in rooms.items():
            replica.join(identity.nick, room_name, status)
        if known is not None:
            for room in list(known.rooms.values()):
                if room.name not in rooms:
                    replica.part(identity.nick, room.name, "")
    for user in replica.node_users(node):
        if user.folded not in listed:
            replica.quit(user.nick, "node lost")
