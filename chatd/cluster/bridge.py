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
"""

from __future__ import annotations

import json
import os
import random
import socket
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import attrs
from twisted.application import internet, service
from twisted.internet import defer
from twisted.logger import Logger

from ..core import Network, Sent, casefold
from ..core.events import DirectMessage, RoomMessage
from ..core.moderation import ServerBan
from ..core.publisher import home_of, is_remote
from ..core.rooms import Room
from ..core.users import User
from . import codec, inbound, scripts, sync
from .accounts import RedisAccounts
from .history import RedisHistory
from .keys import Keys
from .link import RedisAddress, RedisLink
from .messages import LOCAL_WAIT, MessagePath
from .outbox import Outbox
from .sentinel import SentinelEndpoint

log = Logger()


class RedisBridge(service.MultiService):
    """The core's :class:`~chatd.core.Publisher` in cluster mode, and the service that owns the link."""

    network: Network

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
    ) -> None:
        super().__init__()
        self.reactor = reactor
        self.node = node or f"{socket.gethostname()}-{os.getpid()}-{random.randrange(16**6):06x}"
        self.keys = Keys(f"chatd:{network_name}:")
        self.heartbeat = heartbeat
        self.node_timeout = node_timeout
        self.history_cap = history_cap
        address = RedisAddress.parse(url)
        endpoint = SentinelEndpoint(reactor, list(sentinels), master, address, timeout) if sentinels else None
        self.link = RedisLink(reactor, address, self._link_up, self._link_down, self._received, timeout,
                              endpoint=endpoint, masters_only=bool(sentinels))
        self.link.setServiceParent(self)
        self.outbox = Outbox(outbox, reactor, reactor)
        self.messages = MessagePath(self, self.outbox)
        self.persistence_checked = False
        overdue = internet.TimerService(LOCAL_WAIT / 2, self.messages.overdue)
        overdue.clock = reactor
        overdue.setServiceParent(self)
        self.ready = False
        self.syncing = False
        self.buffered: list[str] = []
        self.heard: dict[str, float] = {}  # node -> when we last heard from it (our clock)
        self.room_channels: set[str] = set()  # folded rooms whose channel we listen to
        self.history = RedisHistory(self.link, self.keys)
        self.accounts = RedisAccounts(self.link, self.keys)
        internet.TimerService(heartbeat, self._beat).setServiceParent(self)
        internet.TimerService(min(1.0, heartbeat), self._check_nodes).setServiceParent(self)

    # -- the core's Publisher interface ---------------------------------------------------

    def bind(self, network: Network) -> None:
        self.network = network

    @property
    def up(self) -> bool:
        return self.ready and self.link.up

    @property
    def connected(self) -> bool:
        return self.link.up

    def _publish(self, kind: str, **data: Any) -> None:
        data["t"], data["n"] = kind, self.node
        self._call("PUBLISH", self.keys.events, codec.dumps(data))

    def _call(self, *command: Any) -> None:
        """Fire and forget: state is re-synced wholesale after any outage."""
        if self.link.up:
            self.link.call(*command).addErrback(self._failed, command[0])

    def _failed(self, failure: Any, what: str) -> None:
        log.warn("Redis {what} failed: {error}", what=what, error=failure.getErrorMessage())

    def _user_json(self, user: User) -> str:
        return codec.dumps({"i": codec.identity(user.identity), "a": user.away, "s": user.signon,
                            "m": "".join(sorted(user.modes))})

    def reserve(self, folded_nick: str) -> defer.Deferred[bool]:
        if not self.up:
            return defer.succeed(True)  # serve locally; the re-sync sorts out clashes
        d = self.link.script(scripts.CLAIM_NICK, [self.keys.nicks], [folded_nick, self.node])

        def failed(failure: Any) -> bool:
            # Redis went away mid-claim: serve locally, the re-sync sorts out clashes.
            self._failed(failure, "nick claim")
            return True

        return d.addCallbacks(lambda won: bool(int(won)), failed)

    def release(self, folded_nick: str) -> None:
        if self.up:
            self._release(folded_nick)

    def _claim(self, user: User) -> None:
        """Claim ``user``'s nick for this node; if another node won it meanwhile, ours gives way."""
        folded = user.folded
        d = self.link.script(scripts.CLAIM_NICK, [self.keys.nicks], [folded, self.node])
        d.addCallbacks(lambda won: None if int(won) else self._collision(user, folded), self._failed,
                       errbackArgs=("nick claim",))

    def _release(self, folded_nick: str) -> None:
        self.link.script(scripts.RELEASE_NICK, [self.keys.nicks], [folded_nick, self.node]).addErrback(
            self._failed, "nick release")

    def user_added(self, user: User) -> None:
        if not self.link.up:
            return
        self._claim(user)
        self.user_changed(user)

    def user_changed(self, user: User) -> None:
        """A new user, a new real name or new user modes: the record and every node's view follow."""
        if not self.link.up:
            return
        self._call("HSET", self.keys.users(self.node), user.folded, self._user_json(user))
        self._publish("user", i=codec.identity(user.identity), a=user.away, s=user.signon,
                      m="".join(sorted(user.modes)))

    def _collision(self, user: User, folded: Optional[str] = None) -> None:
        """Another node claimed the same nick in the same instant: ours gives way."""
        if folded is not None and user.folded != folded:
            return  # already renamed
        if self.network.users.get(user.folded) is not user:
            return
        guest = f"Guest{random.randrange(10**5):05d}"
        log.info("nick collision on {nick}: renaming the local user to {guest}", nick=user.nick, guest=guest)
        self.network.change_nick(user, guest)

    def user_quit(self, user: User, reason: str) -> None:
        if not self.link.up:
            return
        self._release(user.folded)
        self._call("HDEL", self.keys.users(self.node), user.folded)
        for folded in user.rooms:
            self._call("HDEL", self.keys.members(folded), user.folded)
        self._publish("quit", nick=user.nick, reason=reason)
        for room in list(user.rooms.values()):
            self._maybe_unlisten(room, leaving=user)

    def nick_changed(self, user: User, old_nick: str) -> None:
        if not self.link.up:
            return
        old = casefold(old_nick)
        if old != user.folded:
            self._claim(user)
            self._release(old)
            self._call("HDEL", self.keys.users(self.node), old)
        self._call("HSET", self.keys.users(self.node), user.folded, self._user_json(user))
        for folded, room in user.rooms.items():
            self._call("HDEL", self.keys.members(folded), old)
            self._call("HSET", self.keys.members(folded), user.folded, self._status(room, user))
        self._publish("nick", old=old_nick, new=user.nick)

    def away_changed(self, user: User) -> None:
        self._call("HSET", self.keys.users(self.node), user.folded, self._user_json(user))
        self._publish("away", nick=user.nick, msg=user.away)

    def _status(self, room: Room, user: User) -> str:
        """A member's record in a room: their status letters and the node holding them."""
        return "".join(sorted(room.members.get(user, ()))) + "|" + (home_of(user) or self.node)

    def joined(self, user: User, room: Room) -> None:
        folded = casefold(room.name)
        self._listen(folded)
        self._call("HSET", self.keys.rooms, folded, codec.room_json(room))
        self._call("HSET", self.keys.members(folded), user.folded, self._status(room, user))
        self._publish("join", nick=user.nick, room=room.name, st="".join(sorted(room.members[user])),
                      c=room.created)

    def parted(self, user: User, room: Room, reason: str) -> None:
        self._call("HDEL", self.keys.members(casefold(room.name)), user.folded)
        self._publish("part", nick=user.nick, room=room.name, reason=reason)
        self._maybe_unlisten(room)

    def kicked(self, by: User, room: Room, target: User, reason: str) -> None:
        self._call("HDEL", self.keys.members(casefold(room.name)), target.folded)
        self._publish("kick", by=codec.identity(by.identity), room=room.name, nick=target.nick, reason=reason)
        self._maybe_unlisten(room)

    def topic_changed(self, room: Room) -> None:
        self._call("HSET", self.keys.rooms, casefold(room.name), codec.room_json(room))
        by = self.network.find_user(room.topic_by)
        who = codec.identity(by.identity) if by else [room.topic_by, "", "", "", ""]
        self._publish("topic", by=who, room=room.name, topic=room.topic, time=room.topic_time)

    def modes_changed(self, by: User, room: Room, changes: Sequence[tuple[str, str, Optional[str]]]) -> None:
        folded = casefold(room.name)
        self._call("HSET", self.keys.rooms, folded, codec.room_json(room))
        for _sign, letter, arg in changes:
            member = self.network.find_user(arg) if letter in "ov" and arg else None
            if member is not None and member in room.members:
                self._call("HSET", self.keys.members(folded), member.folded, self._status(room, member))
        self._publish("mode", by=codec.identity(by.identity), room=room.name, ch=[list(c) for c in changes])

    def read_moved(self, person: str, target: str, until: float) -> None:
        self._publish("read", person=person, target=target, until=until)

    def redacted(self, by: User, target: str, msgid: str, reason: str) -> None:
        self._publish("redact", by=codec.identity(by.identity), target=target, msgid=msgid, reason=reason)

    def room_changed(self, room: Room) -> None:
        self._call("HSET", self.keys.rooms, casefold(room.name), codec.room_json(room))
        self._publish("roomstate", room=room.name, s=room.state())

    def server_ban(self, ban: ServerBan, added: bool) -> None:
        if added:
            self._call("HSET", self.keys.server_bans, casefold(ban.mask), codec.dumps(attrs.asdict(ban)))
        else:
            self._call("HDEL", self.keys.server_bans, casefold(ban.mask))
        self._publish("kline" if added else "unkline", ban=attrs.asdict(ban))

    def kill(self, victim: User, reason: str) -> None:
        self._publish("kill", nick=victim.nick, node=home_of(victim), reason=reason)

    def wallops(self, by: User, text: str) -> int:
        self._publish("wallops", by=codec.identity(by.identity), text=text)
        return 0

    def load_bans(self) -> list[ServerBan]:
        return []  # learnt from Redis once connected (sync)

    def save_ban(self, ban: ServerBan) -> defer.Deferred[None]:
        return defer.succeed(None)  # server_ban() stored it in Redis

    def remove_ban(self, mask: str) -> defer.Deferred[None]:
        return defer.succeed(None)

    def invited(self, by: User, target: User, room_name: str) -> None:
        self._publish("invite", by=codec.identity(by.identity), nick=target.nick, room=room_name)

    def room_message(self, message: RoomMessage) -> Sent:
        return self.messages.room(message)

    def direct_message(self, message: DirectMessage, target: Optional[User]) -> Sent:
        home = home_of(target) if target is not None else None
        return self.messages.direct(message, (self.node, home or self.node))

    # -- room channels --------------------------------------------------------------------

    def _listen(self, folded: str) -> None:
        """A first member here: listen to the room's channel, and read back from its stream what
        was said between marking where it ended and the subscription taking effect."""
        if folded not in self.room_channels:
            self.room_channels.add(folded)
            if self.link.up:
                stream = self.keys.history(folded)
                self.messages.hold(stream)
                self.messages.mark(stream)
                d = self.link.subscribe(self.keys.room_channel(folded))
                d.addCallback(lambda _: self.messages.backfill(stream))
                d.addErrback(self._not_listening, stream)

    def _not_listening(self, failure: Any, stream: str) -> None:
        self.messages.release(stream)
        self._failed(failure, "subscribe")

    def _maybe_unlisten(self, room: Room, leaving: Optional[User] = None) -> None:
        folded = casefold(room.name)
        local = [u for u in room.members if u is not leaving and not is_remote(u)]
        if not local and folded in self.room_channels:
            self.room_channels.discard(folded)
            self.messages.forget(self.keys.history(folded))
            if self.link.up:
                self.link.unsubscribe(self.keys.room_channel(folded)).addErrback(self._failed, "unsubscribe")

    # -- what arrives -----------------------------------------------------------------------

    def _received(self, channel: str, data: str) -> None:
        try:
            if channel == self.keys.events:
                if self.syncing:
                    self.buffered.append(data)
                else:
                    inbound.apply(self, json.loads(data))
                return
            prefix = self.keys.room_channel("")
            stream = self.keys.history(channel[len(prefix):]) if channel.startswith(prefix) \
                else self.keys.inbox(self.node)
            self.messages.received(stream, data)
        except Exception:
            log.failure("bad cluster message on {channel}: {data!r}", channel=channel, data=data[:200])

    # -- link state ------------------------------------------------------------------------

    @defer.inlineCallbacks
    def _link_up(self) -> Any:
        self.ready = False
        self.syncing = True
        self.buffered = []
        streams = [self.keys.inbox(self.node)] + [self.keys.history(f) for f in self.room_channels]
        for stream in streams:
            self.messages.hold(stream)
        try:
            yield self.link.subscribe(self.keys.events, self.keys.node_channel(self.node))
            yield sync.snapshot(self)
            yield sync.register_everything(self)
            rooms = [self.keys.room_channel(f) for f in self.room_channels]
            if rooms:
                yield self.link.subscribe(*rooms)
            # What this node missed while it was away: read back from where each stream was.
            for stream in streams:
                self.messages.mark(stream)  # only if not followed before
                yield self.messages.backfill(stream)
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
            inbound.apply(self, json.loads(data))
        log.info("cluster: node {node} in sync ({users} users network-wide)", node=self.node,
                 users=len(self.network.users))
        self.messages.replay()
        if not self.persistence_checked:
            self.persistence_checked = True
            sync.check_persistence(self)

    def _link_down(self) -> None:
        self.ready = False

    def _claimed(self, won: Any, user: User) -> None:
        if not int(won):
            self._collision(user)

    def _reap(self, node: str) -> defer.Deferred[Any]:
        keys = [self.keys.nicks, self.keys.rooms, self.keys.nodes, self.keys.users(node)]
        return self.link.script(scripts.REAP_NODE, keys, [node, self.keys.members_prefix])

    # -- heartbeats ---------------------------------------------------------------------

    def _beat(self) -> None:
        if self.up:
            self._call("HSET", self.keys.nodes, self.node, int(time.time() * 1000))
            self._publish("beat")

    def _check_nodes(self) -> None:
        now = self.reactor.seconds()
        for node, last in list(self.heard.items()):
            if now - last > self.node_timeout:
                del self.heard[node]
                lost = self.network.replica.node_lost(node, "node lost")
                log.warn("cluster: node {node} lost ({users} users quit)", node=node, users=lost)
                if self.link.up:
                    self._reap(node).addErrback(self._failed, "reap")

    def startService(self) -> None:
        self.outbox.start()
        if self.messages.waiting:
            log.info("cluster: {n} messages from the last run wait in the outbox", n=self.messages.waiting)
        super().startService()

    @defer.inlineCallbacks
    def stopService(self) -> Any:
        yield self.outbox.flush()
        if self.link.up:
            try:
                yield self.link.call("PUBLISH", self.keys.events, codec.dumps({"t": "bye", "n": self.node}))
                yield self._reap(self.node)
            except Exception:
                log.failure("cluster: could not say goodbye")
        yield super().stopService()
        self.outbox.stop()
