"""Who is here and where: the people connected, the rooms they are in, and the directory of both.

:class:`User` is one connection's person (whatever protocol it came by);
:class:`Room` an IRC channel: members with their status, topic, modes, lists
and owners.  A room keeps its protection when it empties: its flags, key,
limit and lists stay, and a registered room (one with a founder account) also
keeps who runs it: members logged in to the founder's or an operator's
account get ``+o`` when they join.  :meth:`Room.state` / :meth:`Room.restore`
are what the history store saves and loads, so a restart changes none of it.

:class:`Directory` finds people by nick and rooms by name (casefolded) and
seats and unseats members; the rules (:mod:`.people`, :mod:`.roomrules`)
decide, :mod:`.changes` applies, and this holds the result.  Users and rooms
live in one module because each refers to the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

import attrs

from . import errors
from .casemap import casefold
from .events import Identity
from .moderation import ListEntry, matches, normalise
from .modes import FLAG_MODES, LIST_MODES, STATUS_MODES, ModeChange

if TYPE_CHECKING:
    from .client import Client


@attrs.define(eq=False)
class User:
    client: Client
    nick: str
    user: str
    host: str
    realname: str
    protocol: str
    signon: float
    last_active: float
    away: Optional[str] = None
    rooms: dict[str, Room] = attrs.field(factory=dict)  # folded name -> room
    #: User modes: "i" invisible (WHO and NAMES hide you from strangers), "w" wallops, "B" bot.
    #: A frozenset, replaced on change: most users have none, and share the one empty frozenset.
    modes: frozenset[str] = frozenset()
    #: The account this user is logged in to (None: a guest, known by nick only).
    account: Optional[str] = None
    #: Where this connection really comes from, when ``host`` is its cloak (core/cloaks.py):
    #: for bans, per-address limits and operators' eyes only; never part of ``identity``.
    address: str = ""
    #: The name the connection's messages carry (:func:`.devices.new_origin`); with several
    #: connections (``client`` is then :class:`.devices.Devices`) each has its own there.  Empty
    #: for people whose connections are elsewhere (on other nodes): nothing can attach to them here.
    origin: str = ""
    #: Always-on: stays present (shown away) when the last connection closes (core/devices.py, Absent).
    keep: bool = False
    #: Away only because no connection is open (set when the last one closed; cleared when one comes).
    auto_away: bool = False
    #: Words that notify this person (push) as their nick does: their account's, read at login.
    highlights: tuple[str, ...] = ()
    identity: Identity = attrs.field(init=False)
    #: Who a guest is for this connection only: history and read markers of a guest never pass
    #: to the next holder of the nick.
    guest: str = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.guest = f"g:{self.signon:.6f}:{casefold(self.nick)}"
        self._refresh_identity()

    def _refresh_identity(self) -> None:
        self.identity = Identity(self.nick, self.user, self.host, self.realname, self.protocol, "B" in self.modes,
                                 self.account)

    @property
    def folded(self) -> str:
        return casefold(self.nick)

    @property
    def mode_letters(self) -> str:
        """The user modes as records carry them: the letters, sorted."""
        return "".join(sorted(self.modes))

    @property
    def person(self) -> str:
        """Who this is across connections and over time: the account, or a guest's own connection."""
        return "a:" + casefold(self.account) if self.account else self.guest

    def set_account(self, account: Optional[str]) -> None:
        self.account = account
        self._refresh_identity()

    def rename(self, nick: str) -> None:
        self.nick = nick
        self._refresh_identity()

    def set_modes(self, modes: set[str] | frozenset[str]) -> None:
        self.modes = frozenset(modes)
        self._refresh_identity()

    def set_realname(self, realname: str) -> None:
        self.realname = realname
        self._refresh_identity()

    def update(self, identity: Identity) -> None:
        """Take over what another node says about this user (same nick)."""
        self.user, self.host, self.realname, self.protocol = (
            identity.user, identity.host, identity.realname, identity.protocol)
        self._refresh_identity()


