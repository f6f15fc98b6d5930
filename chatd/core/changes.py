"""Applying a record to this node's state: the one step every change goes through.

A rule (:mod:`.people`, :mod:`.roomrules`, :mod:`.operators`, ...) checks a
request and builds the record of the change; a record another node sent
arrives ready-made.  Both come here, and each step changes the directory and
shows the change to the local people who should see it (fan-out skips users
held elsewhere).  Nothing here refuses anything: the rules did that where the
change was made.

Each step is idempotent, because after a reconnect a node may hear of a change
it already knows, and a mode change is applied by the rule that decided which
of its letters take effect (:meth:`Room.apply` changes nothing the second
time).  A change about a person (a nick, away, a join) is applied only when
that person is held by the node the change came from, so another node can
never move someone connected here.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

import attrs

from .casemap import casefold
from .delivery import fan_out
from .directory import Directory, Room, User
from .events import (
    AccountChanged,
    AwayChanged,
    Connected,
    Event,
    HostChanged,
    Invited,
    Joined,
    Kicked,
    Killed,
    ModeChanged,
    NickChanged,
    Parted,
    Quit,
    ReadMarked,
    Record,
    Redacted,
    RoomStateChanged,
    ServerBan,
    ServerBanChanged,
    TopicChanged,
    UserChanged,
    Wallops,
)
from .limits import ROOM_PREFIXES
from .moderation import matches
from .remote import home_of
from .whowas import Departed, Whowas


class Changes:
    def __init__(self, directory: Directory, whowas: Whowas, server_name: str,
                 save_room: Callable[[Room], None], server_bans: dict[str, ServerBan]) -> None:
        self.directory = directory
        self.whowas = whowas
        self.server_name = server_name
        self.save_room = save_room
        self.server_bans = server_bans  # folded mask -> ban, shared with the operators' rules
        self.steps: dict[type, Callable[[Any, str], Any]] = {
            Connected: self._connected, Quit: self._quit, NickChanged: self._nick, AwayChanged: self._away,
            UserChanged: self._user, AccountChanged: self._account, HostChanged: self._host, Joined: self._joined,
            Parted: self._parted, Kicked: self._kicked, TopicChanged: self._topic, ModeChanged: self._modes,
            Invited: self._invited, Redacted: self._redacted, ReadMarked: self._read,
            RoomStateChanged: self._room_state, ServerBanChanged: self._server_ban, Killed: self._killed,
            Wallops: self._wallops,
        }

    def apply(self, record: Record, origin: str = "") -> Any:
        """Apply ``record``, made on node ``origin`` ("" for this one); returns what its step
        reports (how many saw a WALLOPS, how many a server ban disconnected here)."""
        step = self.steps.get(type(record))
        return step(record, origin) if step is not None else None

    @staticmethod
    def show(record: Event, recipients: Iterable[User]) -> int:
        return fan_out(record, recipients)

    def subject(self, nick: str, origin: str) -> Optional[User]:
        """The person a change from ``origin`` is about, if that node holds them."""
        user = self.directory.find_user(nick)
        return user if user is not None and home_of(user) == origin else None

    def remember(self, user: User) -> None:
        self.whowas.remember(Departed(user.nick, user.user, user.host, user.realname,
                                      home_of(user) or self.server_name, self.directory.clock(), user.person))

    # -- people ------------------------------------------------------------------------

    def _connected(self, record: Connected, origin: str) -> None:
        pass  # the rule (or the replica, for another node's person) seated them; sinks do the rest

    def _quit(self, record: Quit, origin: str) -> None:
        user = self.subject(record.who.nick, origin)
        if user is None:
            return
        directory = self.directory
        recipients = directory.neighbours(user)
        recipients.discard(user)
        del directory.users[user.folded]
        self.remember(user)
        for room in list(user.rooms.values()):
            directory.unseat(user, room)
        self.show(record, recipients)

    def _nick(self, record: NickChanged, origin: str) -> None:
        user = self.subject(record.who.nick, origin)
        if user is None or user.nick == record.new_nick:
            return
        users = self.directory.users
        self.remember(user)
        del users[user.folded]
        user.rename(record.new_nick)
        users[user.folded] = user
        self.show(record, self.directory.neighbours(user))

    def _away(self, record: AwayChanged, origin: str) -> None:
        user = self.subject(record.who.nick, origin)
        if user is None or user.away == record.message:
            return
        user.away = record.message
        recipients = self.directory.neighbours(user)
        recipients.discard(user)
        self.show(record, recipients)

    def _user(self, record: UserChanged, origin: str) -> None:
        user = self.subject(record.who.nick, origin)
        if user is None:
            return
        user.update(record.who)
        user.set_modes(set(record.modes))
        if record.realname_changed:
            self.show(record, self.directory.neighbours(user))

    def _host(self, record: HostChanged, origin: str) -> None:
        user = self.subject(record.who.nick, origin)
        if user is None or user.host == record.who.host:
            return
        user.update(record.who)
        self.show(record, self.directory.neighbours(user))

    def _account(self, record: AccountChanged, origin: str) -> None:
        user = self.subject(record.who.nick, origin)
        if user is None or user.account == record.who.account:
            return
        user.set_account(record.who.account)
        self.show(record, self.directory.neighbours(user))

    # -- rooms ---------------------------------------------------------------------------

    def _joined(self, record: Joined, origin: str) -> None:
        user = self.subject(record.who.nick, origin)
        if user is None:
            return
        directory = self.directory
        room = directory.find_room(record.room)
        if room is None:  # made elsewhere: the rule made a local room before its record
            room = directory.rooms[casefold(record.room)] = Room(record.room, record.created or record.time)
        if directory.seat(user, room, set(record.status)):
            self.show(record, room.members)

    def _parted(self, record: Parted, origin: str) -> None:
        user = self.subject(record.who.nick, origin)
        room = self.directory.find_room(record.room)
        if user is None or room is None or user not in room.members:
            return
        self.show(record, list(room.members))
        self.directory.unseat(user, room)

    def _kicked(self, record: Kicked, origin: str) -> None:
        victim, room = self.directory.find_user(record.target), self.directory.find_room(record.room)
        if victim is None or room is None or victim not in room.members:
            return
        self.show(record, list(room.members))
        self.directory.unseat(victim, room)

    def _topic(self, record: TopicChanged, origin: str) -> None:
        room = self.directory.find_room(record.room)
        if room is None:
            return
        # Who set it as IRC's RPL_TOPICWHOTIME names them: nick!user@host (the web shows the nick).
        room.topic, room.topic_by, room.topic_time = record.topic, record.who.mask, record.time
        self.save_room(room)
        self.show(record, room.members)

    def _modes(self, record: ModeChanged, origin: str) -> None:
        room = self.directory.find_room(record.room)
        if room is None:
            return
        find = self.directory.find_user
        for sign, letter, arg in record.changes:
            room.apply(sign, letter, arg, find(arg) if arg else None, record.who.nick, record.time)
        self.save_room(room)
        self.show(record, room.members)

    def _room_state(self, record: RoomStateChanged, origin: str) -> None:
        room = self.directory.find_room(record.room)
        if room is not None:
            room.restore(record.state)
            self.save_room(room)

    def _invited(self, record: Invited, origin: str) -> None:
        target = self.directory.find_user(record.target)
        if target is None:
            return
        room = self.directory.find_room(record.room)
        if room is not None:
            room.invited.add(target.folded)
        self.show(record, [target])
        if room is not None:  # IRC invite-notify: the room's members see who was invited
            self.show(attrs.evolve(record, notice=True), [m for m in room.members if m is not target])

    # -- messages in retrospect ------------------------------------------------------------

    def _redacted(self, record: Redacted, origin: str) -> None:
        find = self.directory.find_user
        if record.target[:1] in ROOM_PREFIXES:
            room = self.directory.find_room(record.target)
            recipients = set(room.members) if room is not None else set()
        else:
            recipients = {u for u in (find(record.who.nick), find(record.target)) if u is not None}
        self.show(record, recipients)

    def _read(self, record: ReadMarked, origin: str) -> None:
        self.show(record, [u for u in self.directory.users.values() if u.person == record.person])

    # -- the server ------------------------------------------------------------------------

    def _server_ban(self, record: ServerBanChanged, origin: str) -> int:
        ban = record.ban
        if not record.added:
            self.server_bans.pop(casefold(ban.mask), None)
            return 0
        self.server_bans[casefold(ban.mask)] = ban
        hit = [u for u in self.directory.users.values() if not home_of(u) and "o" not in u.modes
               and matches(ban.mask, u.identity, u.account, u.address)]
        for user in hit:
            user.keep = False  # a banned person does not stay (always-on) when their connections close
            user.client.disconnect(f"Banned: {ban.reason}")
        return len(hit)

    def _killed(self, record: Killed, origin: str) -> None:
        victim = self.directory.find_user(record.target)
        if victim is not None and not home_of(victim):
            victim.keep = False
            victim.client.disconnect(record.reason)

    def _wallops(self, record: Wallops, origin: str) -> int:
        """Everyone here with user mode +w (and every operator) sees it."""
        return self.show(record, [u for u in self.directory.users.values() if "w" in u.modes or "o" in u.modes])
