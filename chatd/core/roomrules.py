"""Rooms: who may enter, who runs them, and what survives when they empty.

:class:`RoomRules` checks what people ask of rooms and commits the record of
each change (:mod:`.changes` applies it, here and on the other nodes).

The rules a stranger meets are the same whether a room is full or empty: an
empty room keeps its key, invite-only flag, limit and lists, so nobody gets
in (or gets its history) by waiting for everyone to leave.  Who runs an
emptied room depends on whether it is registered: a registered room gives
``+o`` by account (its founder and the accounts it remembers as operators);
an unregistered one gives ``+o`` to the first person who gets in, as IRC
always has.  An empty unregistered room is forgotten after
``Limits.room_idle`` seconds, and only then does it start afresh.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional, Sequence

from . import errors
from .casemap import casefold
from .directory import Directory, Room, User
from .events import Invited, Joined, Kicked, ModeChanged, Parted, Record, RoomStateChanged, TopicChanged
from .history import HistoryStore, RoomRecord
from .limits import Limits
from .moderation import ListEntry, normalise, well_formed
from .modes import FLAG_MODES, LIST_MODES, STATUS_MODES, ModeChange
from .throttle import Throttle

MAX_LIST_ENTRIES = 100
MAX_MASK = 200


class RoomRules:
    def __init__(self, directory: Directory, limits: Limits, history: Optional[HistoryStore],
                 commit: Callable[[Record], Any], new_rooms: Throttle) -> None:
        self.directory = directory
        self.limits = limits
        self.history = history
        self.commit = commit
        self.new_rooms = new_rooms
        self.clock = directory.clock

    # -- kept rooms --------------------------------------------------------------------

    def restore_rooms(self, records: Iterable[RoomRecord]) -> None:
        now = self.clock()
        for record in records:
            room = Room(record.name, record.created, record.topic, record.topic_by, record.topic_time)
            room.restore(record.state)
            room.emptied = now
            self.directory.rooms[casefold(record.name)] = room

    def save_room(self, room: Room) -> None:
        if self.history is not None:
            self.history.save_room(RoomRecord(room.name, room.created, room.topic, room.topic_by,
                                              room.topic_time, room.state()))

    def _expired(self, room: Room) -> bool:
        """An empty unregistered room past its idle time: it no longer protects anything."""
        return (not room.members and room.founder is None and room.emptied is not None
                and self.clock() - room.emptied > self.limits.room_idle)

    def _new_room(self, user: User, name: str) -> Room:
        limits = self.limits
        rooms = self.directory.rooms
        if limits.max_rooms and len(rooms) >= limits.max_rooms:
            raise errors.TooManyNewRooms(name, "The network has as many rooms as it may have")
        # Counted per person (an account, or a guest's connection) and per address: reconnecting
        # as new guests from one address does not reset the count.
        keys = (user.person, "address " + (user.address or user.host))
        if limits.new_rooms_per_minute and not all(self.new_rooms.allowed(key) for key in keys):
            raise errors.TooManyNewRooms(name)
        for key in keys:
            self.new_rooms.record(key)
        room = Room(name, self.clock())
        rooms[casefold(name)] = room
        self.save_room(room)
        return room

    # -- entering and leaving ----------------------------------------------------------

    def join(self, user: User, name: str, key: Optional[str] = None) -> Optional[Room]:
        """Put ``user`` in room ``name``, creating it; None if already there."""
        folded = casefold(name)
        rooms = self.directory.rooms
        room = rooms.get(folded)
        if room is not None and user in room.members:
            return None
        if len(user.rooms) >= self.limits.max_rooms_per_user:
            raise errors.TooManyRooms(name)
        if room is not None and self._expired(room):
            del rooms[folded]
            room = None
        if room is None:
            room = self._new_room(user, name)
            status = {"o"}
        else:
            self._check_entry(user, room, key)
            room.invited.discard(user.folded)
            status = room.auto_status(user)
            if not room.members and room.founder is None:
                status = {"o"}  # an unregistered room that emptied: the first one back runs it
        self.commit(Joined(self.clock(), room.name, user.identity, user.away, "".join(sorted(status)), room.created))
        return room

    def _check_entry(self, user: User, room: Room, key: Optional[str]) -> None:
        if room.auto_status(user):
            return  # a registered room's founder and operators always get in
        invited = user.folded in room.invited
        if room.banned(user):
            raise errors.Banned(room.name)
        if room.key is not None and key != room.key and not invited:
            raise errors.BadKey(room.name)
        if room.limit is not None and len(room.members) >= room.limit and not invited:
            raise errors.RoomFull(room.name)
        if "i" in room.flags and not invited and not room.listed("I", user):
            raise errors.InviteOnly(room.name)

    def part(self, user: User, name: str, reason: str = "") -> None:
        room = self.directory.member_room(user, name)
        self.commit(Parted(self.clock(), room.name, user.identity, reason))

    def part_all(self, user: User) -> None:
        for room in list(user.rooms.values()):
            self.part(user, room.name, "")

    # -- running a room ------------------------------------------------------------------

    def set_topic(self, user: User, name: str, topic: str) -> None:
        room = self.directory.member_room(user, name)
        if "t" in room.flags and not room.is_op(user):
            raise errors.NotOperator(room.name)
        self.commit(TopicChanged(self.clock(), room.name, user.identity, topic))

    def kick(self, user: User, name: str, target: str, reason: str) -> None:
        room = self.directory.op_room(user, name)
        victim = self.directory.find_user(target)
        if victim is None:
            raise errors.NoSuchNick(target)
        if victim not in room.members:
            raise errors.UserNotInRoom(f"{victim.nick} {room.name}")
        self.commit(Kicked(self.clock(), room.name, user.identity, victim.nick, reason))

    def invite(self, user: User, target: str, name: str) -> User:
        victim = self.directory.find_user(target)
        if victim is None:
            raise errors.NoSuchNick(target)
        room = self.directory.find_room(name)
        if room is not None:
            if user not in room.members:
                raise errors.NotOnRoom(room.name)
            if victim in room.members:
                raise errors.UserOnRoom(f"{victim.nick} {room.name}")
            if "i" in room.flags and not room.is_op(user):
                raise errors.NotOperator(room.name)
        self.commit(Invited(self.clock(), room.name if room else name, user.identity, victim.nick))
        return victim

    def room_list(self, user: User, name: str, letter: str) -> list[ListEntry]:
        """A room's ban, exception, invite-exception or quiet list (members of a secret room only)."""
        room = self.directory.room(name)
        if "s" in room.flags and user not in room.members:
            raise errors.NotOnRoom(room.name)
        return list(room.lists.get(letter, ()))

    def register_room(self, user: User, name: str) -> Room:
        """``user`` (an operator of the room, logged in) becomes its founder: it keeps its owners."""
        room = self.directory.op_room(user, name)
        if user.account is None:
            raise errors.NotLoggedIn(room.name)
        if room.founder is not None:
            raise errors.ChatError(room.name, f"The room is already registered to {room.founder}")
        state = room.state()
        state["founder"] = user.account
        state["ops"] = sorted(set(state["ops"]) | {casefold(user.account)})
        self.commit(RoomStateChanged(self.clock(), room.name, state))
        return room

    def take_status(self, user: User, name: str, letter: str = "o") -> None:
        """``user``, a member, takes a status in the room on an authority from outside it: an API
        key with the moderate scope, for its bot.  The room sees it set by ``user`` itself, so who
        holds the power stays visible."""
        room = self.directory.member_room(user, name)
        if letter not in room.members[user]:
            self.commit(ModeChanged(self.clock(), room.name, user.identity, (("+", letter, user.nick),)))

    def change_modes(self, user: User, name: str, changes: Sequence[ModeChange]) -> list[ModeChange]:
        """Apply room mode changes; returns those that took effect.

        Unknown letters raise :class:`errors.UnknownMode` only when nothing
        else was asked for, so one bad letter does not cancel good ones.
        In a registered room, giving or taking ``+o`` from someone logged in
        also adds or removes their account from the room's operators (``Room.apply``).
        Which changes take effect is known by making them, in order (``+o x -o x`` is
        two changes); the record of those that did is then committed like any other.
        """
        room = self.directory.op_room(user, name)
        applied: list[ModeChange] = []
        now = self.clock()
        for sign, letter, arg in changes:
            member = None
            if letter in STATUS_MODES:
                member = self.directory.find_user(arg or "")
                if member is None:
                    raise errors.NoSuchNick(arg or "")
                if member not in room.members:
                    raise errors.UserNotInRoom(f"{member.nick} {room.name}")
            elif letter in LIST_MODES:
                if not arg or len(arg) > MAX_MASK or " " in arg or not well_formed(normalise(arg)):
                    raise errors.ChatError(room.name, f"Bad mask for +{letter}")
                if sign == "+" and len(room.lists.get(letter, ())) >= MAX_LIST_ENTRIES:
                    raise errors.ChatError(f"{room.name} {letter}", "Channel list is full")
                arg = normalise(arg)
            elif letter not in FLAG_MODES + "kl":
                raise errors.UnknownMode(letter)
            change = room.apply(sign, letter, arg, member, user.nick, now)
            if change is not None:
                applied.append(change)
        if applied:
            self.commit(ModeChanged(now, room.name, user.identity, tuple(applied)))
        return applied