@attrs.define(eq=False)
class Room:
    name: str
    created: float
    topic: str = ""
    topic_by: str = ""
    topic_time: float = 0.0
    flags: set[str] = attrs.field(factory=lambda: {"n", "t"})
    key: Optional[str] = None
    limit: Optional[int] = None
    #: user -> set of status letters ("o", "v"), in join order.
    members: dict[User, set[str]] = attrs.field(factory=dict)
    invited: set[str] = attrs.field(factory=set)  # folded nicks
    lists: dict[str, list[ListEntry]] = attrs.field(factory=dict)  # letter of LIST_MODES -> entries
    #: The account that registered the room (None: unregistered), and the accounts it auto-ops.
    founder: Optional[str] = None
    op_accounts: set[str] = attrs.field(factory=set)  # folded
    #: When the last member left (None while anyone is in); unregistered rooms go after an idle time.
    emptied: Optional[float] = None
    #: Members whose join is still reading history: the ids of room messages they got live
    #: meanwhile, so that the join's history leaves them out (:meth:`CatchUp.note_live`).
    catching_up: dict[User, set[str]] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def topic_nick(self) -> str:
        """Who set the topic, by nick (``topic_by`` is their nick!user@host, as IRC's 333 shows it)."""
        return self.topic_by.split("!", 1)[0]

    def delivered(self, message_id: str) -> None:
        """A message of this room went out live to its members (see ``catching_up``)."""
        for seen in self.catching_up.values():
            seen.add(message_id)

    @property
    def protected(self) -> bool:
        """Whether an empty room must keep its settings: registered, keyed, invite-only or with bans."""
        return (self.founder is not None or self.key is not None or "i" in self.flags
                or bool(self.lists.get("b")))

    def listed(self, letter: str, user: User) -> bool:
        return any(matches(e.mask, user.identity, user.account, user.address) for e in self.lists.get(letter, ()))

    def banned(self, user: User) -> bool:
        """Kept out by +b (mutes, ``m:`` entries, do not keep anyone out), unless +e lets them in."""
        return any(not e.mask.startswith("m:") and matches(e.mask, user.identity, user.account, user.address)
                   for e in self.lists.get("b", ())) and not self.listed("e", user)

    def muted(self, user: User) -> bool:
        """Silenced by a ban, a quiet (+q) or an ``m:`` extban, unless +e applies."""
        if self.listed("e", user):
            return False
        return self.listed("q", user) or any(matches(e.mask, user.identity, user.account, user.address)
                                             for e in self.lists.get("b", ()))

    def auto_status(self, user: User) -> set[str]:
        """What a member of a registered room is given on joining, by account."""
        if user.account is not None and (casefold(user.account) == casefold(self.founder or "")
                                         or casefold(user.account) in self.op_accounts):
            return {"o"}
        return set()

    def is_op(self, user: User) -> bool:
        return "o" in self.members.get(user, ())

    def can_speak(self, user: User) -> bool:
        status = self.members.get(user)
        if status is None:
            return "n" not in self.flags and not self.muted(user)
        if status:
            return True  # ops and voiced members speak through +m, bans and quiets
        return "m" not in self.flags and not self.muted(user)

    def prefixes(self, user: User, all_of_them: bool = False) -> str:
        status = self.members.get(user, ())
        shown = [sym for letter, sym in STATUS_MODES.items() if letter in status]
        return "".join(shown) if all_of_them else "".join(shown[:1])

    def mode_string(self, show_key: bool = True) -> tuple[str, list[str]]:
        letters = [m for m in FLAG_MODES if m in self.flags]
        args: list[str] = []
        if self.key is not None:
            letters.append("k")
            args.append(self.key if show_key else "*")
        if self.limit is not None:
            letters.append("l")
            args.append(str(self.limit))
        return "+" + "".join(letters), args

    def apply(self, sign: str, letter: str, arg: Optional[str], member: Optional[User] = None,
              by: str = "", when: float = 0.0) -> Optional[ModeChange]:
        """Apply one mode change; return it as it took effect, or None if it changed nothing.

        The one place mode letters change a room: local changes (after the
        network checked who may make them) and changes other nodes report.
        ``member`` is the user a status mode (o, v) is about; ``by`` and
        ``when`` are remembered with list entries (RPL_BANLIST shows them).
        """
        adding = sign == "+"
        if letter in FLAG_MODES:
            if adding != (letter in self.flags):
                (self.flags.add if adding else self.flags.discard)(letter)
                return (sign, letter, None)
        elif letter == "k":
            if adding and arg:
                self.key = arg
                return (sign, letter, arg)
            if not adding and self.key is not None:
                self.key = None
                return (sign, letter, "*")
        elif letter == "l":
            if adding:
                if arg and arg.isdigit() and int(arg) > 0:
                    self.limit = int(arg)
                    return (sign, letter, arg)
            elif self.limit is not None:
                self.limit = None
                return (sign, letter, None)
        elif letter in LIST_MODES and arg:
            return self._apply_list(adding, letter, normalise(arg), by, when)
        elif letter in STATUS_MODES and member is not None:
            status = self.members.get(member)
            if status is not None and adding != (letter in status):
                (status.add if adding else status.discard)(letter)
                if letter == "o" and self.founder is not None and member.account:
                    # A registered room remembers its operators by account: +o/-o adds or removes one.
                    (self.op_accounts.add if adding else self.op_accounts.discard)(casefold(member.account))
                return (sign, letter, member.nick)
        return None

    def _apply_list(self, adding: bool, letter: str, mask: str, by: str, when: float) -> Optional[ModeChange]:
        entries = self.lists.setdefault(letter, [])
        folded = casefold(mask)
        found = [e for e in entries if casefold(e.mask) == folded]
        if adding and not found:
            entries.append(ListEntry(mask, by, when))
            return ("+", letter, mask)
        if not adding and found:
            entries.remove(found[0])
            if not entries:
                del self.lists[letter]
            return ("-", letter, found[0].mask)
        return None

    # -- what is saved across restarts ------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {"flags": "".join(sorted(self.flags)), "key": self.key, "limit": self.limit,
                "founder": self.founder, "ops": sorted(self.op_accounts),
                "lists": {k: [[e.mask, e.set_by, e.time] for e in v] for k, v in self.lists.items()}}

    def restore(self, state: dict[str, Any]) -> None:
        if not state:
            return
        self.flags = set(state.get("flags", "nt")) & set(FLAG_MODES)
        self.key = state.get("key")
        limit = state.get("limit")
        self.limit = limit if isinstance(limit, int) and limit > 0 else None
        self.founder = state.get("founder")
        self.op_accounts = set(state.get("ops", ()))
        self.lists = {k: [ListEntry(str(m), str(b), float(t)) for m, b, t in v]
                      for k, v in state.get("lists", {}).items() if k in LIST_MODES and v}


