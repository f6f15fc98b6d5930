"""The network: who is connected, which rooms exist, and the rules they live by.

A :class:`~chatd.core.session.Session` validates what a person asked for and
calls these methods; the network checks the request against the rules
(membership, modes, nick ownership), changes its state, fans the resulting
event out to whoever should see it, and hands the change to its
:class:`~chatd.core.publisher.Publisher`.  Nothing here knows about sockets,
wire formats or other nodes, so the same rules hold for IRC, telnet and the
web, on one node or many.

Strings reaching these methods are already validated (names, lengths, control
characters): the Session does that once, and changes reported by other nodes
were validated where they happened.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable, Optional, Sequence

from . import errors
from .casemap import casefold
from .delivery import Client, fan_out
from .events import (
    AwayChanged,
    Identity,
    Invited,
    Joined,
    Kicked,
    ModeChanged,
    NickChanged,
    Parted,
    Quit,
    Redacted,
    TopicChanged,
    UserChanged,
)
from .history import HistoryStore, RoomRecord, dm_key
from .ids import MessageIdGenerator
from .limits import ROOM_PREFIXES, Limits
from .messages import Messaging
from .publisher import LocalPublisher, Publisher, home_of
from .replica import Replica
from .rooms import STATUS_MODES, ModeChange, Room
from .stats import Stats, reason_kind
from .users import User
from .whowas import Departed, Whowas


class Network(Messaging):
    """All users and rooms of one chat server (or of the whole cluster, as seen here)."""

    def __init__(
        self,
        server_name: str = "chatd.local",
        network_name: str = "chatd",
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
        history: Optional[HistoryStore] = None,
        publisher: Optional[Publisher] = None,
    ) -> None:
        self.server_name = server_name
        self.network_name = network_name
        self.limits = limits or Limits()
        self.clock = clock
        self.created = clock()
        self.new_id = MessageIdGenerator(clock)
        self.users: dict[str, User] = {}  # folded nick -> user
        self.rooms: dict[str, Room] = {}  # folded name -> room
        self.max_users = 0
        self.history = history
        self.stats = Stats()
        self.whowas = Whowas(self.limits.whowas)
        #: Read markers when there is no history store to keep them: (person, target) -> seconds.
        self.read_markers: dict[tuple[str, str], float] = {}
        #: Called as (kind, nick, user) when someone comes "online", goes "offline",
        #: or changes "away" or "realname": for IRC MONITOR, whatever protocol they use.
        self.watchers: list[Callable[[str, str, User], None]] = []
        # With a history store, rooms outlive their members (and restarts).
        self.keep_rooms = history is not None
        self.publisher: Publisher = publisher or LocalPublisher()
        self.publisher.bind(self)
        self.replica = Replica(self)

    def watch(self, watcher: Callable[[str, str, User], None]) -> None:
        self.watchers.append(watcher)

    def notify(self, kind: str, nick: str, user: User) -> None:
        for watcher in self.watchers:
            watcher(kind, nick, user)

    def restore_rooms(self, records: Iterable[RoomRecord]) -> None:
        for record in records:
            room = Room(record.name, record.created, record.topic, record.topic_by, record.topic_time)
            self.rooms[casefold(record.name)] = room

    def _save_room(self, room: Room) -> None:
        if self.history is not None:
            self.history.save_room(RoomRecord(room.name, room.created, room.topic, room.topic_by, room.topic_time))

    def history_key(self, user: User, target: str) -> str:
        """The history a user may read for ``target`` (a room they are in, or a nick)."""
        if target[:1] in ROOM_PREFIXES:
            return casefold(self.member_room(user, target).name)
        if not self.limits.valid_nick(target):
            raise errors.NoSuchNick(target)
        return dm_key(user.nick, target)

    # -- lookups -----------------------------------------------------------

    def find_user(self, nick: str) -> Optional[User]:
        return self.users.get(casefold(nick))

    def find_room(self, name: str) -> Optional[Room]:
        return self.rooms.get(casefold(name))

    def room(self, name: str) -> Room:
        room = self.find_room(name)
        if room is None:
            raise errors.NoSuchRoom(name)
        return room

    def member_room(self, user: User, name: str) -> Room:
        room = self.room(name)
        if user not in room.members:
            raise errors.NotOnRoom(room.name)
        return room

    def op_room(self, user: User, name: str) -> Room:
        room = self.member_room(user, name)
        if not room.is_op(user):
            raise errors.NotOperator(room.name)
        return room

    def nick_available(self, nick: str) -> bool:
        return casefold(nick) not in self.users

    def neighbours(self, user: User) -> set[User]:
        """Everyone who shares at least one room with ``user``, and ``user``."""
        seen = {user}
        for room in user.rooms.values():
            seen.update(room.members)
        return seen

    # -- nicks ---------------------------------------------------------------

    async def claim_nick(self, nick: str) -> None:
        """Make sure ``nick`` is free here and beyond (other nodes); raise if not."""
        if not self.nick_available(nick):
            raise errors.NickInUse(nick)
        if not await self.publisher.reserve(casefold(nick)):
            raise errors.NickInUse(nick)

    def release_nick(self, nick: str) -> None:
        """Give back a nick claimed for someone who left before using it."""
        if self.nick_available(nick):
            self.publisher.release(casefold(nick))

    # -- connection lifecycle ---------------------------------------------

    def connect(self, client: Client, nick: str, user: str, host: str, realname: str, protocol: str) -> User:
        """Register a person under ``nick``; raises if someone here holds it."""
        if not self.nick_available(nick):
            raise errors.NickInUse(nick)
        now = self.clock()
        member = User(client, nick, user, host, realname, protocol, now, now)
        self.users[member.folded] = member
        self.max_users = max(self.max_users, len(self.users))
        self.publisher.user_added(member)
        self.notify("online", member.nick, member)
        return member

    def quit(self, user: User, reason: str) -> None:
        """Remove ``user`` from the network; their neighbours see a QUIT."""
        if self.users.get(user.folded) is not user:
            return
        self.stats.disconnects[reason_kind(reason)] += 1
        self.publisher.user_quit(user, reason)  # while it still knows the user's rooms
        self.remove_user(user, reason)

    def remove_user(self, user: User, reason: str) -> None:
        """Take ``user`` out of every room and the nick table; neighbours see a QUIT."""
        recipients = self.neighbours(user)
        recipients.discard(user)
        del self.users[user.folded]
        self._remember(user)
        for room in list(user.rooms.values()):
            self.remove_member(user, room)
        fan_out(Quit(self.clock(), user.identity, reason), recipients)
        self.notify("offline", user.nick, user)

    def _remember(self, user: User) -> None:
        self.whowas.remember(Departed(user.nick, user.user, user.host, user.realname,
                                      home_of(user) or self.server_name, self.clock()))

    def change_nick(self, user: User, nick: str) -> None:
        if nick == user.nick:
            return
        if casefold(nick) != user.folded and not self.nick_available(nick):
            raise errors.NickInUse(nick)
        old = user.nick
        self.rename(user, nick)
        self.publisher.nick_changed(user, old)

    def rename(self, user: User, nick: str) -> None:
        """Move ``user`` to ``nick`` in the nick table; neighbours see the change."""
        event = NickChanged(self.clock(), user.identity, nick)
        self._remember(user)
        del self.users[user.folded]
        old = user.nick
        user.rename(nick)
        self.users[user.folded] = user
        fan_out(event, self.neighbours(user))
        if casefold(old) != user.folded:
            self.notify("offline", old, user)
            self.notify("online", user.nick, user)

    def set_away(self, user: User, message: Optional[str]) -> None:
        if message == user.away:
            return
        self.mark_away(user, message)
        self.publisher.away_changed(user)

    def set_user_modes(self, user: User, modes: set[str]) -> None:
        user.set_modes(modes)
        self.publisher.user_changed(user)

    def set_realname(self, user: User, realname: str) -> None:
        self.change_realname(user, realname)
        self.publisher.user_changed(user)

    def change_realname(self, user: User, realname: str) -> None:
        """``user`` has a new real name; their neighbours see it (IRC SETNAME)."""
        user.set_realname(realname)
        recipients = self.neighbours(user)
        fan_out(UserChanged(self.clock(), user.identity, True), recipients)
        self.notify("realname", user.nick, user)

    def mark_away(self, user: User, message: Optional[str]) -> None:
        user.away = message
        recipients = self.neighbours(user)
        recipients.discard(user)
        fan_out(AwayChanged(self.clock(), user.identity, message), recipients)
        self.notify("away", user.nick, user)

    # -- rooms ---------------------------------------------------------------

    def join(self, user: User, name: str, key: Optional[str] = None) -> Optional[Room]:
        """Put ``user`` in room ``name``, creating it; None if already there."""
        folded = casefold(name)
        room = self.rooms.get(folded)
        if room is not None and user in room.members:
            return None
        if len(user.rooms) >= self.limits.max_rooms_per_user:
            raise errors.TooManyRooms(name)
        if room is None:
            room = Room(name, self.clock())
            self.rooms[folded] = room
            self._save_room(room)
            status = {"o"}
        elif not room.members:
            # A kept room that emptied: the first one back runs it again.
            room.invited.discard(user.folded)
            status = {"o"}
        else:
            invited = user.folded in room.invited
            if room.key is not None and key != room.key and not invited:
                raise errors.BadKey(room.name)
            if room.limit is not None and len(room.members) >= room.limit and not invited:
                raise errors.RoomFull(room.name)
            if "i" in room.flags and not invited:
                raise errors.InviteOnly(room.name)
            room.invited.discard(user.folded)
            status = set()
        self.add_member(user, room, status)
        self.publisher.joined(user, room)
        return room

    def add_member(self, user: User, room: Room, status: set[str]) -> None:
        """Seat ``user`` in ``room`` with ``status``; the room sees a JOIN if they are new."""
        known = user in room.members
        room.members[user] = status
        user.rooms[casefold(room.name)] = room
        if not known:
            fan_out(Joined(self.clock(), room.name, user.identity, user.away), room.members)

    def part(self, user: User, name: str, reason: str = "") -> None:
        room = self.member_room(user, name)
        self.leave(user, room, reason)
        self.publisher.parted(user, room, reason)

    def leave(self, user: User, room: Room, reason: str) -> None:
        """``user`` leaves ``room``; its members (``user`` included) see a PART."""
        fan_out(Parted(self.clock(), room.name, user.identity, reason), list(room.members))
        self.remove_member(user, room)

    def part_all(self, user: User) -> None:
        for room in list(user.rooms.values()):
            self.part(user, room.name, "")

    def remove_member(self, user: User, room: Room) -> None:
        """Take ``user`` out of ``room`` without telling anyone; forget rooms nobody keeps."""
        room.members.pop(user, None)
        user.rooms.pop(casefold(room.name), None)
        if not room.members and not self.keep_rooms:
            self.rooms.pop(casefold(room.name), None)

    def set_topic(self, user: User, name: str, topic: str) -> None:
        room = self.member_room(user, name)
        if "t" in room.flags and not room.is_op(user):
            raise errors.NotOperator(room.name)
        self.change_topic(room, user.identity, topic, self.clock())
        self.publisher.topic_changed(room)

    def change_topic(self, room: Room, by: Identity, topic: str, when: float) -> None:
        """Set ``room``'s topic as ``by`` did at ``when``; members see it."""
        room.topic, room.topic_by, room.topic_time = topic, by.nick, when
        self._save_room(room)
        fan_out(TopicChanged(when, room.name, by, topic), room.members)

    def kick(self, user: User, name: str, target: str, reason: str) -> None:
        room = self.op_room(user, name)
        victim = self.find_user(target)
        if victim is None:
            raise errors.NoSuchNick(target)
        if victim not in room.members:
            raise errors.UserNotInRoom(f"{victim.nick} {room.name}")
        self.remove_kicked(user.identity, room, victim, reason)
        self.publisher.kicked(user, room, victim, reason)

    def remove_kicked(self, by: Identity, room: Room, victim: User, reason: str) -> None:
        """``victim`` is kicked out of ``room`` by ``by``; its members see it."""
        fan_out(Kicked(self.clock(), room.name, by, victim.nick, reason), list(room.members))
        self.remove_member(victim, room)

    def invite(self, user: User, target: str, name: str) -> User:
        victim = self.find_user(target)
        if victim is None:
            raise errors.NoSuchNick(target)
        room = self.find_room(name)
        if room is not None:
            if user not in room.members:
                raise errors.NotOnRoom(room.name)
            if victim in room.members:
                raise errors.UserOnRoom(f"{victim.nick} {room.name}")
            if "i" in room.flags and not room.is_op(user):
                raise errors.NotOperator(room.name)
            room.invited.add(victim.folded)
        event = Invited(self.clock(), room.name if room else name, user.identity, victim.nick)
        fan_out(event, [victim])
        if room is not None:
            members = [m for m in room.members if m is not victim]
            fan_out(Invited(event.time, event.room, event.who, event.target, notice=True), members)
        self.publisher.invited(user, victim, event.room)
        return victim

    def redact(self, user: User, target: str, msgid: str, reason: str) -> None:
        """Tell whoever could see message ``msgid`` that it is gone (history already forgot it)."""
        self.show_redaction(user.identity, target, msgid, reason)
        self.publisher.redacted(user, target, msgid, reason)

    def show_redaction(self, by: Identity, target: str, msgid: str, reason: str) -> None:
        if target[:1] in ROOM_PREFIXES:
            room = self.find_room(target)
            recipients = list(room.members) if room is not None else []
        else:
            recipients = [u for u in (self.find_user(by.nick), self.find_user(target)) if u is not None]
        fan_out(Redacted(self.clock(), target, by, msgid, reason), set(recipients))

    def change_modes(self, user: User, name: str, changes: Sequence[ModeChange]) -> list[ModeChange]:
        """Apply room mode changes; returns those that took effect.

        Unknown letters raise :class:`errors.UnknownMode` only when nothing
        else was asked for, so one bad letter does not cancel good ones.
        """
        room = self.op_room(user, name)
        applied: list[ModeChange] = []
        for sign, letter, arg in changes:
            member = None
            if letter in STATUS_MODES:
                member = self.find_user(arg or "")
                if member is None:
                    raise errors.NoSuchNick(arg or "")
                if member not in room.members:
                    raise errors.UserNotInRoom(f"{member.nick} {room.name}")
            elif letter not in "imntkl":
                raise errors.UnknownMode(letter)
            change = room.apply(sign, letter, arg, member)
            if change is not None:
                applied.append(change)
        if applied:
            fan_out(ModeChanged(self.clock(), room.name, user.identity, tuple(applied)), room.members)
            self.publisher.modes_changed(user, room, applied)
        return applied
