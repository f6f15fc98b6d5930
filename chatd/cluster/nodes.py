"""Node liveness: each node beats every ``heartbeat`` seconds; one silent for ``node_timeout`` is lost.

A lost node's people quit everywhere ("node lost") and Redis forgets what it
held (its nicks, its user list, its room memberships: the REAP_NODE script).
"""

from __future__ import annotations

import time
from typing import Any, Callable

from twisted.internet import defer
from twisted.logger import Logger

from ..core import Network
from . import codec, scripts
from .keys import Keys
from .link import Link, call_failed

log = Logger()


class Nodes:
    def __init__(self, link: Link, keys: Keys, node: str, reactor: Any, network: Network,
                 node_timeout: float) -> None:
        self.link = link
        self.keys = keys
        self.node = node
        self.reactor = reactor
        self.network = network
        self.node_timeout = node_timeout
        self.heard: dict[str, float] = {}  # node -> when we last heard from it (our clock)
        #: Told of each node gone (lost, once reaped; or said goodbye): its always-on people need a home.
        self.gone: list[Callable[[str], Any]] = []

    def heard_from(self, node: str, ago: float = 0.0) -> None:
        self.heard[node] = self.reactor.seconds() - ago

    def beat(self) -> None:
        self.link.call("HSET", self.keys.nodes, self.node, int(time.time() * 1000)).addErrback(call_failed, "beat")
        data = codec.dumps({"t": "beat", "n": self.node})
        self.link.call("PUBLISH", self.keys.events, data).addErrback(call_failed, "beat")

    def check(self) -> None:
        now = self.reactor.seconds()
        for node, last in list(self.heard.items()):
            if now - last > self.node_timeout:
                del self.heard[node]
                lost = self.network.replica.node_lost(node, "node lost")
                log.warn("cluster: node {node} lost ({users} users quit)", node=node, users=lost)
                if self.link.up:
                    self.reap(node).addCallbacks(lambda _, node=node: self._gone(node), call_failed,
                                                 errbackArgs=("reap",))

    def _gone(self, node: str) -> None:
        for tell in self.gone:
            tell(node)

    def left(self, node: str) -> None:
        """``node`` said goodbye: its people quit now, without waiting for the timeout."""
        self.heard.pop(node, None)
        self.network.replica.node_lost(node, "Server shutting down")
        self._gone(node)

    def reap(self, node: str) -> defer.Deferred[Any]:
        return defer.ensureDeferred(self._reap(node))

    async def _reap(self, node: str) -> None:
        """The network's record of the node first, then each room's members (each room in its own slot)."""
        keys = [self.keys.nicks, self.keys.rooms, self.keys.nodes, self.keys.users(node)]
        rooms = await self.link.script(scripts.REAP_NODE, keys, [node])
        # A room whose shard does not answer keeps the lost node's entries; readers skip lost nodes.
        await defer.gatherResults([self.link.script(scripts.REAP_MEMBERS, [self.keys.members(room)], [node])
                                   .addErrback(call_failed, "reap of a room's members") for room in rooms or []])
