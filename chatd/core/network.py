"""The network: who is connected, which rooms exist, and what they may do.

Adapters call these methods with what a person asked for; the network checks
it against the rules (names, modes, membership), changes its state, and fans
the resulting event out to whoever should see it.  Nothing here knows about
sockets or wire formats, so the same rules hold for IRC, telnet and the web.
"""

from __future__ import annotations

import time
from typing import Any, Awaitable, Callable, Iterable, Optional, Sequence, Union

import attrs

from . import errors
from .bridge import Bridge, RemoteClient
from .casemap import casefold
from .delivery import Client, fan_out
from .events import (
    AwayChanged,
    DirectMessage,
    Event,
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
from .history import HistoryStore, RoomRecord, dm_key
from .ids import MessageIdGenerator
from .limits import ROOM_PREFIXES, Limits, clean_text
from .replica import Replica
from .rooms import FLAG_MODES, STATUS_MODES, Room
from .stats import Stats, reason_kind
from .users import User

MESSAGE_KINDS = ("privmsg", "notice", "action")
ModeChange = tuple[str, str, Optional[str]]


@attrs.frozen
class Sent:
    """A message the network accepted; ``durable`` fires once history has it."""

    message: Union[RoomMessage, DirectMessage]
    durable: Optional[Awaitable[Any]] = None


class Network:
    """All users and rooms of one chat server."""

    def __init__(
        self,
        server_name: str = "chatd.local",
        network_name: str = "chatd",
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
        history: Optional[HistoryStore] = None,
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
        #: Set in cluster mode: the link to the other nodes.
        self.bridge: Optional[Bridge] = None
        self.replica = Replica(self)
        # With a history store, rooms outlive their members (and restarts).
        self.keep_rooms = history is not None

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
            room = self._member_room(user, target)
            return casefold(room.name)
        if not self.limits.valid_nick(target):
            raise errors.NoSuchNick(target)
        return dm_key(user.nick, target)

    # -- lookups -----------------------------------------------------------

    def find_user(self, nick: str) -> Optional[User]:
        return self.users.get(casefold(nick))

    def find_room(self, name: str) -> Optional[Room]:
        return self.rooms.get(casefold(name))

    def nick_available(self, nick: str) -> bool:
        return casefold(nick) not in self.users

    def check_nick(self, nick: str) -> None:
        """Raise unless ``nick`` is valid and free."""
        if not self.limits.valid_nick(nick):
            raise errors.BadNick(nick)
        if not self.nick_available(nick):
            raise errors.NickInUse(nick)

    def reserve_nick(self, nick: str, done: Callable[[Optional[errors.ChatError]], None]) -> None:
        """Check ``nick`` and, in cluster mode, claim it network-wide before use.

        ``done`` gets None when the nick may be taken, or the error to report
        (433 for IRC).  Without a cluster it is called at once.
        """
        try:
            self.check_nick(nick)
        except errors.ChatError as error:
            done(error)
            return
        if self.bridge is None or not self.bridge.up:
            done(None)
            return
        self.bridge.reserve(casefold(nick), lambda ok: done(None if ok else errors.NickInUse(nick)))

    def connect_when_free(
        self,
        client: Client,
        nick: str,
        user: str,
        host: str,
        realname: str,
        protocol: str,
        still_waiting: Callable[[], bool],
        done: Callable[[Optional[User], Optional[errors.ChatError]], None],
    ) -> None:
        """Register a person once ``nick`` is reserved network-wide.

        ``done`` gets the new user, or the error to report on the adapter's
        wire; a connection that went away meanwhile gives the nick back.
        """

        def reserved(error: Optional[errors.ChatError]) -> None:
            if not still_waiting():
                self.release_nick(nick)
                return
            try:
                if error is not None:
                    raise error
                member = self.connect(client, nick, user, host, realname, protocol)
            except errors.ChatError as failure:
                done(None, failure)
                return
            done(member, None)

        self.reserve_nick(nick, reserved)

    def rename_when_free(
        self,
        user: User,
        nick: str,
        still_here: Callable[[], bool],
        failed: Callable[[errors.ChatError], None],
    ) -> None:
        """Change ``user``'s nick once it is reserved network-wide.

        ``still_here`` says whether the connection is still open when the
        claim comes back; ``failed`` reports a refusal on the adapter's wire.
        """
        if casefold(nick) == user.folded:
            try:
                self.change_nick(user, nick)  # only the case changes: nothing to claim
            except errors.ChatError as error:
                failed(error)
            return

        def reserved(error: Optional[errors.ChatError]) -> None:
            if not still_here():
                self.release_nick(nick)
                return
            try:
                if error is not None:
                    raise error
                self.change_nick(user, nick)
            except errors.ChatError as failure:
                failed(failure)

        self.reserve_nick(nick, reserved)

    def release_nick(self, nick: str) -> None:
        """Give back a nick reserved for someone who left before using it."""
        if self.bridge is not None and self.bridge.up and casefold(nick) not in self.users:
            self.bridge.release(casefold(nick))

    def _room(self, name: str) -> Room:
        room = self.find_room(name)
        if room is None:
            raise errors.NoSuchRoom(name)
        return room

    def _member_room(self, user: User, name: str) -> Room:
        room = self._room(name)
        if user not in room.members:
            raise errors.NotOnRoom(room.name)
        return room

    def _op_room(self, user: User, name: str) -> Room:
        room = self._member_room(user, name)
        if not room.is_op(user):
            raise errors.NotOperator(room.name)
        return room

    def neighbours(self, user: User) -> set[User]:
        """Everyone who shares at least one room with ``user``, and ``user``."""
        seen = {user}
        for room in user.rooms.values():
            seen.update(room.members)
        return seen

    # -- connection lifecycle ---------------------------------------------

    def connect(
        self,
        client: Client,
        nick: str,
        user: str,
        host: str,
        realname: str,
        protocol: str,
    ) -> User:
        """Register a person under ``nick``; raises if the nick is not to be had."""
        self.check_nick(nick)
        now = self.clock()
        member = User(client, nick, clean_text(user), host, clean_text(realname), protocol, now, now)
        self.users[member.folded] = member
        self.max_users = max(self.max_users, len(self.users))
        if self.bridge is not None:
            self.bridge.user_added(member)
        return member

    def quit(self, user: User, reason: str) -> None:
        """Remove ``user`` from the network; their neighbours see a QUIT."""
        if self.users.get(user.folded) is not user:
            return
        recipients = self.neighbours(user)
        recipients.discard(user)
        reason = clean_text(reason)
        self.stats.disconnects[reason_kind(reason)] += 1
        if self.bridge is not None:
            self.bridge.user_quit(user, reason)  # while it still knows the user's rooms
        del self.users[user.folded]
        for room in list(user.rooms.values()):
            self._leave(user, room)
        fan_out(Quit(self.clock(), user.identity, reason), recipients)

    def change_nick(self, user: User, nick: str) -> None:
        if nick == user.nick:
            return
        if casefold(nick) != user.folded:
            self.check_nick(nick)
        elif not self.limits.valid_nick(nick):
            raise errors.BadNick(nick)
        event = NickChanged(self.clock(), user.identity, nick)
        old = user.nick
        del self.users[user.folded]
        user.rename(nick)
        self.users[user.folded] = user
        fan_out(event, self.neighbours(user))
        if self.bridge is not None:
            self.bridge.nick_changed(user, old)

    def set_away(self, user: User, message: Optional[str]) -> None:
        if message is not None:
            message = clean_text(message)[: self.limits.awaylen] or None
        if message == user.away:
            return
        user.away = message
        recipients = self.neighbours(user)
        recipients.discard(user)
        fan_out(AwayChanged(self.clock(), user.identity, message), recipients)
        if self.bridge is not None:
            self.bridge.away_changed(user)

    # -- rooms ---------------------------------------------------------------

    def join(self, user: User, name: str, key: Optional[str] = None) -> Optional[Room]:
        """Put ``user`` in room ``name``, creating it; None if already there."""
        if not self.limits.valid_room(name):
            raise errors.BadRoomName(name)
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
        room.members[user] = status
        user.rooms[folded] = room
        fan_out(Joined(self.clock(), room.name, user.identity), room.members)
        if self.bridge is not None:
            self.bridge.joined(user, room)
        return room

    def part(self, user: User, name: str, reason: str = "") -> None:
        room = self._member_room(user, name)
        reason = clean_text(reason)
        fan_out(Parted(self.clock(), room.name, user.identity, reason), list(room.members))
        self._leave(user, room)
        if self.bridge is not None:
            self.bridge.parted(user, room, reason)

    def part_all(self, user: User) -> None:
        for room in list(user.rooms.values()):
            self.part(user, room.name, "")

    def _leave(self, user: User, room: Room) -> None:
        room.members.pop(user, None)
        user.rooms.pop(casefold(room.name), None)
        if not room.members and not self.keep_rooms:
            self.rooms.pop(casefold(room.name), None)

    def set_topic(self, user: User, name: str, topic: str) -> None:
        room = self._member_room(user, name)
        if "t" in room.flags and not room.is_op(user):
            raise errors.NotOperator(room.name)
        room.topic = clean_text(topic)[: self.limits.topiclen]
        room.topic_by = user.nick
        room.topic_time = self.clock()
        self._save_room(room)
        fan_out(TopicChanged(room.topic_time, room.name, user.identity, room.topic), room.members)
        if self.bridge is not None:
            self.bridge.topic_changed(room)

    def kick(self, user: User, name: str, target: str, reason: str) -> None:
        room = self._op_room(user, name)
        victim = self.find_user(target)
        if victim is None:
            raise errors.NoSuchNick(target)
        if victim not in room.members:
            raise errors.UserNotInRoom(f"{victim.nick} {room.name}")
        reason = clean_text(reason)[: self.limits.kicklen]
        fan_out(Kicked(self.clock(), room.name, user.identity, victim.nick, reason), list(room.members))
        self._leave(victim, room)
        if self.bridge is not None:
            self.bridge.kicked(user, room, victim, reason)

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
        if self.bridge is not None:
            self.bridge.invited(user, victim, event.room)
        return victim

    def change_modes(
        self, user: User, name: str, changes: Sequence[ModeChange]
    ) -> list[ModeChange]:
        """Apply room mode changes; returns those that took effect.

        Unknown letters raise :class:`errors.UnknownMode` only when nothing
        else was asked for, so one bad letter does not cancel good ones.
        """
        room = self._member_room(user, name)
        if not room.is_op(user):
            raise errors.NotOperator(room.name)
        applied: list[ModeChange] = []
        for sign, letter, arg in changes:
            adding = sign == "+"
            if letter in FLAG_MODES:
                if adding != (letter in room.flags):
                    (room.flags.add if adding else room.flags.discard)(letter)
                    applied.append((sign, letter, None))
            elif letter == "k":
                if adding and arg:
                    room.key = arg
                    applied.append((sign, letter, arg))
                elif not adding and room.key is not None:
                    room.key = None
                    applied.append((sign, letter, "*"))
            elif letter == "l":
                if adding:
                    if arg and arg.isdigit() and int(arg) > 0:
                        room.limit = int(arg)
                        applied.append((sign, letter, arg))
                elif room.limit is not None:
                    room.limit = None
                    applied.append((sign, letter, None))
            elif letter in STATUS_MODES:
                target = self.find_user(arg or "")
                if target is None:
                    raise errors.NoSuchNick(arg or "")
                status = room.members.get(target)
                if status is None:
                    raise errors.UserNotInRoom(f"{target.nick} {room.name}")
                if adding != (letter in status):
                    (status.add if adding else status.discard)(letter)
                    applied.append((sign, letter, target.nick))
            else:
                raise errors.UnknownMode(letter)
        if applied:
            event = ModeChanged(self.clock(), room.name, user.identity, tuple(applied))
            fan_out(event, room.members)
            if self.bridge is not None:
                self.bridge.modes_changed(user, room, applied)
        return applied

    # -- messages ------------------------------------------------------------

    def _check_text(self, text: str, target: str) -> str:
        text = clean_text(text)
        if not text.strip():
            raise errors.NoText(target)
        if len(text) > self.limits.textlen:
            raise errors.TextTooLong(target)
        return text

    def _record(self, message: Union[RoomMessage, DirectMessage]) -> Sent:
        if self.history is None:
            return Sent(message)
        return Sent(message, self.history.append(message))

    def send_room(self, user: User, name: str, kind: str, text: str) -> Sent:
        text = self._check_text(text, name)
        room = self._room(name)
        if not room.can_speak(user):
            raise errors.CannotSend(room.name)
        now = self.clock()
        user.last_active = now
        event = RoomMessage(self.new_id(), now, room.name, user.identity, kind, text)
        self.stats.messages[user.protocol] += 1
        if self.bridge is not None and self.bridge.up:
            # Every node, this one included, delivers what comes back: one order.
            return Sent(event, self.bridge.room_message(event))
        delivered = fan_out(event, room.members, None if user.client.echo_messages else user)
        if user not in room.members and user.client.echo_messages:
            delivered += fan_out(event, [user])
        self.stats.deliveries += delivered
        return self._record(event)

    def send_direct(self, user: User, nick: str, kind: str, text: str) -> Sent:
        text = self._check_text(text, nick)
        target = self.find_user(nick)
        if target is None:
            raise errors.NoSuchNick(nick)
        if isinstance(target.client, RemoteClient) and not (self.bridge is not None and self.bridge.up):
            raise errors.NoSuchNick(nick, "is on another node, which cannot be reached right now")
        now = self.clock()
        user.last_active = now
        event = DirectMessage(self.new_id(), now, user.identity, target.nick, kind, text)
        self.stats.messages[user.protocol] += 1
        if self.bridge is not None and self.bridge.up:
            nodes = {self.bridge.node}
            if isinstance(target.client, RemoteClient):
                nodes.add(target.client.node)
            return Sent(event, self.bridge.direct_message(event, sorted(nodes)))
        recipients = [target]
        if user.client.echo_messages and target is not user:
            recipients.append(user)
        self.stats.deliveries += fan_out(event, recipients)
        return self._record(event)

    def publish(self, event: Event, recipients: Iterable[User]) -> int:
        """Fan an event out to chosen recipients (used by adapters for replays)."""
        return fan_out(event, recipients)
