"""A Redis Cluster as one link: commands routed by slot to each shard's primary.

txredisapi speaks to one server and knows nothing of Redis Cluster, and no
maintained Redis client for Twisted does (redis-py's cluster client blocks,
its asyncio one needs another event loop).  So this is a small routing layer
over the same :class:`~.link.RedisLink` a single Redis uses, one per shard
primary, each with its reconnects, reply timeout and probe:

- the slot map comes from ``CLUSTER SHARDS`` (asked of a shard that answers,
  else of each seed in turn), and is asked again every ``refresh`` seconds,
  at once when a shard's link drops, on a ``MOVED`` answer and when a shard
  drops a subscription (the server's ``sunsubscribe`` when a slot moves);
- a command goes to the primary of its first key's slot (:mod:`.slots`), a
  script to that of its first key (chatd's scripts touch one slot: the keys'
  hash tags see to it, :mod:`.keys`); ``MOVED`` is followed once to the named
  primary and the map refreshed, ``ASK`` is followed with ``ASKING`` on the
  named primary's connection;
- each shard's link uses sharded pub/sub (``SPUBLISH``, ``SSUBSCRIBE``), and
  a channel is subscribed on its slot's shard: a room's messages travel on
  its shard only, where classic pub/sub would copy every message to every
  shard.

A shard's outage touches only what lives on it.  The link as a whole is
*up* while the shard of the network's presence state (``home``: the events
channel, nicks, nodes) is; losing that one is a Redis outage for the node
(the bridge serves local users and re-syncs when it is back); a tool's link
(``chatd.migrate``, ``chatd.account``: no home, any key) is up once every shard
answers.  Any other
shard may come and go meanwhile: a command for its slots fails at once (the
message path keeps such a room's messages in its outbox and replays them), its
channels are dropped from :attr:`live`, and when its slots have an answering
primary again (the same one back, its promoted replica, or another after a
resharding) :meth:`reconcile` hands those channels to ``on_moved``: the
bridge subscribes them there and reads back what their streams got meanwhile.
A Redis Cluster serves the shards that are up only with
``cluster-require-full-coverage no`` (docs/cluster.md); with the default, every
shard refuses commands while any slot is uncovered, and the home shard's
refusals bring the whole link down until the failover is done.
"""

from __future__ import annotations

import functools
import random
from typing import Any, Callable, Optional

import attrs
import txredisapi
from twisted.application import internet, service
from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure

from .address import RedisAddress
from .link import LinkFactory, RedisLink
from .slots import SLOTS, key_slot

log = Logger()

Addr = tuple[str, int]
KEYLESS = frozenset({"PING", "INFO", "CONFIG", "ROLE", "CLUSTER", "TIME"})


def parse_shards(reply: Any, tls: bool) -> list[Optional[Addr]]:
    """``CLUSTER SHARDS`` -> each slot's online primary as (host, port), None for a slot without one."""
    slots: list[Optional[Addr]] = [None] * SLOTS
    for shard in reply or []:
        fields = dict(zip(shard[::2], shard[1::2], strict=False))
        primary = None
        for node in fields.get("nodes") or []:
            info = dict(zip(node[::2], node[1::2], strict=False))
            if info.get("role") == "master" and info.get("health") == "online":
                host = info.get("endpoint") if info.get("endpoint") not in (None, "", "?") else info.get("ip")
                port = info.get("tls-port") if tls and info.get("tls-port") else info.get("port")
                primary = (str(host), int(port or 0))
        if primary is None:
            continue
        bounds = [int(n) for n in fields.get("slots") or []]
        for start, end in zip(bounds[::2], bounds[1::2], strict=False):
            slots[start:end + 1] = [primary] * (end + 1 - start)
    return slots


#: What a tool's link (no home slot) stands for while every shard answers.
WHOLE: Addr = ("*", 0)


