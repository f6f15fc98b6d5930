"""How room and direct messages travel in cluster mode, whatever Redis is doing.

The promise: a message the node accepted reaches every member on every node
exactly once, in one order per room, and an ``ack`` means it is stored.

- **Redis answers.** A Lua script stores the message in its stream and
  publishes it in one step; every node, this one included, delivers what
  arrives on the channel, so all members see one order (Redis's).  The
  message id is the node's own ULID, not the stream id: the scripts keep an
  index of ids per stream and skip an id they already hold, so publishing
  is idempotent and a retry or a replay never duplicates.
- **Redis is slow.** Local members never wait for it for long: a message
  whose echo has not come back within ``LOCAL_WAIT`` is delivered here at
  once, and its late echo is ignored (the :class:`Seen` ids).
- **Redis is down or a call failed.** The message goes to the durable
  :class:`~chatd.cluster.outbox.Outbox` (acknowledged once on disk), local
  members get it at once, and later messages of the same room (or
  conversation) queue behind it so that its order holds.  When the link is
  back and the node is in sync, each queue is published oldest first; other
  nodes deliver those messages with their original time, this node skips
  them (it showed them already).  Queues are per room: on a Redis Cluster a
  room whose shard is down waits (tried again every ``RETRY`` seconds) while
  rooms on other shards go on.
- **What a node missed** while its link was down, or in the instant between a
  first member's join and the room's subscription, is read back from the
  streams: each channel message carries its stream id, the node keeps the
  last one per room (and for its own inbox of direct messages), and after a
  re-sync or a new subscription reads everything after it (for a first
  member: from just before the join, :meth:`MessagePath.mark`).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any, Callable, Iterable, Optional

from twisted.internet import defer
from twisted.logger import Logger

from ..core import Sent, casefold, dm_key
from ..core.events import DirectMessage, RoomMessage
from . import codec, scripts
from .keys import Keys
from .link import Link
from .outbox import Outbox, Parcel

log = Logger()
Message = RoomMessage | DirectMessage

LOCAL_WAIT = 0.25  # seconds local members wait for Redis's echo before they get a message anyway
SEEN = 100_000  # message ids remembered for exactly-once delivery here
REPLAY_CHUNK = 500  # outbox messages published per round trip
BACKFILL = 5_000  # entries read back per stream after a gap
INBOX_CAP = 10_000  # direct messages kept per node inbox stream
JOIN_MARGIN_MS = 500  # a first member's read-back starts this long before the join
RETRY = 1.0  # seconds between tries of a room's queue whose publishing failed


class Seen:
    """The ids delivered on this node lately, oldest first, bounded."""

    def __init__(self, size: int = SEEN) -> None:
        self.size = size
        self.ids: dict[str, None] = {}

    def add(self, msgid: str) -> bool:
        """Remember ``msgid``; False if it was already there (deliver nothing)."""
        if msgid in self.ids:
            return False
        self.ids[msgid] = None
        if len(self.ids) > self.size:
            del self.ids[next(iter(self.ids))]
        return True


class MessagePath:
    """Carries messages over ``link``; ``ready`` says whether the node is in sync with Redis, and
    ``deliver`` hands a message to this node's recipients (the network's messaging)."""

    def __init__(self, link: Link, keys: Keys, reactor: Any, outbox: Outbox, ready: Callable[[], bool],
                 deliver: Callable[[Message], Any], history_cap: int) -> None:
        self.link = link
        self.keys = keys
        self.reactor = reactor
        self.ready = ready
        self.deliver = deliver
        self.history_cap = history_cap
        self.outbox = outbox
        self.seen = Seen()
        self.queues: dict[str, deque[Parcel]] = {}  # stream key -> its messages waiting, oldest first
        for parcel in outbox.load():
            self.seen.add(parcel.msgid)  # shown here before a restart
            self.queues.setdefault(self.lane(codec.message_from(parcel.payload)), deque()).append(parcel)
        self.inflight: OrderedDict[str, tuple[float, Message]] = OrderedDict()
        self.replaying: set[str] = set()  # queues with a chunk on its way
        self.paused: set[str] = set()  # queues whose last try failed (said once in the log)
        self.last_ids: dict[str, str] = {}  # stream key -> last stream id received from its channel
        self.filling: dict[str, list[str]] = {}  # stream key -> channel messages held while it is read back
        self.replayed = 0

    @property
    def waiting(self) -> int:
        return sum(len(queue) for queue in self.queues.values())

    def lane(self, message: Message) -> str:
        """The stream a message is stored in: its order is kept per stream (room or conversation)."""
        if isinstance(message, RoomMessage):
            return self.keys.history(casefold(message.room))
        return self.keys.history(dm_key(*message.peers))

    # -- sending -------------------------------------------------------------------------

    def room(self, message: RoomMessage) -> Sent:
        if message.kind == "tagmsg":
            return self._transient(message, [self.keys.room_channel(casefold(message.room))])
        return self._send(message, ())

    def direct(self, message: DirectMessage, nodes: Iterable[str]) -> Sent:
        nodes = tuple(sorted(set(nodes)))
        if message.kind == "tagmsg":
            return self._transient(message, [self.keys.node_channel(node) for node in nodes])
        return self._send(message, nodes)

    def _send(self, message: Message, nodes: tuple[str, ...]) -> Sent:
        parcel = Parcel(message.id, codec.message_payload(message), nodes)
        if not self.ready() or self.lane(message) in self.queues:
            return Sent(message, self._keep(parcel, message))
        self.inflight[message.id] = (self.reactor.seconds(), message)
        d = self._publish(parcel, message)
        d.addCallbacks(lambda _: True, self._failed, errbackArgs=(parcel, message))
        return Sent(message, d)

    def _transient(self, message: Message, channels: list[str]) -> Sent:
        """A TAGMSG (typing, reactions): published as it is, never stored, never queued."""
        self._deliver(message)
        if self.ready():
            data = "0-0 " + codec.message_payload(message)
            for channel in channels:
                self.link.call("PUBLISH", channel, data).addErrback(lambda _: None)
        return Sent(message)

    def _keep(self, parcel: Parcel, message: Message) -> defer.Deferred[bool]:
        """Into the outbox: shown here now, published when Redis can take it."""
        self._deliver(message)
        lane = self.lane(message)
        self.queues.setdefault(lane, deque()).append(parcel)
        stored = self.outbox.add(parcel)
        if lane not in self.paused:
            self.replay()
        return stored

    def _failed(self, failure: Any, parcel: Parcel, message: Message) -> defer.Deferred[bool]:
        """Redis did not confirm in time (the link is dropped by now): keep it for later; the
        script skips it then if it did get there."""
        log.info("cluster: message {id} kept in the outbox ({error})", id=message.id,
                 error=failure.getErrorMessage())
        self.inflight.pop(message.id, None)
        return self._keep(parcel, message)

    def _publish(self, parcel: Parcel, message: Message) -> defer.Deferred[Any]:
        keys = self.keys
        cap = self.history_cap
        if isinstance(message, RoomMessage):
            folded = casefold(message.room)
            return self.link.script(
                scripts.STORE_MESSAGE, [keys.history(folded), keys.ids(folded), keys.room_channel(folded)],
                [parcel.payload, cap, message.id], durable=True)
        return defer.ensureDeferred(self._direct(parcel, message))

    async def _direct(self, parcel: Parcel, message: DirectMessage) -> None:
        """Stored in its conversation first (what the ack means), then into each node's inbox: in
        that order for each message, so a node's inbox has a sender's messages in order.  A replay
        after a failure in between puts it in the inboxes again; the nodes skip an id they have."""
        keys = self.keys
        a, b = message.peers
        target = dm_key(a, b)
        await self.link.script(scripts.STORE_MESSAGE, [keys.history(target), keys.ids(target)],
                               [parcel.payload, self.history_cap, message.id], durable=True)
        when = int(message.time * 1000)
        calls = [self.link.call("ZADD", keys.peers(a), when, b), self.link.call("ZADD", keys.peers(b), when, a)]
        calls += [self.link.script(scripts.NODE_MESSAGE, [keys.inbox(node), keys.node_channel(node)],
                                   [parcel.payload, INBOX_CAP]) for node in parcel.nodes]
        await defer.gatherResults(calls, consumeErrors=True)

    # -- the outbox, once Redis is back ------------------------------------------------------

    def replay(self) -> None:
        """Publish waiting messages while the node is in sync: each queue oldest first, a chunk per
        round trip; a queue whose chunk fails waits for the next try, the others go on."""
        if not self.ready():
            return
        for lane in [lane for lane in self.queues if lane not in self.replaying]:
            queue = self.queues[lane]
            self.replaying.add(lane)
            chunk = [queue[i] for i in range(min(REPLAY_CHUNK, len(queue)))]
            calls = [self._publish(parcel, codec.message_from(parcel.payload)) for parcel in chunk]
            defer.DeferredList(calls, consumeErrors=True).addCallback(self._replayed, lane, chunk)

    def _replayed(self, results: list[tuple[bool, Any]], lane: str, chunk: list[Parcel]) -> None:
        self.replaying.discard(lane)
        queue = self.queues[lane]
        for (ok, result), parcel in zip(results, chunk, strict=True):
            if not ok:
                if lane not in self.paused:
                    self.paused.add(lane)
                    log.warn("cluster: outbox replay for {lane} paused ({error}); {n} messages wait",
                             lane=lane, error=result.getErrorMessage(), n=len(queue))
                return
            queue.popleft()
            self.outbox.remove(parcel.msgid)
            self.replayed += 1
        self.paused.discard(lane)
        if queue:
            self.replay()
            return
        del self.queues[lane]
        if not self.queues:
            log.info("cluster: outbox empty; {n} messages published since start", n=self.replayed)

    # -- receiving -----------------------------------------------------------------------

    def received(self, stream: Optional[str], data: str) -> None:
        """A message from a room's or this node's channel: ``<stream id> <payload>``."""
        if stream is not None and stream in self.filling:
            self.filling[stream].append(data)  # after what the read-back brings, to keep the order
            return
        stream_id, _, payload = data.partition(" ")
        if stream is not None and stream_id != "0-0":
            self.last_ids[stream] = stream_id
        self._deliver(codec.message_from(payload))

    def _deliver(self, message: Message) -> None:
        self.inflight.pop(message.id, None)
        if self.seen.add(message.id):
            self.deliver(message)

    def overdue(self) -> None:
        """Messages whose echo Redis has not sent back within LOCAL_WAIT: local members get them now."""
        limit = self.reactor.seconds() - LOCAL_WAIT
        while self.inflight:
            msgid, (sent, message) = next(iter(self.inflight.items()))
            if sent > limit:
                break
            self._deliver(message)

    # -- reading back what was missed --------------------------------------------------------

    def hold(self, stream: str) -> None:
        """Before (re)subscribing to a stream's channel: hold what it brings until the read-back."""
        self.filling.setdefault(stream, [])

    def mark(self, stream: str) -> None:
        """A stream we had not followed: read back from just before now.

        The join's answer may reach the client before Redis has even seen this node's
        subscription (it is written at once), so "now" is this node's clock, less
        ``JOIN_MARGIN`` for clocks that differ between hosts: a first member may get a message
        said just before their join, never lose one said after it."""
        since = int(self.reactor.seconds() * 1000) - JOIN_MARGIN_MS
        self.last_ids.setdefault(stream, f"{max(since, 0)}-0")

    def backfill(self, stream: str) -> defer.Deferred[None]:
        """After (re)subscribing: deliver what the stream got since we last heard from it, then what
        its channel brought meanwhile, each message once."""
        return defer.ensureDeferred(self._backfill(stream))

    async def _backfill(self, stream: str) -> None:
        try:
            last = self.last_ids.get(stream)
            if last is not None:
                entries = await self.link.call("XRANGE", stream, "(" + last, "+", "COUNT", BACKFILL)
                for entry_id, fields in entries or []:
                    self.last_ids[stream] = entry_id
                    payload = codec.entry_payload(fields)
                    if payload:
                        self._deliver(codec.message_from(payload))
        except Exception as error:  # its shard went away: read back from the same place when it is back
            log.warn("cluster: reading back {stream} failed ({error})", stream=stream, error=error)
        finally:
            self.release(stream)

    def release(self, stream: str) -> None:
        for data in self.filling.pop(stream, []):
            self.received(stream, data)

    def forget(self, stream: str) -> None:
        self.last_ids.pop(stream, None)

