"""One IRC client connection: registration, capabilities and commands.

The connection translates IRC commands into calls on the core
:class:`~chatd.core.Network` and core errors into numerics.  Lines that other
people see (messages, joins, ...) are not written here: the core fans them out
and :mod:`chatd.irc.render` encodes them, once per capability variant.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable, Optional

from .. import __version__
from ..core import CASEMAPPING, ROOM_PREFIXES, Room, User, casefold, errors
from ..core.events import Event
from ..net.connection import LineConnection, LineFactory
from . import caps as capabilities
from . import chathistory
from . import numerics as N
from .render import LineRenderer, trailing
from .wire import Message, ParseError, parse

if TYPE_CHECKING:
    from ..core import Network

PRE_REGISTRATION = {"CAP", "NICK", "USER", "PASS", "PING", "PONG", "QUIT"}
MAX_ISUPPORT_TOKENS = 13
USERHOST_MAX = 5


class IRCFactory(LineFactory):
    """Shared state of an IRC listener: settings, renderers, MOTD."""

    def __init__(
        self,
        *args: object,
        password: Optional[str] = None,
        motd: Callable[[], Optional[list[str]]] = lambda: None,
        ping_interval: float = 120.0,
        ping_timeout: float = 60.0,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.password = password
        self.motd = motd
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.renderers: dict[tuple[bool, ...], LineRenderer] = {}
        self.started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.network.created))

    def renderer(self, key: tuple[bool, ...]) -> LineRenderer:
        renderer = self.renderers.get(key)
        if renderer is None:
            renderer = self.renderers[key] = LineRenderer(*key)
        return renderer

    def isupport(self) -> list[str]:
        limits = self.network.limits
        return [
            f"AWAYLEN={limits.awaylen}",
            f"CASEMAPPING={CASEMAPPING}",
            f"CHANLIMIT={ROOM_PREFIXES}:{limits.max_rooms_per_user}",
            "CHANMODES=,k,l,imnt",
            f"CHANNELLEN={limits.channellen}",
            f"CHANTYPES={ROOM_PREFIXES}",
            "ELIST=",
            f"KICKLEN={limits.kicklen}",
            "MODES=4",
            f"NETWORK={self.network.network_name}",
            f"NICKLEN={limits.nicklen}",
            "PREFIX=(ov)@+",
            "STATUSMSG=",
            f"TOPICLEN={limits.topiclen}",
            "UTF8ONLY",
        ] + ([f"CHATHISTORY={chathistory.MAX_LIMIT}", "MSGREFTYPES=msgid,timestamp"]
             if self.network.history is not None else [])

    def sweep(self) -> None:
        """Ping idle clients and drop those that stopped answering."""
        now = self.clock.seconds()
        for conn in list(self.connections):
            assert isinstance(conn, IRCConnection)
            conn.keepalive(now)


class IRCConnection(LineConnection):
    protocol_name = "irc"
    factory: IRCFactory
    # Tags (8191) plus the 512-byte message; finer checks follow parsing.
    max_line_bytes = 8191 + 512

    def __init__(self) -> None:
        super().__init__()
        self.user: Optional[User] = None
        self.nick: Optional[str] = None
        self.username: Optional[str] = None
        self.realname = ""
        self.password_ok = True
        self.cap_negotiating = False
        self.cap_version = 0
        self.caps: set[str] = set()
        self.ping_sent: Optional[float] = None
        self.usermodes: set[str] = set()
        self.batches = 0
        self.registering = False
        self._set_format()

    # -- the core's Client interface -----------------------------------------

    def _set_format(self) -> None:
        self.format_key = ("irc",) + tuple(c in self.caps for c in capabilities.RENDERING)
        self.echo_messages = "echo-message" in self.caps

    def encode(self, event: Event) -> Optional[bytes]:
        return self.factory.renderer(self.format_key[1:]).render(event)

    def deliver(self, payload: bytes) -> None:  # type: ignore[override]
        # The fan-out hot path: LineConnection.write, inlined.
        if self.closing:
            return
        self.transport.write(payload)
        self.factory.bytes_out += len(payload)
        if self.sendq.paused:
            self.sendq.wrote(len(payload))

    def disconnect(self, reason: str) -> None:
        self.send(f"ERROR :{reason}")
        self.close(reason, goodbye=False)

    # -- plumbing ------------------------------------------------------------

    @property
    def server(self) -> str:
        return self.factory.network.server_name

    @property
    def network(self) -> Network:
        return self.factory.network

    @property
    def me(self) -> str:
        return self.user.nick if self.user else (self.nick or "*")

    def send(self, line: str) -> None:
        self.write((line + "\r\n").encode("utf-8"))

    def reply(self, numeric: str, *params: str) -> None:
        """Send a numeric; the last parameter is sent as a trailing one."""
        middle = " ".join((numeric, self.me) + params[:-1])
        last = trailing(params[-1]) if params else ""
        self.send(f":{self.server} {middle} {last}".rstrip())

    def open_batch(self, kind: str, *params: str) -> Optional[str]:
        """Start an IRCv3 batch if the client takes them; returns its reference."""
        if "batch" not in self.caps:
            return None
        self.batches += 1
        ref = f"h{self.batches}"
        self.send(" ".join((f":{self.server} BATCH +{ref} {kind}", *params)))
        return ref

    def close_batch(self, ref: Optional[str]) -> None:
        if ref is not None:
            self.send(f":{self.server} BATCH -{ref}")

    def fail(self, error: errors.ChatError) -> None:
        numeric = N.FOR_ERROR.get(error.code)
        if numeric is None:
            self.send(f":{self.server} NOTICE {self.me} :{error.message}")
        elif error.target:
            self.reply(numeric, *error.target.split(" "), error.message)
        else:
            self.reply(numeric, error.message)

    def connection_opened(self) -> None:
        self.password_ok = self.factory.password is None

    def connection_closed(self, reason: str) -> None:
        if self.user is not None:
            user, self.user = self.user, None
            self.network.quit(user, reason)

    def refuse_too_many(self) -> None:
        pass  # say_goodbye sends the ERROR line

    def say_goodbye(self, reason: str) -> None:
        self.send(f"ERROR :Closing Link: {self.address} ({reason})")

    def internal_error(self) -> None:
        self.send(f":{self.server} NOTICE {self.me} :Internal error; your command was not carried out")

    def line_too_long(self) -> None:
        self.reply(N.ERR_INPUTTOOLONG, "Input line was too long")

    def keepalive(self, now: float) -> None:
        if self.closing:
            return
        if self.ping_sent is not None and self.last_seen <= self.ping_sent:
            if now - self.ping_sent >= self.factory.ping_timeout:
                self.close(f"Ping timeout: {int(now - self.ping_sent)} seconds")
            return
        if now - self.last_seen >= self.factory.ping_interval:
            self.ping_sent = now
            self.send(f"PING :{self.server}")

    # -- input ---------------------------------------------------------------

    def line_received(self, raw: bytes) -> None:
        settings = self.factory.settings
        if raw.startswith(b"@"):
            space = raw.find(b" ")
            tags_len = space + 1 if space > 0 else len(raw)
            if tags_len > settings.max_tags or len(raw) - tags_len > settings.max_line - 2:
                return self.line_too_long()
        elif len(raw) > settings.max_line - 2:
            return self.line_too_long()
        line = raw.replace(b"\x00", b"").decode("utf-8", errors="replace")
        if not line.strip():
            return
        try:
            message = parse(line)
        except ParseError:
            return
        command = message.command
        if self.user is None and command not in PRE_REGISTRATION:
            if command in COMMANDS:
                self.reply(N.ERR_NOTREGISTERED, "You have not registered")
            return
        handler = COMMANDS.get(command)
        if handler is None:
            self.reply(N.ERR_UNKNOWNCOMMAND, command, "Unknown command")
            return
        minimum = MIN_PARAMS.get(command, 0)
        if len(message.params) < minimum:
            self.reply(N.ERR_NEEDMOREPARAMS, command, "Not enough parameters")
            return
        try:
            handler(self, message)
        except errors.ChatError as error:
            self.fail(error)

    # -- registration --------------------------------------------------------

    def irc_CAP(self, msg: Message) -> None:
        sub = msg.params[0].upper() if msg.params else ""
        if sub == "LS":
            if self.user is None:
                self.cap_negotiating = True
            if len(msg.params) > 1 and msg.params[1].isdigit():
                self.cap_version = max(self.cap_version, int(msg.params[1]))
            if self.cap_version >= 302:
                self.caps.add("cap-notify")
                self._set_format()
            self.send(f":{self.server} CAP {self.me} LS :{' '.join(capabilities.SUPPORTED)}")
        elif sub == "LIST":
            self.send(f":{self.server} CAP {self.me} LIST :{' '.join(sorted(self.caps))}")
        elif sub == "REQ":
            if self.user is None:
                self.cap_negotiating = True
            wanted = msg.params[1] if len(msg.params) > 1 else ""
            names = wanted.split()
            ok = bool(names) and all(n.lstrip("-") in capabilities.SUPPORTED for n in names)
            if not ok:
                self.send(f":{self.server} CAP {self.me} NAK :{wanted}")
                return
            for name in names:
                if name.startswith("-"):
                    self.caps.discard(name[1:])
                else:
                    self.caps.add(name)
            self._set_format()
            self.send(f":{self.server} CAP {self.me} ACK :{wanted}")
        elif sub == "END":
            if self.user is None:
                self.cap_negotiating = False
                self._try_register()
        else:
            self.reply(N.ERR_INVALIDCAPCMD, sub or "*", "Invalid CAP command")

    def irc_PASS(self, msg: Message) -> None:
        if self.user is not None:
            self.reply(N.ERR_ALREADYREGISTERED, "You may not reregister")
            return
        self.password_ok = self.factory.password is None or msg.params[0] == self.factory.password

    def irc_NICK(self, msg: Message) -> None:
        if not msg.params or not msg.params[0]:
            self.reply(N.ERR_NONICKNAMEGIVEN, "No nickname given")
            return
        nick = msg.params[0]
        if self.user is not None:
            user = self.user
            self.network.rename_when_free(user, nick, lambda: self.user is user and not self.closing, self.fail)
            return
        self.network.check_nick(nick)
        self.nick = nick
        self._try_register()

    def irc_USER(self, msg: Message) -> None:
        if self.user is not None:
            self.reply(N.ERR_ALREADYREGISTERED, "You may not reregister")
            return
        self.username = "~" + msg.params[0][:10]
        self.realname = msg.params[3]
        self._try_register()

    def _try_register(self) -> None:
        if self.cap_negotiating or self.nick is None or self.username is None or self.registering:
            return
        if not self.password_ok:
            self.reply(N.ERR_PASSWDMISMATCH, "Password incorrect")
            self.close("Bad password")
            return
        self.registering = True
        self.network.connect_when_free(
            self, self.nick, self.username, self.address, self.realname, "irc",
            lambda: not self.closing, self._registered,
        )

    def _registered(self, user: Optional[User], error: Optional[errors.ChatError]) -> None:
        """The nick is ours network-wide (or refused): finish registration."""
        self.registering = False
        if error is not None:
            self.nick = None  # numerics address "*" until a nick is accepted
            self.fail(error)
            return
        self.user = user
        self._welcome()

    def _welcome(self) -> None:
        assert self.user is not None
        network = self.network
        self.reply(N.RPL_WELCOME, f"Welcome to the {network.network_name} Network, {self.user.identity.mask}")
        self.reply(N.RPL_YOURHOST, f"Your host is {self.server}, running version chatd-{__version__}")
        self.reply(N.RPL_CREATED, f"This server was created {self.factory.started}")
        self.reply(N.RPL_MYINFO, self.server, f"chatd-{__version__}", "iw", "iklmnotv", "klov")
        tokens = self.factory.isupport()
        for start in range(0, len(tokens), MAX_ISUPPORT_TOKENS):
            chunk = tokens[start : start + MAX_ISUPPORT_TOKENS]
            self.reply(N.RPL_ISUPPORT, *chunk, "are supported by this server")
        self.irc_LUSERS(Message("LUSERS"))
        self.irc_MOTD(Message("MOTD"))

    # -- keepalive and leaving -------------------------------------------------

    def irc_PING(self, msg: Message) -> None:
        if not msg.params:
            self.reply(N.ERR_NEEDMOREPARAMS, "PING", "Not enough parameters")
            return
        self.send(f":{self.server} PONG {self.server} {trailing(msg.params[0])}")

    def irc_PONG(self, msg: Message) -> None:
        self.ping_sent = None

    def irc_QUIT(self, msg: Message) -> None:
        reason = msg.params[0] if msg.params else "Client quit"
        self.close(f"Quit: {reason}")

    # -- server information ----------------------------------------------------

    def irc_LUSERS(self, msg: Message) -> None:
        users = len(self.network.users)
        self.reply(N.RPL_LUSERCLIENT, f"There are {users} users and 0 invisible on 1 servers")
        self.reply(N.RPL_LUSEROP, "0", "operator(s) online")
        unknown = len(self.factory.connections) - sum(
            1 for c in self.factory.connections if getattr(c, "user", None) is not None
        )
        self.reply(N.RPL_LUSERUNKNOWN, str(max(unknown, 0)), "unknown connection(s)")
        self.reply(N.RPL_LUSERCHANNELS, str(len(self.network.rooms)), "channels formed")
        self.reply(N.RPL_LUSERME, f"I have {users} clients and 0 servers")
        top = str(self.network.max_users)
        self.reply(N.RPL_LOCALUSERS, str(users), top, f"Current local users {users}, max {top}")
        self.reply(N.RPL_GLOBALUSERS, str(users), top, f"Current global users {users}, max {top}")

    def irc_MOTD(self, msg: Message) -> None:
        lines = self.factory.motd()
        if lines is None:
            self.reply(N.ERR_NOMOTD, "MOTD File is missing")
            return
        self.reply(N.RPL_MOTDSTART, f"- {self.server} Message of the day - ")
        for line in lines:
            self.reply(N.RPL_MOTD, f"- {line}")
        self.reply(N.RPL_ENDOFMOTD, "End of /MOTD command.")

    # -- rooms -------------------------------------------------------------------

    def irc_JOIN(self, msg: Message) -> None:
        assert self.user is not None
        if msg.params[0] == "0":
            self.network.part_all(self.user)
            return
        names = msg.params[0].split(",")
        keys = msg.params[1].split(",") if len(msg.params) > 1 else []
        for index, name in enumerate(names):
            key = keys[index] if index < len(keys) else None
            try:
                room = self.network.join(self.user, name, key)
            except errors.ChatError as error:
                self.fail(error)
                continue
            if room is not None:
                if room.topic:
                    self._send_topic(room)
                self._send_names(room)

    def irc_PART(self, msg: Message) -> None:
        assert self.user is not None
        reason = msg.params[1] if len(msg.params) > 1 else ""
        for name in msg.params[0].split(","):
            try:
                self.network.part(self.user, name, reason)
            except errors.ChatError as error:
                self.fail(error)

    def _send_topic(self, room: Room) -> None:
        self.reply(N.RPL_TOPIC, room.name, room.topic)
        self.reply(N.RPL_TOPICWHOTIME, room.name, room.topic_by, str(int(room.topic_time)))

    def _send_names(self, room: Room) -> None:
        multi = "multi-prefix" in self.caps
        full = "userhost-in-names" in self.caps
        names = []
        for member in room.members:
            shown = member.identity.mask if full else member.nick
            names.append(room.prefixes(member, multi) + shown)
        # Keep each 353 line comfortably under 512 bytes.
        head = len(self.server) + len(self.me) + len(room.name) + 16
        batch: list[str] = []
        size = head
        for name in names:
            if batch and size + len(name) + 1 > 500:
                self.reply(N.RPL_NAMREPLY, "=", room.name, " ".join(batch))
                batch, size = [], head
            batch.append(name)
            size += len(name) + 1
        if batch:
            self.reply(N.RPL_NAMREPLY, "=", room.name, " ".join(batch))
        self.reply(N.RPL_ENDOFNAMES, room.name, "End of /NAMES list.")

    def irc_NAMES(self, msg: Message) -> None:
        if not msg.params:
            self.reply(N.RPL_ENDOFNAMES, "*", "End of /NAMES list.")
            return
        for name in msg.params[0].split(","):
            room = self.network.find_room(name)
            if room is None:
                self.reply(N.RPL_ENDOFNAMES, name, "End of /NAMES list.")
            else:
                self._send_names(room)

    def irc_TOPIC(self, msg: Message) -> None:
        assert self.user is not None
        name = msg.params[0]
        if len(msg.params) > 1:
            self.network.set_topic(self.user, name, msg.params[1])
            return
        room = self.network.find_room(name)
        if room is None:
            raise errors.NoSuchRoom(name)
        if room.topic:
            self._send_topic(room)
        else:
            self.reply(N.RPL_NOTOPIC, room.name, "No topic is set")

    def irc_LIST(self, msg: Message) -> None:
        self.reply(N.RPL_LISTSTART, "Channel", "Users  Name")
        if msg.params and msg.params[0]:
            rooms = [self.network.find_room(name) for name in msg.params[0].split(",")]
        else:
            rooms = list(self.network.rooms.values())
        for room in rooms:
            if room is not None:
                self.reply(N.RPL_LIST, room.name, str(len(room.members)), room.topic)
        self.reply(N.RPL_LISTEND, "End of /LIST")

    def irc_KICK(self, msg: Message) -> None:
        assert self.user is not None
        reason = msg.params[2] if len(msg.params) > 2 else self.user.nick
        for target in msg.params[1].split(","):
            try:
                self.network.kick(self.user, msg.params[0], target, reason)
            except errors.ChatError as error:
                self.fail(error)

    def irc_INVITE(self, msg: Message) -> None:
        assert self.user is not None
        target, name = msg.params[0], msg.params[1]
        victim = self.network.invite(self.user, target, name)
        self.reply(N.RPL_INVITING, victim.nick, name)
        if victim.away:
            self.reply(N.RPL_AWAY, victim.nick, victim.away)

    # -- modes ---------------------------------------------------------------------

    def irc_MODE(self, msg: Message) -> None:
        assert self.user is not None
        target = msg.params[0]
        if target[:1] in ROOM_PREFIXES:
            self._room_mode(target, msg.params[1:])
        else:
            self._user_mode(target, msg.params[1:])

    def _room_mode(self, name: str, params: tuple[str, ...]) -> None:
        assert self.user is not None
        room = self.network.find_room(name)
        if room is None:
            raise errors.NoSuchRoom(name)
        if not params:
            modes, args = room.mode_string(show_key=self.user in room.members)
            self.reply(N.RPL_CHANNELMODEIS, room.name, modes, *args)
            self.reply(N.RPL_CREATIONTIME, room.name, str(int(room.created)))
            return
        changes: list[tuple[str, str, Optional[str]]] = []
        args = list(params[1:])
        sign = "+"
        for letter in params[0]:
            if letter in "+-":
                sign = letter
                continue
            if letter == "b" and not args:
                # Ban lists are not kept; answer the query clients send on join.
                self.reply(N.RPL_ENDOFBANLIST, room.name, "End of channel ban list")
                continue
            if letter in "ov" or (letter == "k" and sign == "+") or (letter == "l" and sign == "+"):
                if not args:
                    self.reply(N.ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters")
                    return
                changes.append((sign, letter, args.pop(0)))
            elif letter == "k":
                if args:
                    args.pop(0)
                changes.append((sign, letter, None))
            elif letter in "imntl":
                changes.append((sign, letter, None))
            else:
                self.reply(N.ERR_UNKNOWNMODE, letter, "is unknown mode char to me")
        if changes:
            self.network.change_modes(self.user, room.name, changes[:4])

    def _user_mode(self, nick: str, params: tuple[str, ...]) -> None:
        assert self.user is not None
        if casefold(nick) != self.user.folded:
            if self.network.find_user(nick) is None:
                raise errors.NoSuchNick(nick)
            self.reply(N.ERR_USERSDONTMATCH, "Can't change mode for other users")
            return
        if not params:
            self.reply(N.RPL_UMODEIS, "+" + "".join(sorted(self.usermodes)))
            return
        sign = "+"
        applied = ""
        for letter in params[0]:
            if letter in "+-":
                sign = letter
            elif letter in "iw":
                if (letter in self.usermodes) != (sign == "+"):
                    (self.usermodes.add if sign == "+" else self.usermodes.discard)(letter)
                    applied += sign + letter
            else:
                self.reply(N.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag")
        if applied:
            self.send(f":{self.user.identity.mask} MODE {self.user.nick} :{applied}")

    # -- messages ------------------------------------------------------------------

    def irc_PRIVMSG(self, msg: Message) -> None:
        self._message(msg, "privmsg")

    def irc_NOTICE(self, msg: Message) -> None:
        self._message(msg, "notice")

    def _message(self, msg: Message, kind: str) -> None:
        assert self.user is not None
        quiet = kind == "notice"  # never answer a NOTICE automatically
        if not msg.params or not msg.params[0]:
            if not quiet:
                self.reply(N.ERR_NORECIPIENT, f"No recipient given ({msg.command})")
            return
        if len(msg.params) < 2 or not msg.params[1]:
            if not quiet:
                self.reply(N.ERR_NOTEXTTOSEND, "No text to send")
            return
        text = msg.params[1]
        if kind == "privmsg" and text.startswith("\x01ACTION ") and len(text) > 8:
            kind, text = "action", text[8:].rstrip("\x01")
        for target in msg.params[0].split(",")[:4]:
            try:
                if target[:1] in ROOM_PREFIXES:
                    self.network.send_room(self.user, target, kind, text)
                else:
                    self.network.send_direct(self.user, target, kind, text)
                    peer = self.network.find_user(target)
                    if peer is not None and peer.away and not quiet:
                        self.reply(N.RPL_AWAY, peer.nick, peer.away)
            except errors.ChatError as error:
                if not quiet:
                    self.fail(error)

    def irc_CHATHISTORY(self, msg: Message) -> None:
        chathistory.handle(self, msg)

    def irc_AWAY(self, msg: Message) -> None:
        assert self.user is not None
        message = msg.params[0] if msg.params and msg.params[0] else None
        self.network.set_away(self.user, message)
        if message is None:
            self.reply(N.RPL_UNAWAY, "You are no longer marked as being away")
        else:
            self.reply(N.RPL_NOWAWAY, "You have been marked as being away")

    # -- queries -------------------------------------------------------------------

    def irc_WHO(self, msg: Message) -> None:
        mask = msg.params[0] if msg.params else "*"
        if mask[:1] in ROOM_PREFIXES:
            room = self.network.find_room(mask)
            members = list(room.members) if room else []
            for member in members:
                assert room is not None
                self._who_line(member, room.name, room.prefixes(member, "multi-prefix" in self.caps))
        else:
            user = self.network.find_user(mask)
            if user is not None:
                room_name = next(iter(user.rooms.values())).name if user.rooms else "*"
                self._who_line(user, room_name, "")
        self.reply(N.RPL_ENDOFWHO, mask, "End of WHO list")

    def server_of(self, user: User) -> str:
        """The node a user is on: this server, or another node of the cluster."""
        return getattr(user.client, "node", None) or self.server

    def _who_line(self, user: User, room_name: str, prefix: str) -> None:
        here = "G" if user.away else "H"
        self.reply(
            N.RPL_WHOREPLY, room_name, user.user, user.host, self.server_of(user), user.nick,
            here + prefix, f"0 {user.realname}",
        )

    def irc_WHOIS(self, msg: Message) -> None:
        nick = msg.params[-1]
        user = self.network.find_user(nick)
        if user is None:
            self.reply(N.ERR_NOSUCHNICK, nick, "No such nick/channel")
            self.reply(N.RPL_ENDOFWHOIS, nick, "End of /WHOIS list")
            return
        self.reply(N.RPL_WHOISUSER, user.nick, user.user, user.host, "*", user.realname)
        if user.rooms:
            rooms = " ".join(r.prefixes(user) + r.name for r in user.rooms.values())
            self.reply(N.RPL_WHOISCHANNELS, user.nick, rooms)
        self.reply(N.RPL_WHOISSERVER, user.nick, self.server_of(user), f"chatd ({user.protocol})")
        if user.away:
            self.reply(N.RPL_AWAY, user.nick, user.away)
        idle = int(self.network.clock() - user.last_active)
        self.reply(N.RPL_WHOISIDLE, user.nick, str(idle), str(int(user.signon)), "seconds idle, signon time")
        self.reply(N.RPL_ENDOFWHOIS, user.nick, "End of /WHOIS list")

    def irc_ISON(self, msg: Message) -> None:
        found = []
        for nick in " ".join(msg.params).split():
            user = self.network.find_user(nick)
            if user is not None:
                found.append(user.nick)
        self.reply(N.RPL_ISON, " ".join(found))

    def irc_USERHOST(self, msg: Message) -> None:
        found = []
        for nick in " ".join(msg.params).split()[:USERHOST_MAX]:
            user = self.network.find_user(nick)
            if user is not None:
                found.append(f"{user.nick}={'-' if user.away else '+'}{user.user}@{user.host}")
        self.reply(N.RPL_USERHOST, " ".join(found))


COMMANDS: dict[str, Callable[[IRCConnection, Message], None]] = {
    name[4:]: getattr(IRCConnection, name) for name in dir(IRCConnection) if name.startswith("irc_")
}
MIN_PARAMS = {
    "CAP": 1, "PASS": 1, "USER": 4, "JOIN": 1, "PART": 1, "TOPIC": 1, "KICK": 2,
    "INVITE": 2, "MODE": 1, "WHOIS": 1, "ISON": 1, "USERHOST": 1,
}

IRCFactory.protocol = IRCConnection
