"""People: who holds which nick, who is away, logged in, or gone; the rules of a person's own state.

Each rule checks what was asked and commits the record of the change
(:mod:`.changes` applies it, here and on every other node).  Nicks are
network-wide: one is claimed beyond this process (the publisher asks the
other nodes) before anyone may take it.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import attrs

from . import errors
from .accounts import Accounts
from .casemap import casefold
from .client import Client
from .devices import Absent, Connection, Devices
from .directory import Directory, User
from .events import AccountChanged, AwayChanged, Connected, HostChanged, NickChanged, Quit, Record, UserChanged
from .history import dm_key
from .limits import ROOM_PREFIXES, Limits
from .publisher import Publisher
from .stats import Stats, reason_kind
from .whowas import Whowas


class People:
    def __init__(self, directory: Directory, limits: Limits, publisher: Publisher, commit: Callable[[Record], Any],
                 stats: Stats, whowas: Whowas, accounts: Optional[Accounts]) -> None:
        self.directory = directory
        self.limits = limits
        self.publisher = publisher
        self.commit = commit
        self.stats = stats
        self.whowas = whowas
        self.accounts = accounts
        #: Each person's connections held here, oldest first (what ``NickServ SESSIONS`` lists).
        self.sessions: dict[User, list[Connection]] = {}
        #: Accounts stay present while disconnected unless they say otherwise (--always-on), and the away
        #: message they then show.
        self.always_on = False
        self.absent_message = "Not connected"

    # -- nicks ---------------------------------------------------------------

    async def claim_nick(self, nick: str) -> None:
        """Make sure ``nick`` is free here and beyond (other nodes); raise if not."""
        if not self.directory.nick_available(nick):
            raise errors.NickInUse(nick)
        if not await self.publisher.reserve(casefold(nick)):
            raise errors.NickInUse(nick)

    def release_nick(self, nick: str) -> None:
        """Give back a nick claimed for someone who left before using it."""
        if self.directory.nick_available(nick):
            self.publisher.release(casefold(nick))

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
        if casefold(nick) != user.folded and not self.directory.nick_available(nick):
            raise errors.NickInUse(nick)
        self.commit(NickChanged(self.directory.clock(), user.identity, nick))

    # -- arriving and leaving ------------------------------------------------

    def connect(self, client: Client, nick: str, user: str, host: str, realname: str, protocol: str,
                account: Optional[str] = None, address: str = "", origin: str = "") -> User:
        """Register a person under ``nick`` (``host`` as others see it, ``address`` the real one;
        ``origin`` names the connection in its messages); raises if someone here holds it."""
        if not self.directory.nick_available(nick):
            raise errors.NickInUse(nick)
        now = self.directory.clock()
        member = User(client, nick, user, host, realname, protocol, now, now, account=account,
                      address=address or host, origin=origin)
        self.directory.add_user(member)
        self.commit(Connected(now, member.identity, None, now, ""))
        return member

    def attachable(self, nick: str, account: Optional[str], cap: int) -> Optional[User]:
        """The user holding ``nick`` here if a connection logged in to ``account`` may join them as
        one more of their connections (multiclient); None if it may not (the nick is then in use).
        Raises when the person already has ``cap`` connections (``devices_per_account``)."""
        holder = self.directory.find_user(nick)
        if (holder is None or account is None or holder.account is None
                or (cap < 2 and not isinstance(holder.client, Absent))
                or casefold(holder.account) != casefold(account) or not holder.origin):
            return None
        if len(self.sessions_of(holder)) >= cap:
            raise errors.TooManyDevices(holder.nick)
        return holder

    def attach(self, user: User, client: Client, origin: str) -> None:
        """``client`` (whose messages carry ``origin``) is one more connection of ``user``: it gets
        whatever the user gets from now on."""
        current = user.client
        if isinstance(current, Absent):  # always-on, and back: this connection is the person's again
            user.client, user.origin = client, origin
            if user.auto_away:
                user.auto_away = False
                self.set_away(user, None)
        elif isinstance(current, Devices):
            current.clients.append((origin, client))
        else:
            user.client = Devices([(user.origin, current), (origin, client)])

    def arrived(self, user: User, connection: Connection) -> None:
        self.sessions.setdefault(user, []).append(connection)

    def left(self, user: User, connection: Connection) -> None:
        held = self.sessions.get(user)
        if held is not None:
            held[:] = [c for c in held if c is not connection]
            if not held:
                del self.sessions[user]

    def sessions_of(self, user: User) -> list[Connection]:
        """``user``'s connections held here, oldest first (one, unless they are on several devices)."""
        return list(self.sessions.get(user, ()))

    def end_session(self, user: User, number: int) -> Connection:
        """Close ``user``'s connection number ``number`` (1: the oldest, as :meth:`sessions_of` lists)."""
        found = self.sessions_of(user)
        if not 1 <= number <= len(found):
            raise errors.ChatError("", f"No session {number}: you have {len(found)}")
        ending = found[number - 1]
        ending.client.disconnect("Ended from another session of yours")
        return ending

    def stay(self, user: User) -> None:
        """``user`` stays with no connection open: in their rooms, with their nick, shown away."""
        user.client = Absent(lambda reason: self.leave_for_good(user, reason))
        user.origin = "absent"
        if user.away is None:
            self.set_away(user, self.absent_message)
            user.auto_away = True

    def leave_for_good(self, user: User, reason: str) -> None:
        """An always-on person who is not connected leaves after all (KILL, a server ban, turned off)."""
        user.keep = False
        self.quit(user, reason)

    def quit(self, user: User, reason: str, client: Optional[Client] = None) -> None:
        """Remove ``user`` from the network; their neighbours see a QUIT.  With ``client``, one connection
        closed: while the person has others they stay, and nobody sees anything."""
        if self.directory.users.get(user.folded) is not user:
            return
        if client is not None:
            devices = user.client
            if isinstance(devices, Devices):
                devices.clients[:] = [pair for pair in devices.clients if pair[1] is not client]
                if len(devices.clients) > 1:
                    return
                if len(devices.clients) == 1:
                    user.origin, user.client = devices.clients[0]
                    return
            elif devices is not client:
                return  # not this user's connection (any more)
            if user.keep:  # always-on: the last connection closed, the person stays
                self.stay(user)
                return
        self.stats.disconnects[reason_kind(reason)] += 1
        rooms = tuple(room.name for room in user.rooms.values())
        self.commit(Quit(self.directory.clock(), user.identity, reason, rooms))

    # -- a person's own state ------------------------------------------------

    def set_away(self, user: User, message: Optional[str]) -> None:
        user.auto_away = False
        if message != user.away:
            self.commit(AwayChanged(self.directory.clock(), user.identity, message))

    def set_user_modes(self, user: User, modes: set[str] | frozenset[str]) -> None:
        who = attrs.evolve(user.identity, bot="B" in modes)
        self.commit(UserChanged(self.directory.clock(), who, False, "".join(sorted(modes))))

    def set_realname(self, user: User, realname: str) -> None:
        """``user`` has a new real name; their neighbours see it (IRC SETNAME)."""
        who = attrs.evolve(user.identity, realname=realname)
        self.commit(UserChanged(self.directory.clock(), who, True, user.mode_letters))

    def set_account(self, user: User, account: Optional[str]) -> None:
        """``user`` logged in to ``account`` (or out, with None); neighbours see it (account-notify)."""
        if account != user.account:
            self.commit(AccountChanged(self.directory.clock(), attrs.evolve(user.identity, account=account)))

    def set_host(self, user: User, host: str) -> None:
        """Others see ``user`` at ``host`` from now on (account cloaks: logged in, or out again)."""
        if host != user.host:
            self.commit(HostChanged(self.directory.clock(), attrs.evolve(user.identity, host=host), user.host))

    # -- whose conversations -------------------------------------------------

    def person_of(self, nick: str) -> str:
        """Whose conversations ``nick`` leads to: whoever holds it now while logged in, else the account
        owning it (never a guest holding an account's nick), else the guest holding it, else the guest
        who last held it (their conversations end with their connection)."""
        holder = self.directory.find_user(nick)
        if holder is not None and holder.account is not None:
            return holder.person
        owner = self.accounts.owner(nick) if self.accounts is not None else None
        if owner is not None:
            return "a:" + casefold(owner)  # also while a guest holds the nick (in its grace period)
        if holder is not None:
            return holder.person
        departed = self.whowas.lookup(nick, 1)
        return departed[0].person if departed and departed[0].person else "g:gone:" + casefold(nick)

    def history_key(self, user: User, target: str) -> str:
        """The history a user may read for ``target`` (a room they are in, or a nick)."""
        if target[:1] in ROOM_PREFIXES:
            return casefold(self.directory.member_room(user, target).name)
        if not self.limits.valid_nick(target):
            raise errors.NoSuchNick(target)
        return dm_key(user.person, self.person_of(target))
