"""One connected person, whatever protocol they came in by.

An adapter (IRC, telnet, WebSocket) owns one :class:`Session` per connection.
It parses its wire format into calls on the session and renders what comes
back (return values, :class:`~chatd.core.errors.ChatError`, fanned-out
events); it never touches the network's state itself.  The session holds what
a person may do (register, authenticate, change nick, join, part, send, set
away, moderate, quit) and validates every string from the wire exactly once,
here, before the network sees it.  Adding a protocol therefore means writing
a parser and a renderer, and nothing else.

Registration and nick changes are coroutines because claiming a nick may ask
other nodes (``Network.claim_nick``); on one node they finish without ever
waiting.  The adapter runs them with ``chatd.net.tasks.spawn``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Optional, Sequence

from . import errors, text
from .authored import EDIT_TAG, Authored
from .casemap import casefold
from .catchup import CatchUp
from .devices import new_origin
from .directory import Room
from .events import Identity
from .limits import ROOM_PREFIXES, SERVICE_NICKS
from .moderating import Moderation
from .modes import ModeChange
from .queries import listed_rooms, visible_members
from .signin import SignIn

if TYPE_CHECKING:
    from .client import Client
    from .directory import User
    from .events import Tags
    from .history import Message
    from .messages import Sent
    from .network import Network

MESSAGE_KINDS = ("privmsg", "notice", "action")
#: A client-only tag name: "+", an optional vendor ("example.com/"), then the name.
CLIENT_TAG = re.compile(r"\+(?:[A-Za-z0-9.-]+/)?[A-Za-z0-9-]+")
MAX_CLIENT_TAGS = 4094  # bytes, as IRCv3 message-tags bounds a client's tag data
USER_MODES = {"i", "w", "B"}
MAX_SEARCH = 200  # results in one search
MAX_SEARCH_WORDS = 10


class Session:
    __slots__ = ("network", "client", "protocol", "address", "user", "account", "certfp", "grace",
                 "registering", "closed", "token_id", "catch_up", "sign_in", "moderation", "origin", "attached",
                 "device", "since", "authored")

    def __init__(self, network: Network, client: Client, protocol: str, address: str) -> None:
        self.network = network
        self.client = client
        self.protocol = protocol  # "irc", "telnet" or "web"
        self.address = address
        self.user: Optional[User] = None
        #: The account this person proved to own (None: a guest).
        self.account: Optional[str] = None
        #: SHA-256 of the TLS client certificate, lowercase hex (SASL EXTERNAL, OPER), if any.
        self.certfp: Optional[str] = None
        self.grace: Any = None  # the pending rename of a guest holding an account's nick
        self.registering = False
        self.closed = False
        #: What this person missed, read from history when they come back (catchup.py).
        self.catch_up = CatchUp(self)
        #: The id of the session token this connection signed in with or was given (web), if any.
        self.token_id: Optional[str] = None
        #: Who this person is (accounts, tokens, the grace on an account's nick): signin.py.
        self.sign_in = SignIn(self)
        self.authored = Authored(self)
        #: Running rooms and the server (lists, registration, OPER, KILL, KLINE): moderating.py.
        self.moderation = Moderation(self)
        #: This connection's name in the messages it sends (several connections of one person).
        self.origin = new_origin(protocol)
        #: Registered by joining a person already here on another connection (multiclient).
        self.attached = False
        #: The device this connection named when it logged in (``alice@phone``); "" for none.
        self.device = ""
        self.since = network.clock()  # when this connection came

    @property
    def nick(self) -> Optional[str]:
        return self.user.nick if self.user is not None else None

    def me(self) -> User:
        """The registered user; adapters only call actions after registration."""
        if self.user is None:
            raise errors.ChatError("", "Register first")
        return self.user

    # -- validation: every string from the wire passes here once ------------------

    def valid_nick(self, nick: str) -> str:
        if not self.network.limits.valid_nick(nick):
            raise errors.BadNick(text.printable(nick))
        return nick

    def own_nick(self, nick: str) -> str:
        """A nick this person may take (or name an account after): valid, and no service's."""
        self.valid_nick(nick)
        if casefold(nick) in SERVICE_NICKS:
            raise errors.ServiceNick(nick)
        return nick

    def valid_room(self, name: str) -> str:
        """A name for a new room: the grammar, then nothing invisible or look-alike (:mod:`.text`)."""
        name = self._name(name)
        if not self.network.limits.valid_room(name):
            raise errors.BadRoomName(text.printable(name))
        problem = text.name_problem(name)
        if problem is not None:
            raise errors.BadRoomName(text.printable(name), f"Bad room name: it {problem}")
        return name

    @staticmethod
    def _name(name: str) -> str:
        """A room or nick as typed, made comparable (valid Unicode, NFC)."""
        return text.checked(name, "name")

    def _text(self, value: str, target: str, multiline: bool = False) -> str:
        limits = self.network.limits
        if multiline and ("\n" in value or "\r" in value):
            value = text.lines(value)
            if value.count("\n") + 1 > limits.multiline_lines:
                raise errors.TooManyLines(target, f"Message has more than {limits.multiline_lines} lines")
            if len(value.encode("utf-8")) > limits.multiline_bytes:
                raise errors.TextTooLong(target, f"Message is longer than {limits.multiline_bytes} bytes")
            if any(len(part) > limits.textlen for part in value.split("\n")):
                raise errors.TextTooLong(target)
        else:
            value = text.message(value)
            if len(value) > limits.textlen:
                raise errors.TextTooLong(target)
        if not value.strip():
            raise errors.NoText(target)
        return value

    @staticmethod
    def _line(value: str, limit: int, field: str = "text") -> str:
        return text.line(value, field, limit)

    # -- registration ----------------------------------------------------------------

    async def register(self, nick: str, username: str, realname: str, grace: bool = True) -> Optional[User]:
        """Become a user under ``nick``; None if the connection closed meanwhile.

        A guest asking for an account's nick holds it for a grace period to log in (IRC, telnet:
        NickServ or /login come after connecting); without ``grace`` (the web, which signs in
        before its hello) such a nick is refused at once."""
        if self.user is not None or self.registering:
            raise errors.AlreadyRegistered(nick)
        self.own_nick(nick)
        # Everything is checked before the nick is claimed: a refusal claims nothing anywhere.
        username, realname = self._line(username, 64, "username"), self._line(realname, 256, "realname")
        network = self.network
        if network.require_account and self.account is None:
            raise errors.AccountRequired("")
        await network.cloaks.ready()
        host = network.cloaks.host(self.address, self.account)
        ban = network.operators.server_ban_for(Identity(nick, username, host, realname, self.protocol), self.account,
                                     self.address)
        if ban is not None:
            raise errors.ServerBanned("", f"You are banned from this server: {ban.reason}")
        self.registering = True
        try:
            grace = await self.sign_in.check_nick_owner(nick, connecting=grace)
            holder = await self._holder(nick)
            if holder is None:
                try:
                    await network.people.claim_nick(nick)
                except errors.NickInUse:  # claimed elsewhere an instant ago, for someone known now: perhaps us
                    holder = await self._holder(nick)
                    if holder is None:
                        raise
            if holder is not None:  # the same person on another device: one more connection of theirs
                if self.closed:
                    return None
                network.people.attach(holder, self.client, self.origin)
                network.people.arrived(holder, self)
                self.user, self.attached = holder, True
                await self.sign_in.settle_always_on()
                return holder
            if self.closed:
                network.people.release_nick(nick)
                return None
            self.user = network.people.connect(self.client, nick, username, host, realname, self.protocol,
                                               self.account, self.address, self.origin)
            network.people.arrived(self.user, self)
        finally:
            self.registering = False
        if grace:
            self.sign_in.start_grace()
        await self.sign_in.settle_always_on()
        return self.user

    async def _holder(self, nick: str) -> Optional[User]:
        """Whoever holds ``nick`` if this connection may be one more of their devices (brought here
        first if another server keeps them away); None if nobody, or someone else."""
        await self.sign_in.take_over(nick)
        return self.network.people.attachable(nick, self.account, self.network.limits.devices_per_account)

    @property
    def in_grace(self) -> bool:
        """Holding an account's nick without being logged in to it (renamed when the time is up)."""
        return self.grace is not None

    async def rename(self, nick: str) -> None:
        user = self.me()
        self.own_nick(nick)
        if nick != user.nick:
            self.network.people.check_nick_change(user, nick)  # before anything is claimed
        if casefold(nick) != user.folded:
            await self.sign_in.check_nick_owner(nick, connecting=False)
            await self.network.people.claim_nick(nick)
            if self.user is not user or self.closed:
                self.network.people.release_nick(nick)
                return
        self.network.people.change_nick(user, nick)
        if self.grace is not None and self.sign_in.owner_is_me(nick):
            self.sign_in.end_grace()

    def quit(self, reason: str) -> None:
        """The connection is gone (or going): leave the network once."""
        self.closed = True
        self.sign_in.end_grace()
        if self.user is not None:
            user, self.user = self.user, None
            self.network.people.left(user, self)
            self.network.people.quit(user, text.line(text.printable(reason), "reason", 400), self.client)

    # -- rooms -------------------------------------------------------------------------

    def join(self, name: str, key: Optional[str] = None) -> tuple[Room, bool]:
        """Enter room ``name``; returns the room and whether this joined it just now."""
        user = self.me()
        name = self._name(name)
        existing = self.network.find_room(name)
        if existing is None:
            name = self.valid_room(name)  # only new rooms need the naming rules
        room = self.network.room_rules.join(user, name, key if key is None else text.checked(key, "key"))
        if room is not None:
            for other in self.network.people.sessions_of(user):
                if other is not self:  # the person's other devices are in the room now too
                    other.client.show_room(room.name, True)
            return room, True
        return self.network.room(name), False

    # -- what one may see of rooms (chatd.core.queries) --------------------------------

    def rooms(self) -> list[Room]:
        """The rooms this person may see (secret ones only as a member), the fullest first."""
        return listed_rooms(self.network.rooms.values(), self.user)

    def members(self, name: str) -> tuple[Room, list[User]]:
        """A room and its members, if this person may see them; a secret room is no room to outsiders."""
        room = self.network.find_room(name)
        members = visible_members(room, self.user) if room is not None else None
        if room is None or members is None:
            raise errors.NoSuchRoom(name)
        return room, members

    def part(self, name: str, reason: str = "") -> None:
        reason = self._line(reason, self.network.limits.kicklen, "reason")
        self.network.room_rules.part(self.me(), self._name(name), reason)

    def part_all(self) -> None:
        self.network.room_rules.part_all(self.me())

    def set_topic(self, name: str, topic: str) -> None:
        topic = self._line(topic, self.network.limits.topiclen, "topic")
        self.network.room_rules.set_topic(self.me(), self._name(name), topic)

    def kick(self, name: str, nick: str, reason: str) -> None:
        self.network.room_rules.kick(self.me(), self._name(name), nick,
                          self._line(reason, self.network.limits.kicklen, "reason"))

    def invite(self, nick: str, name: str) -> User:
        return self.network.room_rules.invite(self.me(), nick, self._name(name))

    def change_modes(self, name: str, changes: Sequence[ModeChange]) -> list[ModeChange]:
        name = self._name(name)
        checked = [(sign, letter, None if arg is None else text.checked(arg, "mode parameter"))
                   for sign, letter, arg in changes]
        for sign, letter, arg in checked:
            if letter == "k" and sign == "+" and arg is not None and not self.network.limits.valid_key(arg):
                raise errors.BadKeyFormat(name)
        return self.network.room_rules.change_modes(self.me(), name, checked)

    def set_user_modes(self, modes: set[str]) -> None:
        """Set one's own user modes (i: invisible, w: wallops, B: bot)."""
        kept = {"o"} & self.me().modes  # an operator may drop +o, never take it this way
        unknown = modes - USER_MODES - kept
        if unknown:
            raise errors.ChatError("", f"Unknown user mode {''.join(sorted(unknown))}")
        self.network.people.set_user_modes(self.me(), modes)

    def set_realname(self, realname: str) -> None:
        value = self._line(realname, 256, "realname")
        if not value.strip():
            raise errors.ChatError("", "A real name cannot be empty")
        self.network.people.set_realname(self.me(), value)

    # -- messages ----------------------------------------------------------------------

    def send(self, target: str, kind: str, value: str, tags: Tags = (), multiline: bool = False) -> Sent:
        """Send to a room (``#name``) or a person (a nick), with client-only tags if any.

        With ``multiline`` the text may hold line breaks (IRCv3 draft/multiline,
        a web text box); otherwise they fold to spaces.
        """
        user = self.me()
        if kind not in MESSAGE_KINDS:
            raise errors.ChatError(target, f"Unknown message kind {kind[:20]!r}")
        target = self._name(target)
        value = self._text(value, target, multiline and kind != "action")
        return self._send(user, target, kind, value, self._tags(tags))

    def send_tags(self, target: str, tags: Tags) -> Optional[Sent]:
        """Send only client tags (IRC TAGMSG: typing, reactions); None when there are none."""
        user = self.me()
        target = self._name(target)
        checked = self._tags(tags)
        if not checked:
            return None
        return self._send(user, target, "tagmsg", "", checked)

    def _send(self, user: User, target: str, kind: str, value: str, tags: Tags) -> Sent:
        if target[:1] in ROOM_PREFIXES:
            return self.network.messaging.send_room(user, target, kind, value, tags, self.origin)
        return self.network.messaging.send_direct(user, target, kind, value, tags, self.origin)

    @staticmethod
    def _tags(tags: Tags) -> Tags:
        """Client-only tags, checked: well-formed names, valid text, within the size bound."""
        checked = []
        size = 0
        for name, value in tags:
            if name == EDIT_TAG:  # only the server marks an edit, once it has checked the author
                continue
            if not CLIENT_TAG.fullmatch(name):
                raise errors.BadText("tags", f"{text.printable(name)[:40]} is not a client-only tag")
            value = text.message(value, name)
            size += len(name) + (len(value.encode("utf-8")) + 1 if value else 0)  # name=value
            checked.append((name, value))
        size += max(0, len(checked) - 1)  # the ";" between tags
        if size > MAX_CLIENT_TAGS:
            raise errors.BadText("tags", "Client tags are too long")
        return tuple(checked)

    async def redact(self, target: str, msgid: str, reason: str = "") -> None:
        """Remove a message: one's own, or any in a room one operates; history forgets it too."""
        await self.authored.redact(target, msgid, reason)

    async def edit(self, target: str, msgid: str, value: str) -> Sent:
        """Correct one's own message: a new message marked ``+draft/edit=<msgid>`` (core/authored.py)."""
        return await self.authored.edit(target, msgid, value)

    def _read_key(self, target: str) -> tuple[str, str]:
        """A conversation as read markers name it: (as shown, folded key)."""
        target = self._name(target)
        if target[:1] in ROOM_PREFIXES:
            room = self.network.directory.member_room(self.me(), target)
            return room.name, casefold(room.name)
        return self.valid_nick(target), casefold(target)

    async def read_marker(self, target: str) -> Optional[float]:
        """How far this person has read ``target`` (None: never marked)."""
        _, key = self._read_key(target)
        return await self.network.messaging.read_marker(self.me().person, key)

    async def mark_read(self, target: str, until: float) -> float:
        """Move this person's read position forward; all their connections see where it is now."""
        shown, stored = await self.save_read_marker(target, until)
        self.show_read_marker(shown, stored)
        return stored

    async def save_read_marker(self, target: str, until: float) -> tuple[str, float]:
        """Store the read position; returns the conversation as shown and the position now kept."""
        shown, key = self._read_key(target)
        return shown, await self.network.messaging.store_read_marker(self.me().person, key, until)

    def show_read_marker(self, shown: str, stored: float) -> None:
        """Every connection of this person learns the position (``shown`` as save_read_marker gave it)."""
        if self.user is not None:
            self.network.messaging.read_moved(self.user.person, shown, stored)

    async def search(self, query: str, target: Optional[str] = None, limit: int = 50) -> Sequence[Message]:
        """Stored messages with all the query's words, newest first, only where this person may read:
        one room they are in or one conversation of theirs, or else all their rooms and conversations."""
        user = self.me()
        words = text.message(query, "query").split()[:MAX_SEARCH_WORDS]
        if not words:
            raise errors.NoText("search")
        store = self.network.history
        if store is None:
            raise errors.ChatError("search", "History is not kept on this server")
        if target:
            return await store.search(words, [self.history_key(target)], None, min(limit, MAX_SEARCH))
        rooms = [casefold(room.name) for room in user.rooms.values()]
        return await store.search(words, rooms, user.person, min(limit, MAX_SEARCH))

    def set_away(self, message: Optional[str]) -> Optional[str]:
        """Mark away with ``message`` (None or empty: back); returns what was set."""
        away = self._line(message or "", self.network.limits.awaylen, "away message") or None
        self.network.people.set_away(self.me(), away)
        return away

    def history_key(self, target: str) -> str:
        """The history this person may read for ``target``."""
        return self.network.people.history_key(self.me(), self._name(target))