class Directory:
    """The users and rooms this node knows of (its own and, in a cluster, everyone else's)."""

    def __init__(self, clock: Callable[[], float], keep_rooms: bool) -> None:
        self.clock = clock
        self.users: dict[str, User] = {}  # folded nick -> user
        self.rooms: dict[str, Room] = {}  # folded name -> room
        self.max_users = 0
        #: With a history store, rooms outlive their members (and restarts).
        self.keep_rooms = keep_rooms

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

    def add_user(self, user: User) -> None:
        self.users[user.folded] = user
        self.max_users = max(self.max_users, len(self.users))

    def seat(self, user: User, room: Room, status: set[str]) -> bool:
        """Seat ``user`` in ``room`` with ``status``; True if they were not in it before."""
        known = user in room.members
        room.members[user] = status
        room.emptied = None
        user.rooms[casefold(room.name)] = room
        return not known

    def unseat(self, user: User, room: Room) -> None:
        """Take ``user`` out of ``room``; forget a room nothing keeps."""
        room.members.pop(user, None)
        room.catching_up.pop(user, None)
        user.rooms.pop(casefold(room.name), None)
        if not room.members:
            room.emptied = self.clock()
            if not self.keep_rooms and not room.protected:
                self.rooms.pop(casefold(room.name), None)
