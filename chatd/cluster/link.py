"""Two connections to Redis (commands, and pub/sub) that come back by themselves.

Each connection is a Twisted ``ClientService`` around a txredisapi protocol:
if Redis goes away it reconnects with exponential backoff capped at half a
second (so chat across nodes resumes soon after Redis does), and the owner is
told when both connections are ready again (to re-subscribe and re-register)
and when one is lost (to fall back to local delivery).

A Redis that *hangs* (stopped, swapping, a network that drops packets)
closes nothing, so waiting for the socket to fail would freeze every caller.
Instead every command has a reply timeout (``timeout``, one second by
default; txredisapi fails the call and drops the connection), and an idle
link is probed with PING every half ``timeout``: a link that does not answer
within about a second is declared down, both of its connections are dropped,
and they reconnect once Redis answers again.

Replies are parsed by hiredis (txredisapi picks its hiredis protocol when the
package is installed, and chatd requires it): all the pub/sub messages one
read brings are handled in that reactor turn, so the room fan-out batches
them.  txredisapi's own parser handles one message per turn, and a node
then fell behind at 2,000 messages/s into a room of 200.

Behind Sentinel the endpoint (``chatd.cluster.sentinel``) finds the master
before each connection, and the link only settles on a server whose ROLE is
master.  On a Redis Cluster (:mod:`.shards`) there is one such link per
shard primary, using sharded pub/sub (``sharded``: SSUBSCRIBE, and SPUBLISH
for PUBLISH, in scripts too): a room's channel then lives on its shard only.

``wait_replicas`` makes a stored message count as stored only once that many
replicas have it (WAIT, sent right after the script on the same
connection): with it, a primary that dies just after answering loses nothing
that was acknowledged.  The link asks ROLE on connecting and as its idle
probe, so it knows how many replicas follow the server now: while fewer do
(one died, or a promoted replica has none yet), it waits for those there
are, rather than stalling every message until WAIT's timeout.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Callable, Optional, Protocol

import txredisapi
from twisted.application import internet, service
from twisted.internet import defer, protocol
from twisted.logger import Logger

from .address import RedisAddress

log = Logger()


def call_failed(failure: Any, what: str) -> None:
    """The errback of a fire-and-forget call: logged, and repaired by the next re-sync."""
    log.warn("Redis {what} failed: {error}", what=what, error=failure.getErrorMessage())


@cache
def sharded_script(source: str) -> str:
    """A script as a cluster shard runs it: its publishes on the shard's channel."""
    return source.replace("redis.call('PUBLISH'", "redis.call('SPUBLISH'")


class Link(Protocol):
    """What the cluster's pieces need of Redis: a single server's :class:`RedisLink`, or a
    Redis Cluster's :class:`~.shards.ClusterLink`, which routes each command by slot."""

    up: bool

    def call(self, command: str, *args: Any) -> defer.Deferred[Any]: ...

    def script(self, source: str, keys: list[str], args: list[Any], durable: bool = False) -> defer.Deferred[Any]:
        ...

    def subscribe(self, *channels: str) -> defer.Deferred[Any]: ...

    def unsubscribe(self, *channels: str) -> defer.Deferred[Any]: ...

    def following(self, channel: str) -> bool:
        """Whether what is published on ``channel`` (subscribed before) reaches this node now."""

    def reconcile(self) -> None:
        """Hand over the channels to subscribe again where they live now (a cluster's shards)."""


class LinkFactory(protocol.Factory):
    """Builds txredisapi protocols and reports when each is ready or gone."""

    noisy = False
    isLazy = False

    def __init__(self, proto: type, address: RedisAddress, ready: Callable[[Any], None],
                 lost: Callable[[Any], None], timeout: float) -> None:
        self.proto = proto
        self.address = address
        self.timeout = timeout
        self.ready = ready
        self.lost = lost
        self.connectionQueue: defer.DeferredQueue[Any] = defer.DeferredQueue()

    def buildProtocol(self, addr: Any) -> Any:
        p = self.proto(
            "utf-8", replyTimeout=self.timeout, password=self.address.password, dbid=self.address.db,
            convertNumbers=False, username=self.address.username,
        )
        p.factory = self
        p.whenConnected().addCallback(self.ready)
        p.whenDisconnected().addCallback(self.lost)
        return p

    # txredisapi calls these on its factory.
    def stopTrying(self) -> None:
        pass

    def connectionError(self, why: str) -> None:
        log.error("Redis: {why}", why=why)


