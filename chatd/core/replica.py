"""The people other nodes hold, in this node's view of the network.

Another node's changes come as records and go through the same apply step as
this node's own (:meth:`Network.receive`).  What is left here is what only a
replica has: a person first heard of (or their state re-read after an
outage) becomes a :class:`User` with a :class:`RemoteClient`, a node's
snapshot seats its members, and a lost node's people leave.  Each step is
idempotent, because after a reconnect a node may hear of a change it knows.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from .casemap import casefold
from .directory import Directory, Room, User
from .events import AccountChanged, AwayChanged, Connected, Joined, Parted, Quit, Record, UserChanged
from .remote import RemoteClient, home_of
from .sinks import Sinks


class Replica:
    def __init__(self, directory: Directory, receive: Callable[[Record, str], Any], seen: Sinks) -> None:
        self.directory = directory
        self.receive = receive
        self.seen = seen

    def node_users(self, node: str) -> list[User]:
        return [u for u in self.directory.users.values()
                if isinstance(u.client, RemoteClient) and u.client.node == node]

    # -- people ------------------------------------------------------------------------

    def connected(self, node: str, record: Connected) -> Optional[User]:
        """``node`` holds this person (new, or as it now is); returns the local user it collides with."""
        who = record.who
        existing = self.directory.find_user(who.nick)
        if existing is not None:
            if not isinstance(existing.client, RemoteClient):
                return existing
            existing.client.node = node
            now = record.time
            if existing.away != record.away:
                self.receive(AwayChanged(now, existing.identity, record.away), node)
            if existing.identity != who or existing.mode_letters != record.modes:
                self.receive(UserChanged(now, who, existing.realname != who.realname, record.modes), node)
            if existing.account != who.account:
                self.receive(AccountChanged(now, who), node)
            return None
        user = User(RemoteClient(node), who.nick, who.user, who.host, who.realname, who.protocol, record.signon,
                    record.signon, record.away, modes=frozenset(record.modes), account=who.account)
        self.directory.users[user.folded] = user
        self.receive(record, node)
        return None

    def drop(self, user: User, reason: str) -> None:
        """A person another node held is gone (their node was lost, or its list no longer has them)."""
        rooms = tuple(room.name for room in user.rooms.values())
        self.receive(Quit(self.directory.clock(), user.identity, reason, rooms), home_of(user))

    def node_lost(self, node: str, reason: str = "node lost") -> int:
        users = self.node_users(node)
        for user in users:
            self.drop(user, reason)
        return len(users)

    # -- rooms -------------------------------------------------------------------------

    def room(self, name: str, created: float, topic: str = "", topic_by: str = "", topic_time: float = 0.0,
             flags: Optional[Iterable[str]] = None, key: Optional[str] = None,
             limit: Optional[int] = None, state: Optional[dict[str, Any]] = None) -> Room:
        """A room as the cluster's snapshot has it (read after an outage, not a change)."""
        room = self.directory.find_room(name)
        if room is None:
            room = Room(name, created)
            self.directory.rooms[casefold(name)] = room
        room.topic, room.topic_by, room.topic_time = topic, topic_by, topic_time
        if flags is not None:
            room.flags.clear()
            for letter in flags:
                room.apply("+", letter, None)
            room.key, room.limit = key, limit
        if state:
            room.restore(state)
        return room

    def seat(self, user: User, room_name: str, status: str = "", created: Optional[float] = None) -> None:
        """``user`` (another node's) is in ``room_name`` with ``status``, as its node listed them."""
        now = self.directory.clock()
        self.receive(Joined(now, room_name, user.identity, user.away, status, created or now), home_of(user))

    def unseat(self, user: User, room_name: str) -> None:
        self.receive(Parted(self.directory.clock(), room_name, user.identity, ""), home_of(user))
