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
from typing import Any, Optional, Sequence

from twisted.application import internet, service
from twisted.internet import defer
from twisted.logger import Logger

from ..core import Network, Sent, casefold, dm_key, errors
from ..core.events import DirectMessage, RoomMessage
from ..core.publisher import RemoteClient, is_remote
from ..core.rooms import Room
from ..core.users import User
from . import codec, scripts
from .history import RedisHistory
from .keys import Keys
from .link import RedisAddress, RedisLink

log = Logger()


def room_json(room: Room) -> str:
    return codec.dumps({"n": room.name, "c": room.created, "t": room.topic, "tb": room.topic_by,
                        "tt": room.topic_time, "f": "".join(sorted(room.flags)), "k": room.key, "l": room.limit})


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
    ) -> None:
        super().__init__()
        self.reactor = reactor
        self.node = node or f"{socket.gethostname()}-{os.getpid()}-{random.randrange(16**6):06x}"
        self.keys = Keys(f"chatd:{network_name}:")
        self.heartbeat = heartbeat
        self.node_timeout = node_timeout
        self.history_cap = history_cap
        self.link = RedisLink(reactor, RedisAddress.parse(url), self._link_up, self._link_down, self._received)
        self.link.setServiceParent(self)
        self.ready = False
        self.syncing = False
        self.buffered: list[str] = []
        self.heard: dict[str, float] = {}  # node -> when we last heard from it (our clock)
        self.room_channels: set[str] = set()  # folded rooms whose channel we listen to
        self.history = RedisHistory(self.link, self.keys)
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
        return codec.dumps({"i": codec.identity(user.identity), "a": user.away, "s": user.signon})

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
        if not self.up:
            return
        self.link.script(scripts.RELEASE_NICK, [self.keys.nicks], [folded_nick, self.node]).addErrback(
            self._failed, "nick release")

    def user_added(self, user: User) -> None:
        if not self.link.up:
            return
        d = self.link.script(scripts.CLAIM_NICK, [self.keys.nicks], [user.folded, self.node])
        folded = user.folded
        d.addCallbacks(lambda won: None if int(won) else self._collision(user, folded), self._failed,
                       errbackArgs=("nick claim",))
        self._call("HSET", self.keys.users(self.node), user.folded, self._user_json(user))
        self._publish("user", i=codec.identity(user.identity), a=user.away, s=user.signon)

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
        self.link.script(scripts.RELEASE_NICK, [self.keys.nicks], [user.folded, self.node]).addErrback(
            self._failed, "nick release")
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
            folded = user.folded
            d = self.link.script(scripts.CLAIM_NICK, [self.keys.nicks], [folded, self.node])
            d.addCallbacks(lambda won: None if int(won) else self._collision(user, folded), self._failed,
                           errbackArgs=("nick claim",))
            self.link.script(scripts.RELEASE_NICK, [self.keys.nicks], [old, self.node]).addErrback(
                self._failed, "nick release")
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
        return "".join(sorted(room.members.get(user, ()))) + "|" + self.node

    def joined(self, user: User, room: Room) -> None:
        folded = casefold(room.name)
        self._listen(folded)
        self._call("HSET", self.keys.rooms, folded, room_json(room))
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
        self._call("HSET", self.keys.rooms, casefold(room.name), room_json(room))
        by = self.network.find_user(room.topic_by)
        who = codec.identity(by.identity) if by else [room.topic_by, "", "", "", ""]
        self._publish("topic", by=who, room=room.name, topic=room.topic, time=room.topic_time)

    def modes_changed(self, by: User, room: Room, changes: Sequence[tuple[str, str, Optional[str]]]) -> None:
        folded = casefold(room.name)
        self._call("HSET", self.keys.rooms, folded, room_json(room))
        for _sign, letter, arg in changes:
            member = self.network.find_user(arg) if letter in "ov" and arg else None
            if member is not None and member in room.members:
                node = member.client.node if isinstance(member.client, RemoteClient) else self.node
                status = "".join(sorted(room.members[member])) + "|" + node
                self._call("HSET", self.keys.members(folded), member.folded, status)
        self._publish("mode", by=codec.identity(by.identity), room=room.name, ch=[list(c) for c in changes])

    def invited(self, by: User, target: User, room_name: str) -> None:
        self._publish("invite", by=codec.identity(by.identity), nick=target.nick, room=room_name)

    def room_message(self, message: RoomMessage) -> Sent:
        """While the cluster is up every node, this one included, delivers what Redis
        sends back: one order per room.  While it is down, local members get it at once."""
        if not self.up:
            return self.network.deliver_and_record(message)
        return Sent(message, self._publish_room(message))

    def direct_message(self, message: DirectMessage, target: User) -> Sent:
        if not self.up:
            if is_remote(target):
                raise errors.NoSuchNick(target.nick, "is on another node, which cannot be reached right now")
            return self.network.deliver_and_record(message)
        nodes = {self.node}
        if isinstance(target.client, RemoteClient):
            nodes.add(target.client.node)
        return Sent(message, self._publish_direct(message, sorted(nodes)))

    def _publish_room(self, message: RoomMessage) -> defer.Deferred[Any]:
        payload = codec.message_payload(message)
        folded = casefold(message.room)
        d = self.link.script(scripts.ROOM_MESSAGE, [self.keys.history(folded), self.keys.room_channel(folded)],
                             [payload, self.history_cap])
        return d.addCallback(lambda stream_id: codec.message_from(stream_id, payload))

    def _publish_direct(self, message: DirectMessage, nodes: Sequence[str]) -> defer.Deferred[Any]:
        payload = codec.message_payload(message)
        a, b = casefold(message.sender.nick), casefold(message.target)
        keys = [self.keys.history(dm_key(a, b)), self.keys.peers(a), self.keys.peers(b)]
        keys += [self.keys.node_channel(node) for node in nodes]
        d = self.link.script(scripts.DIRECT_MESSAGE, keys,
                             [payload, self.history_cap, a, b, int(message.time * 1000)])
        return d.addCallback(lambda stream_id: codec.message_from(stream_id, payload))

    # -- room channels --------------------------------------------------------------------

    def _listen(self, folded: str) -> None:
        if folded not in self.room_channels:
            self.room_channels.add(folded)
            if self.link.up:
                self.link.subscribe(self.keys.room_channel(folded)).addErrback(self._failed, "subscribe")

    def _maybe_unlisten(self, room: Room, leaving: Optional[User] = None) -> None:
        folded = casefold(room.name)
        local = [u for u in room.members if u is not leaving and not isinstance(u.client, RemoteClient)]
        if not local and folded in self.room_channels:
            self.room_channels.discard(folded)
            if self.link.up:
                self.link.unsubscribe(self.keys.room_channel(folded)).addErrback(self._failed, "unsubscribe")

    # -- what arrives -----------------------------------------------------------------------

    def _received(self, channel: str, data: str) -> None:
        try:
            if channel == self.keys.events:
                if self.syncing:
                    self.buffered.append(data)
                else:
                    self._apply(json.loads(data))
                return
            stream_id, _, payload = data.partition(" ")
            self.network.replica.deliver(codec.message_from(stream_id, payload))
        except Exception:
            log.failure("bad cluster message on {channel}: {data!r}", channel=channel, data=data[:200])

    def _apply(self, event: dict[str, Any]) -> None:
        node = event.get("n")
        if node == self.node or not isinstance(node, str):
            return
        self.heard[node] = self.reactor.seconds()
        replica = self.network.replica
        kind = event.get("t")
        if kind == "user":
            collided = replica.add_user(node, codec.to_identity(event["i"]), event.get("a"), event.get("s", 0))
            if collided is not None:
                self._collision(collided, collided.folded)
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
            target = self.network.find_user(event["nick"])
            replica.kick(codec.to_identity(event["by"]), event["room"], event["nick"], event.get("reason", ""))
            if target is not None and not isinstance(target.client, RemoteClient):
                room = self.network.find_room(event["room"])
                if room is not None:
                    self._maybe_unlisten(room)
        elif kind == "topic":
            replica.topic(codec.to_identity(event["by"]), event["room"], event["topic"], event["time"])
        elif kind == "mode":
            replica.modes(codec.to_identity(event["by"]), event["room"], [tuple(c) for c in event["ch"]])
        elif kind == "invite":
            replica.invite(codec.to_identity(event["by"]), event["nick"], event["room"])
        elif kind == "sync":
            self._resync_node(node, event["users"])
        elif kind == "bye":
            self.heard.pop(node, None)
            replica.node_lost(node, "Server shutting down")

    def _resync_node(self, node: str, users: list[dict[str, Any]]) -> None:
        """A node (re)joined the cluster and listed its users: make our view match."""
        replica = self.network.replica
        listed = set()
        for entry in users:
            identity = codec.to_identity(entry["i"])
            listed.add(casefold(identity.nick))
            collided = replica.add_user(node, identity, entry.get("a"), entry.get("s", 0))
            if collided is not None:
                self._collision(collided)
                continue
            rooms = entry.get("r", {})
            known = self.network.find_user(identity.nick)
            for room_name, status in rooms.items():
                replica.join(identity.nick, room_name, status)
            if known is not None:
                for room in list(known.rooms.values()):
                    if room.name not in rooms:
                        replica.part(identity.nick, room.name, "")
        for user in replica.node_users(node):
            if user.folded not in listed:
                replica.quit(user.nick, "node lost")

    # -- link state ------------------------------------------------------------------------

    @defer.inlineCallbacks
    def _link_up(self) -> Any:
        self.ready = False
        self.syncing = True
        self.buffered = []
        try:
            yield self.link.subscribe(self.keys.events, self.keys.node_channel(self.node))
            yield self._snapshot()
            yield self._register_everything()
            rooms = [self.keys.room_channel(f) for f in self.room_channels]
            if rooms:
                yield self.link.subscribe(*rooms)
        except Exception:
            log.failure("Redis sync failed; will retry when the link comes back")
            self.syncing = False
            return
        self.syncing = False
        self.ready = True
        buffered, self.buffered = self.buffered, []
        for data in buffered:
            self._apply(json.loads(data))
        log.info("cluster: node {node} in sync ({users} users network-wide)", node=self.node,
                 users=len(self.network.users))

    def _link_down(self) -> None:
        self.ready = False

    @defer.inlineCallbacks
    def _snapshot(self) -> Any:
        """Read the network's state from Redis into our view."""
        replica = self.network.replica
        now_ms = int(time.time() * 1000)
        nodes = yield self.link.call("HGETALL", self.keys.nodes)
        alive: dict[str, list[Any]] = {}
        for node, beat in zip(nodes[::2], nodes[1::2], strict=False):
            if node == self.node:
                continue
            age = (now_ms - int(beat)) / 1000.0
            if age > self.node_timeout:
                yield self._reap(node)
                continue
            self.heard[node] = self.reactor.seconds() - max(age, 0)
            alive[node] = (yield self.link.call("HGETALL", self.keys.users(node)))
        present: set[str] = set()
        for node, flat in alive.items():
            for folded, raw in zip(flat[::2], flat[1::2], strict=False):
                data = json.loads(raw)
                collided = replica.add_user(node, codec.to_identity(data["i"]), data.get("a"), data.get("s", 0))
                if collided is not None:
                    self._collision(collided)
                present.add(folded)
        for user in [u for u in self.network.users.values() if isinstance(u.client, RemoteClient)]:
            if user.folded not in present:
                replica.quit(user.nick, "node lost")
        rooms = yield self.link.call("HGETALL", self.keys.rooms)
        for folded, raw in zip(rooms[::2], rooms[1::2], strict=False):
            data = json.loads(raw)
            room = self.network.find_room(data["n"])
            if room is None or not [u for u in room.members if not isinstance(u.client, RemoteClient)]:
                replica.room(data["n"], data["c"], data["t"], data["tb"], data["tt"], data["f"], data["k"],
                             data["l"])
            members = yield self.link.call("HGETALL", self.keys.members(folded))
            for nick, value in zip(members[::2], members[1::2], strict=False):
                status, _, node = value.partition("|")
                if node in alive:
                    member = self.network.users.get(nick)
                    if member is not None:
                        replica.join(member.nick, data["n"], status, data["c"])

    def _register_everything(self) -> defer.Deferred[Any]:
        """Tell Redis and every node what this node holds (after start or an outage)."""
        now_ms = int(time.time() * 1000)
        calls = [self.link.call("HSET", self.keys.nodes, self.node, now_ms),
                 self.link.call("DEL", self.keys.users(self.node))]
        listing = []
        for user in [u for u in self.network.users.values() if not isinstance(u.client, RemoteClient)]:
            d = self.link.script(scripts.CLAIM_NICK, [self.keys.nicks], [user.folded, self.node])
            calls.append(d.addCallback(self._claimed, user))
            calls.append(self.link.call("HSET", self.keys.users(self.node), user.folded, self._user_json(user)))
            rooms = {}
            for folded, room in user.rooms.items():
                rooms[room.name] = "".join(sorted(room.members[user]))
                self.room_channels.add(folded)
                calls.append(self.link.call("HSET", self.keys.rooms, folded, room_json(room)))
                calls.append(self.link.call("HSET", self.keys.members(folded), user.folded, self._status(room, user)))
            listing.append({"i": codec.identity(user.identity), "a": user.away, "s": user.signon, "r": rooms})
        sync = codec.dumps({"t": "sync", "n": self.node, "users": listing})
        calls.append(self.link.call("PUBLISH", self.keys.events, sync))
        return defer.gatherResults(calls, consumeErrors=True)

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

    @defer.inlineCallbacks
    def stopService(self) -> Any:
        if self.link.up:
            try:
                yield self.link.call("PUBLISH", self.keys.events, codec.dumps({"t": "bye", "n": self.node}))
                yield self._reap(self.node)
            except Exception:
                log.failure("cluster: could not say goodbye")
        yield super().stopService()
