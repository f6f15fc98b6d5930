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
from typing import Any, Callable, Optional

from . import errors
from .accounts import Accounts, Throttle
from .batching import TurnBatcher
from .casemap import casefold
from .cloaks import Cloaks
from .delivery import Client, fan_out
from .events import AccountChanged, AwayChanged, Identity, NickChanged, Parted, Quit, Redacted, UserChanged
from .history import HistoryStore, dm_key
from .ids import MessageIdGenerator
from .limits import ROOM_PREFIXES, Limits
from .messages import Messaging
from .operators import ServerOperators
from .publisher import LocalPublisher, Publisher, home_of
from .records import Sinks
from .recovery import Recovery
from .replica import Replica
from .roomrules import RoomRules
from .rooms import Room
from .stats import Stats, reason_kind
from .users import User
from .whowas import Departed, Whowas

#: Schedules a call: (seconds, function) -> something with ``cancel()`` (a reactor's callLater).
Scheduler = Callable[[float, Callable[[], None]], Any]


class Network(Messaging, RoomRules, ServerOperators):
    """All users and rooms of one chat server (or of the whole cluster, as seen here)."""

    def __init__(
        self,
        server_name: str = "chatd.local",
        network_name: str = "chatd",
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
        history: Optional[HistoryStore] = None,
        publisher: Optional[Publisher] = None,
        accounts: Optional[Accounts] = None,
        schedule: Optional[Scheduler] = None,
        batch_turns: bool = False,
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
        #: Each change made here, as a record, to whatever subscribed (records.py).
        self.records = Sinks()
        # With a history store, rooms outlive their members (and restarts).
        self.keep_rooms = history is not None
        #: Accounts (None: this server has none; login and registration are refused).
        self.accounts = accounts
        #: What others see of where people connect from (--no-cloaks: the address itself).
        self.cloaks = Cloaks()
        #: Verification codes and reset links by mail (--smtp); None: this server sends no mail.
        self.recovery: Optional[Recovery] = None
        #: Only people logged in to an account may connect (--require-account).
        self.require_account = False
        self.schedule = schedule
        # Room messages held to the end of the reactor turn, one write per recipient (batching.py).
        self.batcher = TurnBatcher(schedule, self.stats, clock) if batch_turns and schedule is not None else None
        #: history-durability = "before-delivery": others get a message once it is committed (messages.py).
        self.store_first = False
        self.new_rooms = Throttle(clock, self.limits.new_rooms_per_minute, 60.0)
        #: Messages kept for accounts with no connection: per (sender, addressee), and per addressee.
        self.offline_throttle = Throttle(clock, self.limits.offline_messages, 3600.0)
        self.offline_inbox = Throttle(clock, self.limits.offline_messages * 10, 3600.0)
        self.init_operators()
        self.publisher: Publisher = publisher or LocalPublisher()
        self.publisher.bind(self)
        self.replica = Replica(self)

    def watch(self, watcher: Callable[[str, str, User], None]) -> None:
        self.watchers.append(watcher)

    def notify(self, kind: str, nick: str, user: User) -> None:
        for watcher in self.watchers:
            watcher(kind, nick, user)

    def history_key(self, user: User, target: str) -> str:
        """The history a user may read for ``target`` (a room they are in, or a nick)."""
        if target[:1] in ROOM_PREFIXES:
            return casefold(self.member_room(user, target).name)
        if not self.limits.valid_nick(target):
            raise errors.NoSuchNick(target)
        return dm_key(user.person, self.person_of(target))

    def person_of(self, nick: str) -> str:
        """Whose conversations ``nick`` leads to: whoever holds it now while logged in, else the account
        owning it (never a guest holding an account's nick), else the guest holding it, else the guest
        who last held it (their conversations end with their connection)."""
        holder = self.find_user(nick)
        if holder is not None and holder.account is not None:
            return holder.person
        owner = self.accounts.owner(nick) if self.accounts is not None else None
        if owner is not None:
            return "a:" + casefold(owner)  # also while a guest holds the nick (in its grace period)
        if holder is not None:
            return holder.person
        departed = self.whowas.lookup(nick, 1)
        return departed[0].person if departed and departed[0].person else "g:gone:" + casefold(nick)

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

    def connect(self, client: Client, nick: str, user: str, host: str, realname: str, protocol: str,
                account: Optional[str] = None, address: str = "") -> User:
        """Register a person under ``nick`` (``host`` as others see it, ``address`` the real one);
        raises if someone here holds it."""
        if not self.nick_available(nick):
            raise errors.NickInUse(nick)
        now = self.clock()
        member = User(client, nick, user, host, realname, protocol, now, now, account=account,
                      address=address or host)
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
            if not home_of(user):  # connected here: the change is this node's to tell
                self.records.emit(Parted(self.clock(), room.name, user.identity, "Quit: " + reason))
            self.remove_member(user, room)
        fan_out(Quit(self.clock(), user.identity, reason), recipients)
        self.notify("offline", user.nick, user)

    def _remember(self, user: User) -> None:
        self.whowas.remember(Departed(user.nick, user.user, user.host, user.realname,
                                      home_of(user) or self.server_name, self.clock(), user.person))

    def check_nick_change(self, user: User, nick: str) -> None:
        """A member banned or quieted in one of their rooms (and not voiced or an operator there)
        keeps their nick: a ban on ``mallory!*@*`` must not end with ``NICK mallory2``.  Checked for
        the person's own nick changes only; the server's renames (collisions, grace) always happen."""
        for room in user.rooms.values():
            if not room.members.get(user) and room.muted(user):
                raise errors.BannedNickChange(f"{nick} {room.name}")

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

    def set_user_modes(self, user: User, modes: set[str] | frozenset[str]) -> None:
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

    def set_account(self, user: User, account: Optional[str]) -> None:
        """``user`` logged in to ``account`` (or out, with None)."""
        self.change_account(user, account)
        self.publisher.user_changed(user)

    def change_account(self, user: User, account: Optional[str]) -> None:
        """``user``'s account changed; neighbours see it (IRCv3 account-notify)."""
        if account == user.account:
            return
        user.set_account(account)
        fan_out(AccountChanged(self.clock(), user.identity), self.neighbours(user))

    def mark_away(self, user: User, message: Optional[str]) -> None:
        user.away = message
        recipients = self.neighbours(user)
        recipients.discard(user)
        fan_out(AwayChanged(self.clock(), user.identity, message), recipients)
        self.notify("away", user.nick, user)

    # -- messages in retrospect ----------------------------------------------

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

