"""The Redis bridge: this node's link to the other nodes of the network.

- Presence and room state (users, nicks, joins, parts, topics, modes, ...) go
  to every node on one channel, in one global order, and are kept in Redis
  hashes so a node that starts (or comes back) can read the current state.
- Room messages go through a Lua script that appends them to the room's
  stream and publishes them on the room's channel in one step; a node
  listens to a room's channel only while it has members there, and every
  node, the sender's included, delivers what arrives: one order per room.
- Direct messages go to the channel of the node (or two) holding the parties.
- Each node beats every ``heartbeat`` seconds; a node silent for
  ``node_timeout`` seconds is lost: its users quit everywhere ("node lost")
  and its nicks are free again.

The bridge is the service that owns the link and composes the pieces, each
with one job: :class:`~.shared.SharedState` (this node's records, to Redis and
the events channel; nick claims), :class:`~.inbound.Inbound` (other nodes'
records, applied), :class:`~.channels.RoomChannels` (which room channels to
follow), :class:`~.nodes.Nodes` (liveness), :class:`~.sync.Sync` (catching
up after an outage) and :class:`~.messages.MessagePath` (messages).
"""

from __future__ import annotations

import json
import os
import random
import socket
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, Sequence

from twisted.application import internet, service
from twisted.internet import defer
from twisted.logger import Logger

from ..core import Network, Sent
from ..core.directory import User
from ..core.events import DirectMessage, Record, RoomMessage, ServerBan
from ..core.remote import home_of
from . import codec
from .accounts import RedisAccounts
from .arrivals import Arrivals
from .channels import RoomChannels
from .handover import Handover
from .history import RedisHistory
from .inbound import Inbound
from .keys import Keys
from .link import RedisAddress, RedisLink
from .messages import LOCAL_WAIT, RETRY, MessagePath
from .nodes import Nodes
from .outbox import Outbox
from .relay import Relay
from .sentinel import SentinelEndpoint
from .shards import ClusterLink
from .shared import SharedState
from .sync import Sync

log = Logger()


