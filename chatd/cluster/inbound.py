"""What other nodes tell this one on the events channel, applied to the network's view.

Each message names its node; a node's own are ignored, and every other one
refreshes that node's heartbeat.  Besides the node's own beats, goodbyes and
re-syncs, a message is a record in the core's codec, applied by the same step
as this node's own changes (:meth:`~chatd.core.network.Network.receive`); a
person first heard of becomes one of the replica's users.
"""

from __future__ import annotations

from typing import Any

from ..core import Network, casefold
from ..core.events import Connected, Kicked
from ..core.remote import home_of, is_remote
from . import codec
from .channels import RoomChannels
from .handover import Handover
from .nodes import Nodes
from .shared import SharedState


class Inbound:
    def __init__(self, node: str, network: Network, nodes: Nodes, shared: SharedState,
                 channels: RoomChannels, handover: Handover) -> None:
        self.node = node
        self.network = network
        self.nodes = nodes
        self.shared = shared
        self.channels = channels
        self.handover = handover

    def apply(self, event: dict[str, Any]) -> None:
        node = event.get("n")
        if node == self.node or not isinstance(node, str):
            return
        self.nodes.heard_from(node)
        kind = event.get("t")
        if kind == "beat":
            return
        if kind == "sync":
            self.resync_node(node, event["users"])
            return
        if kind == "bye":
            self.nodes.left(node)
            return
        if kind == "takeover":
            self.handover.asked_of_us(event)
            return
        if kind == "handed":
            self.handover.answered(event)
            return
        if kind == "owner":  # an account registered, or a nick grouped or ungrouped, on that node
            if self.network.accounts is not None:
                self.network.accounts.learn(event["k"], event["a"])
            return
        if kind == "seats":  # a node's members of a room, written again after its shard's outage
            for nick, status in event["m"]:
                member = self.network.find_user(nick)
                if member is not None and home_of(member) == node:
                    self.network.replica.seat(member, event["r"], status, event["c"])
            return
        record = codec.decode(event)
        if isinstance(record, Connected):
            self.connected(node, record)
            return
        victim = self.network.find_user(record.target) if isinstance(record, Kicked) else None
        self.network.receive(record, node)
        if isinstance(record, Kicked) and victim is not None and not is_remote(victim):
            self.channels.maybe_unlisten(record.room)  # one of ours was kicked: maybe nobody is left

    def connected(self, node: str, record: Connected) -> None:
        collided = self.network.replica.connected(node, record)
        if collided is not None:
            self.shared.collision(collided, collided.folded)

    def resync_node(self, node: str, users: list[dict[str, Any]]) -> None:
        """A node (re)joined the cluster and listed its users: make our view match."""
        replica = self.network.replica
        listed = set()
        for entry in users:
            record = codec.decode(entry["c"])
            if not isinstance(record, Connected):
                continue
            listed.add(casefold(record.who.nick))
            collided = replica.connected(node, record)
            if collided is not None:
                self.shared.collision(collided)
                continue
            known = self.network.find_user(record.who.nick)
            if known is None:
                continue
            rooms = entry.get("r", {})
            for room_name, status in rooms.items():
                replica.seat(known, room_name, status)
            for room in list(known.rooms.values()):
                if room.name not in rooms:
                    replica.unseat(known, room.name)
        for user in replica.node_users(node):
            if user.folded not in listed:
                replica.drop(user, "node lost")
