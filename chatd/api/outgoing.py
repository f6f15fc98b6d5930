"""Outgoing webhooks: the network's records POSTed to the URLs that subscribed to them.

A record sink (:mod:`chatd.core.records`) picks what each subscription asked
for (:mod:`.subscriptions`) and writes it to the durable queue
(:mod:`.queue`) before anything is sent.  One worker per subscription sends
its events in order, with ``treq`` over the reactor's own HTTP client (no
thread, no blocking; a request that takes longer than ``timeout`` counts as
failed).  A 2xx answer delivers the event; anything else, or no answer, is
retried after 1, 2, 4 ... seconds (at most five minutes apart) until
``retries`` attempts, then the event is dropped and logged.  Delivery is at
least once: an event sent when the daemon stopped is sent again after the
restart, with the same ``X-Chatd-Delivery`` id.

Every request is signed: ``X-Chatd-Signature: sha256=<hex>`` is the
HMAC-SHA256, keyed with the subscription's secret, of the
``X-Chatd-Timestamp`` value, a dot, and the body, so a receiver can check who
sent it and refuse an old one replayed.  An answer with a JSON body
``{"text": "..."}`` is posted to the room by the subscription's bot, as a
reply (how a ``!deploy`` bot answers without any IRC code).
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any, Optional, Sequence

from treq.client import HTTPClient
from twisted.application import service
from twisted.internet import defer, task
from twisted.internet.protocol import Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.client import Agent, HTTPConnectionPool

from ..core import errors
from ..core.casemap import casefold
from ..core.events import Event, Parted, Quit
from .subscriptions import CONFIG, Subscription, event_for, room_of

if TYPE_CHECKING:
    from .bots import Bots
    from .queue import Queued, WebhookQueue
    from .store import KeyStore

log = Logger()
MAX_ANSWER = 64 * 1024  # an answer's body past this is not read (and not posted)
MAX_DELAY = 300.0
MAX_EARLY = 10000  # records kept while the subscriptions are first read
USER_AGENT = "chatd-webhook/1"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> float:
    return min(MAX_DELAY, 2.0 ** (attempts - 1))


class Outgoing(service.Service):
    def __init__(self, reactor: Any, store: KeyStore, queue: WebhookQueue, bots: Bots,
                 retries: int = 10, timeout: float = 10.0, cap: int = 1000, refresh: float = 10.0,
                 configured: Sequence[Subscription] = ()) -> None:
        self.reactor = reactor
        self.store = store
        self.queue = queue
        self.bots = bots
        self.pool = HTTPConnectionPool(reactor)
        self.http = HTTPClient(Agent(reactor, connectTimeout=timeout, pool=self.pool))
        self.retries = retries
        self.timeout = timeout
        self.cap = cap
        self.every = refresh
        self.subs: dict[str, Subscription] = {}
        self.by_room: dict[str, list[Subscription]] = {}
        self.busy: set[str] = set()  # subscriptions whose worker runs
        self.again: set[str] = set()  # ... and that got an event meanwhile
        self.timers: dict[str, Any] = {}
        #: delivered, failed (an attempt to retry), dropped (out of attempts), overflow, replies
        self.counts: collections.Counter[str] = collections.Counter()
        self.waiting = 0
        self.changes = 0  # made over the API on this node (a refresh begun before them is stale)
        self.loop: Optional[task.LoopingCall] = None
        #: Records from before the subscriptions were first read (the daemon is ready before the
        #: store answers): they are matched once it has, not lost.
        self.early: Optional[list[Event]] = []
        #: The config file's ``[[webhooks]]``, written to the store by the first refresh.
        self.configured: Optional[Sequence[Subscription]] = configured

    # -- subscriptions -----------------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        self.loop = task.LoopingCall(lambda: defer.ensureDeferred(self.refresh()))
        self.loop.clock = self.reactor
        self.loop.start(self.every, now=True)

    def stopService(self) -> Any:
        super().stopService()
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        for timer in self.timers.values():
            if timer.active():
                timer.cancel()
        self.timers.clear()
        return self.pool.closeCachedConnections()

    async def refresh(self) -> None:
        """Take the subscriptions from the store (the CLI's and other nodes' changes arrive so)."""
        changes = self.changes
        try:
            if self.configured is not None:
                await self._take_config(self.configured)
                self.configured = None
            found = {sub.id: sub for sub in await self.store.subscriptions()}
            waiting = await self.queue.waiting()
        except Exception:
            log.warn("cannot read the webhook subscriptions (the store is not reachable); trying again")
            return
        if changes != self.changes:
            return  # the API changed them meanwhile: what was read is older; the next round reads again
        if set(found) != set(self.subs):
            log.info("outgoing webhooks: {count} subscriptions", count=len(found))
        self.use(found)
        self.waiting = sum(waiting.values())
        early, self.early = self.early, None
        for record in early or ():
            self.record(record)
        for hook_id in waiting:
            if hook_id not in found:
                await self.queue.forget(hook_id)  # removed: what waited for it goes too
            elif hook_id not in self.busy and hook_id not in self.timers:
                self.kick(hook_id)

    async def _take_config(self, configured: Sequence[Subscription]) -> None:
        """The store holds the file's webhooks as they are now: new and changed ones written,
        ones taken out of the file removed (their ids follow from room and URL)."""
        wanted = {sub.id: sub for sub in configured}
        for sub in await self.store.subscriptions():
            if sub.created_by == CONFIG and sub.id not in wanted:
                await self.store.remove_subscription(sub.id)
        for sub in wanted.values():
            await self.store.add_subscription(sub)

    def use(self, subs: dict[str, Subscription]) -> None:
        self.subs = subs
        by_room: dict[str, list[Subscription]] = {}
        for sub in subs.values():
            by_room.setdefault(casefold(sub.room), []).append(sub)
        self.by_room = by_room

    def added(self, sub: Subscription) -> None:
        self.changes += 1
        self.use({**self.subs, sub.id: sub})

    def removed(self, sub_id: str) -> None:
        self.changes += 1
        self.use({k: v for k, v in self.subs.items() if k != sub_id})

    # -- the sink ----------------------------------------------------------------------

    def record(self, record: Event) -> None:
        if isinstance(record, Quit):  # what a webhook hears: each room they were in lost them
            for name in record.rooms:
                self.record(Parted(record.time, name, record.who, "Quit: " + record.reason))
            return
        room = room_of(record)
        if room is None or not self.running:
            return
        if self.early is not None:
            if len(self.early) < MAX_EARLY:
                self.early.append(record)
            return
        for sub in self.by_room.get(casefold(room), ()):
            event = event_for(sub, record)
            if event is not None:
                event["hook"] = sub.id
                body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
                self.waiting += 1
                d = self.queue.push(sub.id, body, self.reactor.seconds(), self.cap)
                d.addCallbacks(lambda dropped, sub=sub: self._queued(sub, dropped),
                               lambda failure: log.failure("cannot queue a webhook event", failure))

    def _queued(self, sub: Subscription, dropped: int) -> None:
        if dropped:
            self.counts["overflow"] += dropped
            self.waiting -= dropped
            log.warn("webhook {hook} ({url}): {dropped} old events dropped, more than {cap} waited",
                     hook=sub.id, url=sub.url, dropped=dropped, cap=self.cap)
        self.kick(sub.id)

    # -- sending -----------------------------------------------------------------------

    def kick(self, hook_id: str) -> None:
        """Make sure ``hook_id``'s worker runs."""
        if hook_id in self.busy:
            self.again.add(hook_id)
            return
        timer = self.timers.pop(hook_id, None)
        if timer is not None and timer.active():
            timer.cancel()
        self.busy.add(hook_id)
        d = defer.ensureDeferred(self._drain(hook_id))
        d.addErrback(lambda failure: log.failure("webhook {hook} worker failed", failure, hook=hook_id))
        d.addBoth(lambda _: self._idle(hook_id))

    def _idle(self, hook_id: str) -> None:
        self.busy.discard(hook_id)
        if hook_id in self.again:
            self.again.discard(hook_id)
            if hook_id not in self.timers:
                self.kick(hook_id)

    async def _drain(self, hook_id: str) -> None:
        while self.running:
            sub = self.subs.get(hook_id)
            item = await self.queue.first(hook_id)
            if item is None or sub is None:
                return  # nothing waits (or it waits for the next refresh to go)
            now = self.reactor.seconds()
            if item.due > now:
                self.again.discard(hook_id)  # what came meanwhile waits behind this one
                self.timers[hook_id] = self.reactor.callLater(item.due - now, self._due, hook_id)
                return
            answer = await self._send(sub, item)
            if not self.running:
                return  # stopping: it stays queued, and goes again after the restart
            if answer is not None:
                await self.queue.done(item.seq)
                self.waiting -= 1
                self.counts["delivered"] += 1
                await self._reply(sub, answer)
                continue
            attempts = item.attempts + 1
            if attempts >= self.retries:
                await self.queue.done(item.seq)
                self.waiting -= 1
                self.counts["dropped"] += 1
                log.error("webhook {hook} ({url}): event {seq} dropped after {attempts} attempts",
                          hook=hook_id, url=sub.url, seq=item.seq, attempts=attempts)
            else:
                self.counts["failed"] += 1
                await self.queue.later(item.seq, attempts, now + backoff(attempts))

    def _due(self, hook_id: str) -> None:
        self.timers.pop(hook_id, None)
        self.kick(hook_id)

    async def _send(self, sub: Subscription, item: Queued) -> Optional[bytes]:
        """POST one event; its answer's body if it was taken (2xx), None to try again."""
        stamp = str(int(self.reactor.seconds()))
        try:
            event = str(json.loads(item.body).get("event", ""))
        except ValueError:
            event = ""
        headers: dict[bytes | str, list[bytes | str]] = {
                   "Content-Type": ["application/json"], "User-Agent": [USER_AGENT],
                   "X-Chatd-Event": [event], "X-Chatd-Hook": [sub.id], "X-Chatd-Delivery": [str(item.seq)],
                   "X-Chatd-Timestamp": [stamp], "X-Chatd-Signature": [signature(sub.secret, stamp, item.body)]}
        try:
            response = await self.http.post(sub.url, data=item.body, headers=headers, timeout=self.timeout,
                                            allow_redirects=False)
        except Exception as error:
            log.warn("webhook {hook} ({url}): event {seq} not delivered: {error}",
                     hook=sub.id, url=sub.url, seq=item.seq, error=error.__class__.__name__)
            return None
        if not 200 <= response.code < 300:
            response.deliverBody(_Discard())
            log.warn("webhook {hook} ({url}): event {seq} refused with HTTP {code}",
                     hook=sub.id, url=sub.url, seq=item.seq, code=response.code)
            return None
        return await self._answer(response)

    async def _answer(self, response: Any) -> bytes:
        """The answer's body, up to :data:`MAX_ANSWER` and ``timeout`` (b"" past either)."""
        kind = (response.headers.getRawHeaders(b"content-type") or [b""])[0]
        if b"json" not in kind.lower():
            response.deliverBody(_Discard())
            return b""
        done: defer.Deferred[bytes] = defer.Deferred()
        response.deliverBody(_Collect(done))
        done.addTimeout(self.timeout, self.reactor)
        try:
            return await done
        except Exception:
            return b""

    async def _reply(self, sub: Subscription, answer: bytes) -> None:
        """A ``{"text": ...}`` answer is said in the room by the subscription's bot."""
        if not answer:
            return
        try:
            data = json.loads(answer)
        except ValueError:
            return
        text = data.get("text") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            return
        try:
            session = await self.bots.in_room(sub.nick, sub.owner, f"outgoing webhook {sub.id}", sub.room)
            session.send(sub.room, "privmsg", text, multiline=True)
            self.counts["replies"] += 1
        except errors.ChatError as error:
            log.warn("webhook {hook}: its reply cannot be posted to {room}: {error}",
                     hook=sub.id, room=sub.room, error=str(error))


class _Collect(Protocol):
    """A body, up to MAX_ANSWER (past it: b"")."""

    def __init__(self, done: defer.Deferred[bytes]) -> None:
        self.done = done
        self.parts: list[bytes] = []
        self.size = 0

    def dataReceived(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > MAX_ANSWER:
            if not self.done.called:
                self.done.callback(b"")
            if self.transport is not None:
                self.transport.stopProducing()  # type: ignore[attr-defined]
            return
        self.parts.append(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if not self.done.called:
            self.done.callback(b"".join(self.parts))


class _Discard(_Collect):
    def __init__(self) -> None:
        super().__init__(defer.Deferred())
        self.done.addErrback(lambda _: None)

    def dataReceived(self, data: bytes) -> None:
        pass
