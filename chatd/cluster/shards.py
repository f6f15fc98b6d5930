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

The link is up when every slot has a primary and every primary's link is up.
A shard that fails takes the link down until the cluster has promoted its
replica and the map says so; the bridge then serves local users, keeps
messages in its durable outbox and re-syncs when the link is whole again, as
it does for a single Redis's outage.
"""

from __future__ import annotations

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


class ClusterLink(service.MultiService):
    """The :class:`~.link.RedisLink` surface (``call``, ``script``, ``subscribe``, ``up``) over a cluster."""

    def __init__(self, reactor: Any, seeds: list[RedisAddress], on_up: Callable[[], Any],
                 on_down: Callable[[], None], on_message: Callable[[str, str], None], timeout: float = 1.0,
                 wait_replicas: int = 0, refresh: float = 5.0) -> None:
        super().__init__()
        self.reactor = reactor
        self.seeds = seeds
        self.on_up = on_up
        self.on_down = on_down
        self.on_message = on_message
        self.timeout = timeout
        self.wait_replicas = wait_replicas
        self.slots: list[Optional[Addr]] = [None] * SLOTS
        self.shards: dict[Addr, RedisLink] = {}
        self.up = False
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
            if self.again and self.running:
                self.again = False
                self.reactor.callLater(0.2, self.refresh)

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
        changed = slots != self.slots
        self.slots = slots
        wanted = {addr for addr in slots if addr is not None}
        for addr in wanted - set(self.shards):
            link = RedisLink(self.reactor, self._address(addr), self._check, self._shard_down, self.on_message,
                             self.timeout, sharded=True, wait_replicas=self.wait_replicas,
                             on_unsubscribed=self._dropped)
            self.shards[addr] = link
            link.setServiceParent(self)
        for addr in set(self.shards) - wanted:
            self.shards.pop(addr).disownServiceParent()
        if changed and self.up:
            # Channels and streams may have moved: the bridge re-subscribes and reads back on "up".
            log.info("Redis Cluster: the slot map changed; re-syncing")
            self.up = False
            self.on_down()
        self._check()

    def _dropped(self, channel: str) -> None:
        """A shard ended a subscription itself: the channel's slot moved."""
        self.refresh()

    def _address(self, addr: Addr) -> RedisAddress:
        return attrs.evolve(self.seeds[0], host=addr[0], port=addr[1], db=None)

    def _shard_down(self) -> None:
        self._check()
        self.refresh()  # a primary gone: its replica may be promoted soon

    def _check(self) -> None:
        whole = None not in self.slots and bool(self.shards) and all(link.up for link in self.shards.values())
        if whole and not self.up:
            self.up = True
            log.info("Redis Cluster link up ({n} shards)", n=len(self.shards))
            self.on_up()
        elif not whole and self.up:
            self.up = False
            log.warn("Redis Cluster link down (a shard is unreachable); serving local users only")
            self.on_down()

    # -- routing --------------------------------------------------------------------------

    def _for(self, key: Optional[str]) -> RedisLink:
        if key is None:
            ready = [link for link in self.shards.values() if link.up]
            if ready:
                return random.choice(ready)
            raise txredisapi.ConnectionError("Redis Cluster link is down")
        addr = self.slots[key_slot(key)]
        link = self.shards.get(addr) if addr is not None else None
        if link is None or not link.up:
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
        return self._each(channels, lambda link, channel: link.subscribe(channel))

    def unsubscribe(self, *channels: str) -> defer.Deferred[Any]:
        return self._each(channels, lambda link, channel: link.unsubscribe(channel))

    def _each(self, channels: tuple[str, ...], do: Callable[[RedisLink, str], defer.Deferred[Any]]) \
            -> defer.Deferred[Any]:
        calls = []
        for channel in channels:
            try:
                calls.append(do(self._for(channel), channel))
            except txredisapi.ConnectionError as error:
                calls.append(defer.fail(error))
        return defer.gatherResults(calls, consumeErrors=True)

    def stopService(self) -> Any:
        self.up = False
        return super().stopService()
