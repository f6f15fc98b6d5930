"""Applying what other nodes report to this node's view of the network.

Every change here comes from a peer that already checked its rules and
validated its strings, so nothing is refused; each step is idempotent,
because after a reconnect a node may hear of a change it already knows.  The
changes go through the network's own public methods (the same ones local
changes use), so modes, renames and departures follow one set of rules; only
users of *this* node receive the resulting events, because fan-out skips
users held elsewhere, and nothing is handed back to the publisher.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence

from .casemap import casefold
from .delivery import fan_out
from .events import DirectMessage, Identity, Invited, ModeChanged, RoomMessage
from .publisher import RemoteClient, is_remote
from .rooms import ModeChange, Room
from .users import User

if TYPE_CHECKING:
    from .network import Network


class Replica:
    def __init__(self, network: Network) -> None:
        self.network = network

    def _remote(self, nick: str) -> Optional[User]:
        user = self.network.find_user(nick)
        return user if user is not None and is_remote(user) else None

    def local(self, users: Iterable[User]) -> list[User]:
        return [u for u in users if not is_remote(u)]

    def node_users(self, node: str) -> list[User]:
        return [u for u in self.network.users.values()
                if isinstance(u.client, RemoteClient) and u.client.node == node]

    # -- users -------------------------------------------------------------------------

    def add_user(self, node: str, identity: Identity, away: Optional[str], signon: float,
                 modes: str = "") -> Optional[User]:
        """A user registered (or changed) on ``node``; returns the local user it collides with, if any."""
        net = self.network
        existing = net.find_user(identity.nick)
        if existing is not None:
            if isinstance(existing.client, RemoteClient):
                existing.client.node = node
                existing.away = away
                renamed = existing.realname != identity.realname
                existing.modes = frozenset(modes)
                existing.update(identity)
                if renamed:
                    net.change_realname(existing, identity.realname)
                if existing.account != identity.account:
                    net.change_account(existing, identity.account)
                return None
            return existing
        user = User(RemoteClient(node), identity.nick, identity.user, identity.host, identity.realname,
                    identity.protocol, signon, signon, away, modes=frozenset(modes), account=identity.account)
        net.users[user.folded] = user
        net.notify("online", user.nick, user)
        return None

    def quit(self, nick: str, reason: str) -> None:
        user = self._remote(nick)
        if user is not None:
            self.network.remove_user(user, reason)

    def node_lost(self, node: str, reason: str = "node lost") -> int:
        users = self.node_users(node)
        for user in users:
            self.quit(user.nick, reason)
        return len(users)

    def rename(self, old: str, new: str) -> None:
        user = self._remote(old)
        if user is not None:
            self.network.rename(user, new)

    def away(self, nick: str, message: Optional[str]) -> None:
        user = self._remote(nick)
        if user is not None and user.away != message:
            self.network.mark_away(user, message)

    # -- rooms -------------------------------------------------------------------------

    def room(self, name: str, created: float, topic: str = "", topic_by: str = "", topic_time: float = 0.0,
             flags: Optional[Iterable[str]] = None, key: Optional[str] = None,
             limit: Optional[int] = None, state: Optional[dict[str, Any]] = None) -> Room:
        net = self.network
        room = net.find_room(name)
        if room is None:
            room = Room(name, created)
            net.rooms[casefold(name)] = room
        room.topic, room.topic_by, room.topic_time = topic, topic_by, topic_time
        if flags is not None:
            room.flags.clear()
            for letter in flags:
                room.apply("+", letter, None)
            room.key, room.limit = key, limit
        if state:
            room.restore(state)
        return room

    def room_state(self, name: str, state: dict[str, Any]) -> None:
        """Another node changed a room's kept state (registration, lists, operators by account)."""
        room = self.network.find_room(name)
        if room is not None:
            room.restore(state)

    def join(self, nick: str, room_name: str, status: str = "", created: Optional[float] = None) -> None:
        user = self._remote(nick)
        if user is None:
            return
        room = self.network.find_room(room_name) or self.room(room_name, created or self.network.clock())
        self.network.add_member(user, room, set(status))

    def part(self, nick: str, room_name: str, reason: str) -> None:
        user, room = self._remote(nick), self.network.find_room(room_name)
        if user is not None and room is not None and user in room.members:
            self.network.leave(user, room, reason)

    def kick(self, by: Identity, room_name: str, nick: str, reason: str) -> None:
        net = self.network
        victim, room = net.find_user(nick), net.find_room(room_name)
        if victim is not None and room is not None and victim in room.members:
            net.remove_kicked(by, room, victim, reason)

    def topic(self, by: Identity, room_name: str, topic: str, when: float) -> None:
        room = self.network.find_room(room_name)
        if room is not None:
            self.network.change_topic(room, by, topic, when)

    def modes(self, by: Identity, room_name: str, changes: Sequence[ModeChange]) -> None:
        room = self.network.find_room(room_name)
        if room is None:
            return
        for sign, letter, arg in changes:
            room.apply(sign, letter, arg, self.network.find_user(arg) if arg else None, by.nick,
                       self.network.clock())
        fan_out(ModeChanged(self.network.clock(), room.name, by, tuple(changes)), room.members)

    def invite(self, by: Identity, nick: str, room_name: str) -> None:
        target = self.network.find_user(nick)
        if target is None:
            return
        room = self.network.find_room(room_name)
        event = Invited(self.network.clock(), room_name, by, target.nick)
        fan_out(event, [target])
        if room is not None:
            room.invited.add(target.folded)
            fan_out(Invited(event.time, room_name, by, target.nick, notice=True),
                    [m for m in room.members if m is not target])

    def read_moved(self, person: str, target: str, until: float) -> None:
        self.network.show_read(person, target, until)

    def redact(self, by: Identity, target: str, msgid: str, reason: str) -> None:
        self.network.show_redaction(by, target, msgid, reason)

    # -- messages ------------------------------------------------------------------------

    def deliver(self, message: RoomMessage | DirectMessage) -> int:
        """A message that came through the cluster: this node's recipients get it."""
        return self.network.deliver(message)