class RedisLink(service.MultiService):
    def __init__(
        self,
        reactor: Any,
        address: RedisAddress,
        on_up: Callable[[], Any],
        on_down: Callable[[], None],
        on_message: Callable[[str, str], None],
        timeout: float = 1.0,
        endpoint: Optional[Any] = None,
        masters_only: bool = False,
        sharded: bool = False,
        wait_replicas: int = 0,
        on_unsubscribed: Optional[Callable[[str], None]] = None,
    ) -> None:
        super().__init__()
        self.reactor = reactor
        self.timeout = timeout
        self.address = address
        self.on_up = on_up
        self.on_down = on_down
        self.on_message = on_message
        self.commands: Optional[Any] = None
        self.subscriber: Optional[Any] = None
        self.up = False
        self.masters_only = masters_only  # behind Sentinel: never stay on a replica
        self.sharded = sharded
        self.wait_replicas = wait_replicas
        self.replicas = 0  # replicas following the server now (ROLE)
        self.on_unsubscribed = on_unsubscribed or (lambda channel: None)
        endpoint = endpoint if endpoint is not None else address.endpoint(reactor)
        policy = internet.backoffPolicy(initialDelay=0.1, maxDelay=0.5, factor=2.0)
        self._commands = internet.ClientService(
            endpoint, LinkFactory(txredisapi.RedisProtocol, address, self._commands_ready,
                                                 self._lost, timeout), retryPolicy=policy)
        # Subscriptions wait for messages without end: no reply timeout there; the probe covers it.
        self._subscriber = internet.ClientService(
            endpoint, LinkFactory(self._subscriber_class(), address, self._subscriber_ready,
                                                 self._lost, 0), retryPolicy=policy)
        self._commands.setServiceParent(self)
        self._subscriber.setServiceParent(self)
        probe = internet.TimerService(timeout / 2, self._probe)
        probe.clock = reactor
        probe.setServiceParent(self)

    def _probe(self) -> None:
        """Ask ROLE on an idle link; a missing answer (the reply timeout) brings the link down."""
        if self.commands is not None and self.up:
            self.commands.execute_command("ROLE").addCallbacks(self._role, lambda _: None)  # _lost reports it

    def _role(self, role: Any) -> Any:
        if role and role[0] == "master" and len(role) > 2:
            self.replicas = len(role[2] or [])
        return role

    def _subscriber_class(self) -> type:
        link = self

        class Subscriber(txredisapi.SubscriberProtocol):
            def messageReceived(self, pattern: Any, channel: str, message: str) -> None:
                link.on_message(channel, message)

            def replyReceived(self, reply: Any) -> None:
                # Shard channels (Redis 7): "smessage" is a message; a "sunsubscribe" nobody asked
                # for is the server dropping a channel whose slot moved (resharding, failover).
                kind = reply[0] if isinstance(reply, list) and len(reply) == 3 else None
                if kind == "smessage":
                    link.on_message(reply[1], reply[2])
                elif kind in ("ssubscribe", "sunsubscribe") and not self.replyQueue.waiting:
                    if kind == "sunsubscribe":
                        link.on_unsubscribed(reply[1])
                else:
                    super().replyReceived(reply)

        return Subscriber

    def _commands_ready(self, proto: Any) -> None:
        def checked(role: Any) -> None:
            if not self.masters_only or (role and role[0] == "master"):
                self._commands_are(proto)
            else:
                log.warn("Redis: the server Sentinel named is not a master (yet); trying again")
                proto.transport.abortConnection()

        def unknown(failure: Any) -> None:
            if self.masters_only:
                proto.transport.abortConnection()
            else:
                self._commands_are(proto)  # ROLE not allowed (an ACL): no replicas known, no WAIT

        proto.execute_command("ROLE").addCallback(self._role).addCallbacks(checked, unknown)

    def _commands_are(self, proto: Any) -> None:
        self.commands = proto
        self._maybe_up()

    def _subscriber_ready(self, proto: Any) -> None:
        self.subscriber = proto
        self._maybe_up()

    def _maybe_up(self) -> None:
        if self.commands is not None and self.subscriber is not None and not self.up:
            self.up = True
            log.info("Redis link up ({host}:{port})", host=self.address.host, port=self.address.port)
            self.on_up()

    def _lost(self, proto: Any) -> None:
        if proto is self.commands:
            self.commands = None
        if proto is self.subscriber:
            self.subscriber = None
        for other in (self.commands, self.subscriber):
            # One connection gone (a timeout, say): the other one may hang just the same.
            # Both reconnect together, and the link is whole again only when both are.
            if other is not None and other.transport is not None:
                other.transport.abortConnection()
        if self.up:
            self.up = False
            log.warn("Redis link down ({host}:{port}); reconnecting", host=self.address.host, port=self.address.port)
            self.on_down()

    def call(self, command: str, *args: Any) -> defer.Deferred[Any]:
        """Run one Redis command; fails at once when the link is down."""
        if self.commands is None:
            return defer.fail(txredisapi.ConnectionError("Redis link is down"))
        if self.sharded and command.upper() == "PUBLISH":
            command = "SPUBLISH"
        return self.commands.execute_command(command, *args).addErrback(self._demoted)

    def script(self, source: str, keys: list[str], args: list[Any], durable: bool = False) -> defer.Deferred[Any]:
        """Run a Lua script; ``durable``: its writes count only once ``wait_replicas`` replicas have them."""
        if self.commands is None:
            return defer.fail(txredisapi.ConnectionError("Redis link is down"))
        d = self.commands.eval(sharded_script(source) if self.sharded else source, keys, args)
        d.addErrback(self._demoted)
        wanted = min(self.wait_replicas, self.replicas)
        if not durable or not wanted:
            return d
        waited = self.commands.execute_command("WAIT", wanted, int(self.timeout * 500))

        def replicated(count: Any, result: Any) -> Any:
            if int(count) < wanted:
                raise txredisapi.ResponseError(f"only {count} of {wanted} replicas confirmed in time")
            return result

        def failed(failure: Any) -> Any:
            waited.addErrback(lambda _: None)
            return failure

        return d.addCallbacks(lambda result: waited.addCallback(replicated, result), failed)

    def _demoted(self, failure: Any) -> Any:
        """A master demoted to a replica answers writes with READONLY: leave it, so that the link
        reconnects to whoever is master now."""
        if "READONLY" in failure.getErrorMessage() and self.commands is not None \
                and self.commands.transport is not None:
            log.warn("Redis answered READONLY (no longer the master); reconnecting")
            self.commands.transport.abortConnection()
        return failure

    def following(self, channel: str) -> bool:
        return self.up  # one server: its subscriptions come back with the link (subscribed again)

    def subscribe(self, *channels: str) -> defer.Deferred[Any]:
        if self.subscriber is None or not channels:
            return defer.succeed(None)
        if self.sharded:  # one channel per command: SSUBSCRIBE takes channels of one slot only
            return defer.gatherResults([self.subscriber.execute_command("SSUBSCRIBE", channel, apply_timeout=False)
                                        for channel in channels], consumeErrors=True)
        return self.subscriber.subscribe(list(channels))

    def unsubscribe(self, *channels: str) -> defer.Deferred[Any]:
        if self.subscriber is None or not channels:
            return defer.succeed(None)
        if self.sharded:
            return defer.gatherResults([self.subscriber.execute_command("SUNSUBSCRIBE", channel)
                                        for channel in channels], consumeErrors=True)
        return self.subscriber.unsubscribe(list(channels))

    def reconcile(self) -> None:
        """One server: its channels come and go with the whole link (a re-sync subscribes them)."""

    def stopService(self) -> Any:
        self.up = False
        return super().stopService()