class ClusterLink(service.MultiService):
    """The :class:`~.link.RedisLink` surface (``call``, ``script``, ``subscribe``, ``up``) over a cluster."""

    def __init__(self, reactor: Any, seeds: list[RedisAddress], on_up: Callable[[], Any],
                 on_down: Callable[[], None], on_message: Callable[[str, str], None], timeout: float = 1.0,
                 wait_replicas: int = 0, refresh: float = 5.0, home: Optional[str] = None,
                 on_moved: Callable[[list[str]], None] = lambda channels: None) -> None:
        super().__init__()
        self.reactor = reactor
        self.seeds = seeds
        self.on_up = on_up
        self.on_down = on_down
        self.on_message = on_message
        self.on_moved = on_moved
        self.timeout = timeout
        self.wait_replicas = wait_replicas
        # The slot whose shard the link's being up stands for; None (a tool): every slot's shard.
        self.home = key_slot(home) if home is not None else None
        self.home_addr: Optional[Addr] = None  # the primary serving it while the link is up
        self.slots: list[Optional[Addr]] = [None] * SLOTS
        self.shards: dict[Addr, RedisLink] = {}
        self.wanted: set[str] = set()  # channels subscribed to, wherever their shard is
        self.live: dict[str, Addr] = {}  # those subscribed on the shard serving them now
        self.up = False
        self.advised = False  # the operator told about full coverage, once
        self.refreshing: Optional[defer.Deferred[None]] = None
        self.again = False
        timer = internet.TimerService(refresh, self.refresh)  # the first at start
        timer.clock = reactor
        timer.setServiceParent(self)

    # -- the slot map ---------------------------------------------------------------------

    def refresh(self) -> defer.Deferred[None]:
        """Ask the cluster who serves which slot; one question at a time, another after it if asked."""
        if self.refreshing is not None:
            self.again = True
            return self.refreshing
        self.refreshing = defer.ensureDeferred(self._refresh())

        def done(result: Any) -> None:
            if isinstance(result, Failure):
                log.failure("Redis Cluster: reading the slot map failed", result)
            self.refreshing = None
            if self.running and (self.again or None in self.slots):
                # Asked again meanwhile, or slots without a primary: look again soon, not in seconds.
                self.reactor.callLater(0.2 if self.again else 1.0, self.refresh)
                self.again = False

        self.refreshing.addBoth(done)
        return self.refreshing

    async def _refresh(self) -> None:
        reply = None
        for link in [link for link in self.shards.values() if link.up]:
            try:
                reply = await link.call("CLUSTER", "SHARDS")
                break
            except Exception:
                continue
        if reply is None:
            reply = await self._ask_seeds()
        if reply is None:
            if self.running:
                self.again = True  # nobody answered: ask again soon
            return
        self._adopt(parse_shards(reply, self.seeds[0].tls))

    async def _ask_seeds(self) -> Any:
        known = [self._address(addr) for addr in self.shards]
        for address in self.seeds + known:
            answered: defer.Deferred[Any] = defer.Deferred()
            answered.addTimeout(self.timeout * 2, self.reactor)  # a seed that takes us in and never answers
            factory = LinkFactory(txredisapi.RedisProtocol, address, answered.callback, lambda _: None, self.timeout)
            try:
                await address.endpoint(self.reactor).connect(factory)
                proto = await answered
                try:
                    return await proto.execute_command("CLUSTER", "SHARDS")
                finally:
                    proto.transport.loseConnection()
            except Exception as error:
                log.debug("Redis Cluster seed {host}:{port}: {error}", host=address.host, port=address.port,
                          error=error)
        return None

    def _adopt(self, slots: list[Optional[Addr]]) -> None:
        if slots != self.slots:
            log.info("Redis Cluster: {n} primaries serve {covered} of {all} slots",
                     n=len({addr for addr in slots if addr is not None}),
                     covered=sum(addr is not None for addr in slots), all=SLOTS)
        self.slots = slots
        wanted = {addr for addr in slots if addr is not None}
        for addr in wanted - set(self.shards):
            link = RedisLink(self.reactor, self._address(addr), self._shard_up,
                             functools.partial(self._shard_down, addr), self.on_message, self.timeout,
                             sharded=True, wait_replicas=self.wait_replicas, on_unsubscribed=self._dropped)
            self.shards[addr] = link
            link.setServiceParent(self)
        for addr in set(self.shards) - wanted:
            self._forget(addr)
            self.shards.pop(addr).disownServiceParent()
        self._check()

    def _dropped(self, channel: str) -> None:
        """A shard ended a subscription itself: the channel's slot moved."""
        self.live.pop(channel, None)
        self.refresh()

    def _address(self, addr: Addr) -> RedisAddress:
        return attrs.evolve(self.seeds[0], host=addr[0], port=addr[1], db=None)

    def _shard_up(self) -> None:
        self._check()
        self.refresh()  # a primary back: the map may have news for its slots

    def _shard_down(self, addr: Addr) -> None:
        self._forget(addr)
        self._check()
        self.refresh()  # a primary gone: its replica may be promoted soon

    def _serving(self, slot: int) -> tuple[Optional[Addr], Optional[RedisLink]]:
        """The primary serving ``slot`` by the map, and its link if that is up (else None)."""
        addr = self.slots[slot]
        link = self.shards.get(addr) if addr is not None else None
        return addr, link if link is not None and link.up else None

    def _forget(self, addr: Addr) -> None:
        """A shard's connections are gone, and its subscriptions with them."""
        for channel in [channel for channel, held in self.live.items() if held == addr]:
            del self.live[channel]

    def _standing_for(self) -> tuple[Optional[Addr], Optional[RedisLink]]:
        """The shard the link's being up stands for (and its link if up); without a home, a tool
        that may touch any key: every slot served by a shard that answers (any one of them)."""
        if self.home is not None:
            return self._serving(self.home)
        addrs = set(self.slots)
        links = [self.shards.get(addr) for addr in addrs if addr is not None]
        if None in addrs or not links or not all(link is not None and link.up for link in links):
            return None, None
        return WHOLE, links[0]

    def _check(self) -> None:
        addr, link = self._standing_for()
        if self.up and (link is None or addr != self.home_addr):
            # The network's state went with its shard (or moved off it): a Redis outage for this node.
            self.up = False
            log.warn("Redis Cluster link down (the network's shard is unreachable); serving local users only")
            self.on_down()
        if link is not None and not self.up:
            self.up = True
            self.home_addr = addr
            log.info("Redis Cluster link up ({n} of {all} shards answer)",
                     n=sum(link.up for link in self.shards.values()), all=len(self.shards))
            if not self.advised:
                self.advised = True
                link.call("CONFIG", "GET", "cluster-require-full-coverage").addCallbacks(self._advise, lambda _: None)
            self.on_up()
        if self.up:
            self.reconcile()

    @staticmethod
    def _advise(reply: Any) -> None:
        if len(reply or []) > 1 and str(reply[1]).lower() == "yes":
            log.warn("Redis Cluster has cluster-require-full-coverage yes: while one shard is down every shard "
                     "refuses commands, and all rooms wait; set it to no (docs/cluster.md)")

    def reconcile(self) -> None:
        """Channels wanted but not subscribed where their slot is served now (their shard was down,
        or the slot moved): handed to ``on_moved``, which subscribes them and reads back."""
        moved = []
        for channel in sorted(self.wanted):
            addr, link = self._serving(key_slot(channel))
            held = self.live.get(channel)
            if link is None or held == addr:
                continue
            old = self.shards.get(held) if held is not None else None
            if old is not None and old.up:
                old.unsubscribe(channel).addErrback(lambda _: None)
            self.live.pop(channel, None)
            moved.append(channel)
        if moved:
            self.on_moved(moved)

    # -- routing --------------------------------------------------------------------------

    def _for(self, key: Optional[str]) -> RedisLink:
        if key is None:
            ready = [link for link in self.shards.values() if link.up]
            if ready:
                return random.choice(ready)
            raise txredisapi.ConnectionError("Redis Cluster link is down")
        _, link = self._serving(key_slot(key))
        if link is None:
            raise txredisapi.ConnectionError("the Redis Cluster shard for this key is down")
        return link

    def call(self, command: str, *args: Any) -> defer.Deferred[Any]:
        key = None if command.upper() in KEYLESS or not args else str(args[0])
        return self._routed(key, lambda link: link.call(command, *args))

    def script(self, source: str, keys: list[str], args: list[Any], durable: bool = False) -> defer.Deferred[Any]:
        return self._routed(keys[0] if keys else None, lambda link: link.script(source, keys, args, durable))

    def _routed(self, key: Optional[str], run: Callable[[RedisLink], defer.Deferred[Any]]) -> defer.Deferred[Any]:
        try:
            link = self._for(key)
        except txredisapi.ConnectionError as error:
            return defer.fail(error)
        return run(link).addErrback(self._redirected, run)

    def _redirected(self, failure: Any, run: Callable[[RedisLink], defer.Deferred[Any]]) -> Any:
        """Follow one ``MOVED`` (the slot has a new primary) or ``ASK`` (a key being migrated)."""
        words = failure.getErrorMessage().split()
        if len(words) != 3 or words[0] not in ("MOVED", "ASK"):
            return failure
        host, _, port = words[2].rpartition(":")
        addr = (host, int(port))
        if words[0] == "MOVED":
            if addr in self.shards:
                self.slots[int(words[1])] = addr
            self.refresh()
        link = self.shards.get(addr)
        if link is None or not link.up or link.commands is None:
            return failure
        if words[0] == "ASK":
            link.commands.execute_command("ASKING").addErrback(lambda _: None)  # the same connection, just before
        return run(link)

    # -- subscriptions: each channel on its slot's shard ------------------------------------

    def subscribe(self, *channels: str) -> defer.Deferred[Any]:
        """Subscribe on each channel's shard; a channel whose shard is down now is subscribed
        when it is back (:meth:`reconcile`), so this fails for no channel."""
        self.wanted.update(channels)
        calls = []
        for channel in channels:
            addr, link = self._serving(key_slot(channel))
            if addr is None or link is None:
                continue
            self.live[channel] = addr
            calls.append(link.subscribe(channel).addErrback(self._not_subscribed, channel, addr))
        return defer.gatherResults(calls, consumeErrors=True)

    def _not_subscribed(self, failure: Any, channel: str, addr: Addr) -> None:
        log.warn("Redis Cluster: subscribing {channel} failed ({error}); again when its shard answers",
                 channel=channel, error=failure.getErrorMessage())
        if self.live.get(channel) == addr:
            del self.live[channel]

    def following(self, channel: str) -> bool:
        return channel in self.live  # subscribed on the shard serving it, while that shard answers

    def unsubscribe(self, *channels: str) -> defer.Deferred[Any]:
        self.wanted.difference_update(channels)
        calls = []
        for channel in channels:
            addr = self.live.pop(channel, None)
            link = self.shards.get(addr) if addr is not None else None
            if link is not None and link.up:
                calls.append(link.unsubscribe(channel))
        return defer.gatherResults(calls, consumeErrors=True)

    def stopService(self) -> Any:
        self.up = False
        return super().stopService()