class RedisBridge(service.MultiService):
    """The core's :class:`~chatd.core.Publisher` in cluster mode, and the service that owns the link."""

    network: Network
    arrivals: Arrivals
    shared: SharedState
    inbound: Inbound
    channels: RoomChannels
    nodes: Nodes
    sync: Sync

    def __init__(
        self,
        reactor: Any,
        url: str,
        network_name: str = "chatd",
        node: Optional[str] = None,
        heartbeat: float = 2.0,
        node_timeout: float = 10.0,
        history_cap: int = 100000,
        timeout: float = 1.0,
        outbox: str | Path = ":memory:",
        sentinels: Sequence[tuple[str, int]] = (),
        master: str = "",
        cluster: Sequence[RedisAddress] = (),
        wait_replicas: int = 0,
    ) -> None:
        super().__init__()
        self.reactor = reactor
        self.node = node or f"{socket.gethostname()}-{os.getpid()}-{random.randrange(16**6):06x}"
        self.keys = Keys(f"chatd:{network_name}:")
        #: Run at each (re)sync with Redis, before the node says it is in sync.
        self.on_sync: list[Callable[[], Awaitable[None]]] = []
        #: Run each time the node is in sync with Redis, serving (the always-on people come back).
        self.on_ready: list[Callable[[], Any]] = []
        self.heartbeat = heartbeat
        self.node_timeout = node_timeout
        self.link: RedisLink | ClusterLink  # both are a .link.Link
        if cluster:
            self.link = ClusterLink(reactor, list(cluster), self._link_up, self._link_down, self._received, timeout,
                                    wait_replicas=wait_replicas, home=self.keys.events, on_moved=self._moved)
        else:
            address = RedisAddress.parse(url)
            endpoint = SentinelEndpoint(reactor, list(sentinels), master, address, timeout) if sentinels else None
            self.link = RedisLink(reactor, address, self._link_up, self._link_down, self._received, timeout,
                                  endpoint=endpoint, masters_only=bool(sentinels), wait_replicas=wait_replicas)
        self.link.setServiceParent(self)
        self.outbox = Outbox(outbox, reactor, reactor)
        self.messages = MessagePath(self.link, self.keys, reactor, self.outbox, lambda: self.up,
                                    lambda message: self.network.messaging.deliver(message), history_cap)
        self.persistence_checked = False
        self.repairing = False
        overdue = internet.TimerService(LOCAL_WAIT / 2, self.messages.overdue)
        overdue.clock = reactor
        overdue.setServiceParent(self)
        retry = internet.TimerService(RETRY, self._retry)  # rooms whose shard was down
        retry.clock = reactor
        retry.setServiceParent(self)
        self.ready = False
        self.syncing = False
        self.buffered: list[str] = []
        self.history = RedisHistory(self.link, self.keys)
        self.relay = Relay(self.link, self.keys, self.node, reactor)  # devices of people held elsewhere
        self.accounts = RedisAccounts(self.link, self.keys)
        internet.TimerService(heartbeat, self._beat).setServiceParent(self)
        internet.TimerService(min(1.0, heartbeat), self._check_nodes).setServiceParent(self)

    def bind(self, network: Network) -> None:
        """The network it serves: the pieces that read and change it are made now."""
        self.network = network
        self.channels = RoomChannels(self.link, self.keys, self.messages, network)
        self.shared = SharedState(self.link, self.keys, self.node, network, self.channels)
        self.nodes = Nodes(self.link, self.keys, self.node, self.reactor, network, self.node_timeout)
        self.handover = Handover(self.link, self.keys, self.node, network, self.reactor)
        self.inbound = Inbound(self.node, network, self.nodes, self.shared, self.channels, self.handover)
        self.nodes.gone.append(self.relay.node_gone)
        self.arrivals = Arrivals(network, self.reactor)
        self.sync = Sync(self.link, self.keys, self.node, network, self.nodes, self.shared, self.channels)
        if network.accounts is not None:
            network.accounts.owner_changed.append(self.shared.owner_changed)

    @property
    def up(self) -> bool:
        return self.ready and self.link.up

    @property
    def connected(self) -> bool:
        return self.link.up

    # -- the core's Publisher interface ---------------------------------------------------

    def reserve(self, folded_nick: str) -> defer.Deferred[bool]:
        return self.shared.reserve(folded_nick, self.up).addCallback(self.arrivals.known, folded_nick)

    def release(self, folded_nick: str) -> None:
        if self.up:
            self.shared.release(folded_nick)

    def publish(self, record: Record) -> None:
        self.shared.publish(record)

    def room_message(self, message: RoomMessage) -> Sent:
        return self.messages.room(message)

    def direct_message(self, message: DirectMessage, target: Optional[User]) -> Sent:
        home = home_of(target) if target is not None else None
        return self.messages.direct(message, (self.node, home or self.node))

    def take_over(self, user: User, account: str) -> defer.Deferred[Optional[dict[str, Any]]]:
        return self.handover.ask(user, account)

    # -- the operators' ban store: bans live in Redis, kept by the shared state ---------------

    def load_bans(self) -> list[ServerBan]:
        return []  # learnt from Redis once connected (sync)

    def save_ban(self, ban: ServerBan) -> defer.Deferred[None]:
        return defer.succeed(None)  # the ServerBanChanged record stores it in Redis

    def remove_ban(self, mask: str) -> defer.Deferred[None]:
        return defer.succeed(None)

    # -- what arrives -----------------------------------------------------------------------

    def _received(self, channel: str, data: str) -> None:
        try:
            if channel == self.keys.events:
                if self.syncing:
                    self.buffered.append(data)
                else:
                    self.inbound.apply(json.loads(data))
                return
            if channel == self.relay.channel:
                self.relay.received(data)
                return
            self.messages.received(self._stream_of(channel), data)
        except Exception:
            log.failure("bad cluster message on {channel}: {data!r}", channel=channel, data=data[:200])

    def _stream_of(self, channel: str) -> str:
        """The stream a message channel's messages are kept in: a room's, or this node's inbox."""
        room = self.keys.room_of_channel(channel)
        return self.keys.history(room) if room is not None else self.keys.inbox(self.node)

    def _moved(self, channels: list[str]) -> None:
        """A Redis Cluster shard answers again (or a slot moved): follow its channels there."""
        if self.ready:  # otherwise a re-sync is under way, and reconciles when it is done
            defer.ensureDeferred(self._follow([c for c in channels if c != self.keys.events]))

    async def _follow(self, channels: list[str]) -> None:
        """Subscribe where they live now, read back what their streams got meanwhile (each
        message once), and send what waited."""
        streams = [self._stream_of(channel) for channel in channels]
        for stream in streams:
            self.messages.hold(stream)
        await self.link.subscribe(*channels)
        for stream in streams:
            await self.messages.backfill(stream)
        log.info("cluster: {n} channels followed again on their shard", n=len(channels))
        self.messages.replay()

    # -- link state ------------------------------------------------------------------------

    def _link_up(self) -> defer.Deferred[None]:
        return defer.ensureDeferred(self._resync())

    async def _resync(self) -> None:
        self.ready = False
        self.syncing = True
        self.buffered = []
        streams = [self.keys.inbox(self.node)] + self.channels.streams()
        for stream in streams:
            self.messages.hold(stream)
        try:
            await self.link.subscribe(self.keys.events, self.keys.node_channel(self.node), self.relay.channel)
            await self.sync.snapshot()
            await self.sync.owners()
            await self.sync.register()
            rooms = self.channels.channels()
            if rooms:
                await self.link.subscribe(*rooms)
            # What this node missed while it was away: read back from where each stream was.
            for stream in streams:
                self.messages.mark(stream)  # only if not followed before
                await self.messages.backfill(stream)
            for agree in self.on_sync:  # what every node must share before it serves (the push key)
                await agree()
        except Exception:
            log.failure("Redis sync failed; will retry when the link comes back")
            for stream in streams:
                self.messages.release(stream)
            self.syncing = False
            return
        self.syncing = False
        self.ready = True
        buffered, self.buffered = self.buffered, []
        for data in buffered:
            self.inbound.apply(json.loads(data))
        log.info("cluster: node {node} in sync ({users} users network-wide)", node=self.node,
                 users=len(self.network.users))
        self.link.reconcile()  # a shard that came back during the re-sync
        for ready in self.on_ready:
            ready()
        self.messages.replay()
        if not self.persistence_checked:
            self.persistence_checked = True
            self.sync.check_persistence()

    def _retry(self) -> None:
        """What a shard that did not answer left undone: its rooms' messages, its member lists;
        and carried connections whose relay channel's shard is gone end."""
        self.messages.replay()
        self.relay.check()
        if self.up and not self.repairing and self.sync.unrepaired:
            self.repairing = True

            def done(_: Any) -> None:
                self.repairing = False

            defer.ensureDeferred(self.sync.repair()).addBoth(done)

    def _link_down(self) -> None:
        self.ready = False
        self.relay.link_down()

    # -- heartbeats ---------------------------------------------------------------------

    def _beat(self) -> None:
        if self.up:
            self.nodes.beat()

    def _check_nodes(self) -> None:
        self.nodes.check()

    def startService(self) -> None:
        self.outbox.start()
        if self.messages.waiting:
            log.info("cluster: {n} messages from the last run wait in the outbox", n=self.messages.waiting)
        super().startService()

    def stopService(self) -> defer.Deferred[None]:
        return defer.ensureDeferred(self._stop())

    async def _stop(self) -> None:
        await self.outbox.flush()
        if self.link.up:
            try:
                await self.link.call("PUBLISH", self.keys.events, codec.dumps({"t": "bye", "n": self.node}))
                await self.nodes.reap(self.node)
            except Exception:
                log.failure("cluster: could not say goodbye")
        await super().stopService()
        self.outbox.stop()
