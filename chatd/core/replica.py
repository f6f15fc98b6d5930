"""Applying what other nodes report to this node's view of the network.

Every change here comes from a peer that already checked its rules, so
nothing is refused; each step is idempotent, because after a reconnect a node
may hear of a change it already knows.  Only users of *this* node receive the
resulting events (other nodes tell their own users).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Optional, Sequence

from .bridge import RemoteClient
from .casemap import casefold
from .delivery import fan_out
from .events import (
    AwayChanged,
    DirectMessage,
    Identity,
    Invited,
    Joined,
    Kicked,
    ModeChanged,
    NickChanged,
    Parted,
    Quit,
    RoomMessage,
    TopicChanged,
)
from .rooms import FLAG_MODES, Room
from .users import User

if TYPE_CHECKING:
    from .network import Network


class Replica:
    def __init__(self, network: Network) -> None:
        self.network = network

    @property
    def clock(self) -> float:
        return self.network.clock()

    def is_local(self, user: User) -> bool:
        return not isinstance(user.client, RemoteClient)

    def local(self, users: Iterable[User]) -> list[User]:
        return [u for u in users if not isinstance(u.client, RemoteClient)]

    def node_users(self, node: str) -> list[User]:
        return [u for u in self.network.users.values()
                if isinstance(u.client, RemoteClient) and u.client.node == node]

    # -- users -------------------------------------------------------------------------

    def add_user(self, node: str, identity: Identity, away: Optional[str], signon: float) -> Optional[User]:
        """A user registered on ``node``; returns the local user it collides with, if any."""
        net = self.network
        existing = net.users.get(casefold(identity.nick))
        if existing is not None:
            if isinstance(existing.client, RemoteClient):
                existing.client.node = node
                existing.user, existing.host, existing.realname = identity.user, identity.host, identity.realname
                existing.protocol, existing.away = identity.protocol, away
                existing._refresh_identity()
                return None
            return existing
        user = User(RemoteClient(node), identity.nick, identity.user, identity.host, identity.realname,
                    identity.protocol, signon, signon, away)
        net.users[user.folded] = user
        return None

    def quit(self, nick: str, reason: str) -> None:
        user = self.network.users.get(casefold(nick))
        if user is None or self.is_local(user):
            return
        recipients = self.local(self.network.neighbours(user))
        del self.network.users[user.folded]
        for room in list(user.rooms.values()):
            self.network._leave(user, room)
        fan_out(Quit(self.clock, user.identity, reason), recipients)

    def node_lost(self, node: str, reason: str = "node lost") -> int:
        users = self.node_users(node)
        for user in users:
            self.quit(user.nick, reason)
        return len(users)

    def rename(self, old: str, new: str) -> None:
        net = self.network
        user = net.users.get(casefold(old))
        if user is None or self.is_local(user):
            return
        event = NickChanged(self.clock, user.identity, new)
        del net.users[user.folded]
        user.rename(new)
        net.users[user.folded] = user
        fan_out(event, self.local(net.neighbours(user)))

    def away(self, nick: str, message: Optional[str]) -> None:
        user = self.network.users.get(casefold(nick))
        if user is None or self.is_local(user) or user.away == message:
            return
        user.away = message
        fan_out(AwayChanged(self.clock, user.identity, message), self.local(self.network.neighbours(user)))

    # -- rooms -------------------------------------------------------------------------

    def room(self, name: str, created: float, topic: str = "", topic_by: str = "", topic_time: float = 0.0,
             flags: Optional[Iterable[str]] = None, key: Optional[str] = None,
             limit: Optional[int] = None) -> Room:
        net = self.network
        room = net.find_room(name)
        if room is None:
            room = Room(name, created)
            net.rooms[casefold(name)] = room
        room.topic, room.topic_by, room.topic_time = topic, topic_by, topic_time
        if flags is not None:
            room.flags = {f for f in flags if f in FLAG_MODES}
            room.key, room.limit = key, limit
        return room

    def join(self, nick: str, room_name: str, status: str = "", created: Optional[float] = None) -> None:
        net = self.network
        user = net.users.get(casefold(nick))
        if user is None or self.is_local(user):
            return
        room = net.find_room(room_name) or self.room(room_name, created or self.clock)
        known = user in room.members
        room.members[user] = set(status)
        user.rooms[casefold(room.name)] = room
        if not known:
            fan_out(Joined(self.clock, room.name, user.identity), self.local(room.members))

    def part(self, nick: str, room_name: str, reason: str) -> None:
        net = self.network
        user, room = net.users.get(casefold(nick)), net.find_room(room_name)
        if user is None or room is None or user not in room.members or self.is_local(user):
            return
        fan_out(Parted(self.clock, room.name, user.identity, reason), self.local(room.members))
        net._leave(user, room)

    def kick(self, by: Identity, room_name: str, nick: str, reason: str) -> None:
        net = self.network
        victim, room = net.users.get(casefold(nick)), net.find_room(room_name)
        if victim is None or room is None or victim not in room.members:
            return
        fan_out(Kicked(self.clock, room.name, by, victim.nick, reason), self.local(room.members))
        net._leave(victim, room)

    def topic(self, by: Identity, room_name: str, topic: str, when: float) -> None:
        room = self.network.find_room(room_name)
        if room is None:
            return
        room.topic, room.topic_by, room.topic_time = topic, by.nick, when
        fan_out(TopicChanged(when, room.name, by, topic), self.local(room.members))

    def modes(self, by: Identity, room_name: str, changes: Sequence[tuple[str, str, Optional[str]]]) -> None:
        room = self.network.find_room(room_name)
        if room is None:
            return
        for sign, letter, arg in changes:
            adding = sign == "+"
            if letter in FLAG_MODES:
                (room.flags.add if adding else room.flags.discard)(letter)
            elif letter == "k":
                room.key = arg if adding else None
            elif letter == "l":
                room.limit = int(arg) if adding and arg and arg.isdigit() else None
            elif letter in "ov" and arg:
                member = self.network.find_user(arg)
                if member is not None and member in room.members:
                    (room.members[member].add if adding else room.members[member].discard)(letter)
        fan_out(ModeChanged(self.clock, room.name, by, tuple(changes)), self.local(room.members))

    def invite(self, by: Identity, nick: str, room_name: str) -> None:
        target = self.network.find_user(nick)
        if target is None:
            return
        room = self.network.find_room(room_name)
        if room is not None:
            room.invited.add(target.folded)
        if self.is_local(target):
            fan_out(Invited(self.clock, room_name, by, target.nick), [target])

    # -- messages ------------------------------------------------------------------------

    def deliver_room(self, message: RoomMessage) -> int:
        net = self.network
        room = net.find_room(message.room)
        if room is None:
            return 0
        sender = casefold(message.sender.nick)
        recipients = [u for u in room.members if self.is_local(u) and (u.folded != sender or u.client.echo_messages)]
        delivered = fan_out(message, recipients)
        net.stats.deliveries += delivered
        return delivered

    def deliver_direct(self, message: DirectMessage) -> int:
        net = self.network
        recipients = []
        target = net.find_user(message.target)
        if target is not None and self.is_local(target):
            recipients.append(target)
        sender = net.find_user(message.sender.nick)
        if sender is not None and sender is not target and self.is_local(sender) and sender.client.echo_messages:
            recipients.append(sender)
        delivered = fan_out(message, recipients)
        net.stats.deliveries += delivered
        return delivered
