"""A person on a plain terminal (telnet, nc): nick prompt, then slash commands.

A plain line goes to the current room (the one joined last, or picked with
``/join``).  Everything a telnet user does goes through their Session, so IRC
users see them as an ordinary member.

Telnet itself (IAC commands, option negotiation, the 0xFF escape) is
``twisted.conch.telnet``'s: the connection is the application protocol of a
:class:`~.transport.ChatTelnetTransport`.  Ctrl-C (IAC IP) drops the half-typed line.

The server offers to echo (``WILL ECHO``, ``WILL SUPPRESS-GO-AHEAD``) and asks for the window
size (``DO NAWS``).  A client that agrees (``telnet``) sends keys as they are typed and gets the
line editor of :mod:`.editor` (Backspace, arrows, history, Tab completion, a prompt naming the
current room, lines from others printed above the one being typed).  A client that does not
answer (``nc``) stays in line mode: it sends whole lines and echoes them itself.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from twisted.conch.telnet import ECHO, IP, NAWS, SGA, ITelnetProtocol
from twisted.internet import protocol
from twisted.python.failure import Failure
from zope.interface import implementer

from ..core import ROOM_PREFIXES, casefold, errors
from ..core.events import Event
from ..core.history import HistoryStore, Message, Ref
from ..net.connection import LineConnection
from ..net.tasks import spawn
from ..services import service_named
from . import render, staff
from .ansi import terminal_safe
from .editing import Editing
from .help import HELP
from .services import to_service
from .transport import TelnetFactory

#: At most this many missed messages are shown on rejoining a room ("since you left").
SINCE_LIMIT = 100

EARLY_LINES = 20  # lines kept while a nick is being claimed


@implementer(ITelnetProtocol)
class TelnetConnection(LineConnection):
    protocol_name = "telnet"
    factory: TelnetFactory
    max_line_bytes = 1024
    echo_messages = True

    def __init__(self) -> None:
        super().__init__()
        self.current: Optional[str] = None
        self.colors = False
        self.early: list[str] = []  # lines typed while the nick was being claimed, run once it is ours
        self.format_key: tuple[str, bool] = ("telnet", False)
        self.editing = Editing(self, self.write_raw, self.edited_line, self.max_line_bytes, lambda: COMMANDS)

    # -- the core's Client interface -------------------------------------------

    def encode(self, event: Event) -> Optional[bytes]:
        return render.render(event, self.colors)

    def deliver(self, payload: Any) -> None:
        if payload is not None:
            self.write(payload)

    def disconnect(self, reason: str) -> None:
        self.close(reason)

    # -- plumbing ----------------------------------------------------------------

    def say(self, text: str) -> None:
        lines = (terminal_safe(line, self.colors) for line in text.split("\n"))
        self.write("".join(f"*** {line}\r\n" for line in lines).encode("utf-8"))

    def write(self, data: bytes) -> None:
        """Lines for the terminal; with the editor on, printed above the line being typed
        (``data`` itself is the same bytes as every other reader of the room gets)."""
        if not self.editing.on or self.silenced:
            super().write(data)
            return
        for part in self.editing.around(data):
            super().write(part)

    def write_raw(self, data: bytes) -> None:
        """The editor's own drawing and echo."""
        super().write(data)

    def edited_line(self, line: bytes) -> None:
        if not self.closing:
            self.guard.submit(line)

    def dataReceived(self, data: bytes) -> None:
        if not self.editing.on or self.carried is not None:  # carried: the keys are edited where it went
            super().dataReceived(data)
        elif not self.closing:
            self.last_seen = self.factory.clock.seconds()
            self.factory.bytes_in += len(data)
            self.editing.keys(data)

    # -- telnet commands (ITelnetProtocol) -----------------------------------------

    def unhandledCommand(self, command: bytes, argument: Optional[bytes]) -> None:
        if command == IP and self.carried is not None:  # the line is edited where it is carried: its Ctrl-C key
            self.carried[0].send_in(self.carried[1], b"\x03")
        elif command == IP:  # Ctrl-C: forget the half-typed line
            self.editing.clear()
            self.splitter.discard()
            self.editing.interrupted()

    def unhandledSubnegotiation(self, command: bytes, data: bytes) -> None:
        pass

    def enableLocal(self, option: bytes) -> bool:
        if option == ECHO and not self.closing:
            self.splitter.discard()
            self.editing.start()
        return option in (ECHO, SGA)

    def enableRemote(self, option: bytes) -> bool:
        return option in (SGA, NAWS)

    def disableLocal(self, option: bytes) -> None:
        if option == ECHO:  # the client echoes again: back to whole lines
            self.editing.stop()

    def disableRemote(self, option: bytes) -> None:
        pass

    def connection_opened(self) -> None:
        telnet = self.transport
        telnet.negotiationMap[NAWS] = self.window_size
        for offer in (telnet.will(ECHO), telnet.will(SGA), telnet.do(NAWS)):
            offer.addErrback(lambda failure: None)  # refused: line mode, as for a client that never answers
        network = self.factory.network
        self.say(f"Welcome to {network.network_name} ({network.server_name}).")
        self.say("Pick a nick (or /login name password):")

    def window_size(self, data: Sequence[bytes]) -> None:
        """NAWS: the terminal's size, for the line editor here, or where the connection is carried."""
        self.editing.window_size(data)
        if self.carried is not None:
            self.carried[0].send_option(self.carried[1], "window", list(self.editing.window))

    def say_goodbye(self, reason: str) -> None:
        self.editing.stop(erase=True)
        self.say(f"Closing: {reason}")

    def refuse_too_many(self) -> None:
        pass

    def internal_error(self) -> None:
        self.say("Internal error; that command was not carried out.")

    def line_too_long(self) -> None:
        self.say(f"Line too long (at most {self.max_line_bytes} bytes); it was not sent.")

    # -- input -------------------------------------------------------------------

    def line_received(self, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace")
        text = "".join(ch for ch in text if ch >= " " or ch == "\t").strip()
        if not text:
            return
        if self.session.user is None:
            word = text[1:].split(" ", 1)[0].lower() if text.startswith("/") else ""
            if word in staff.BEFORE_NICK and not self.session.registering:
                try:
                    staff.COMMANDS[word](self, text[len(word) + 1:].strip())
                except errors.ChatError as error:
                    self.say(error.describe())
            elif not self.session.registering:
                self.run(self.pick_nick(text), "telnet registration", self.internal_error)
            elif len(self.early) < EARLY_LINES:
                self.early.append(text)
            return
        try:
            if text.startswith("/") and not text.startswith("//"):
                command, _, rest = text[1:].partition(" ")
                handler = COMMANDS.get(command.lower())
                if handler is None:
                    self.say(f"Unknown command /{command}; /help lists them.")
                else:
                    handler(self, rest.strip())
            else:
                self._say_in_room(text[1:] if text.startswith("//") else text, "privmsg")
        except errors.ChatError as error:
            self.say(error.describe())

    async def pick_nick(self, nick: str) -> None:
        try:
            user = await self.session.register(nick, "telnet", nick)
        except errors.ChatError as error:  # or connected on another node: this connection is carried there
            if not (isinstance(error, errors.ConnectedElsewhere) and self.carry(error.server, {
                    "nick": nick, "account": self.session.account, "device": self.session.device, "early": self.early,
                    "colors": self.colors, "editing": self.editing.on, "window": self.editing.window})):
                self.say(f"{error.describe()}. Pick another nick:")
            return
        if user is not None:
            self.say(f"Hello {nick}. /join #room to enter a room, /list to see rooms, /help for commands.")
            if self.session.attached:  # the same person on another device: their rooms are this one's
                self.say("You are connected from another place too: what you say shows on both.")
                for room in sorted(user.rooms.values(), key=lambda r: r.name):
                    self.show_room(room.name, False)
        early, self.early = self.early, []
        for line in early if user is not None else ():
            self.line_received(line.encode("utf-8"))

    def show_room(self, name: str, joined: bool) -> None:
        """In room ``name`` through another of this person's connections: said, and where this
        terminal speaks if it was in no room."""
        room = self.factory.network.find_room(name)
        if room is None or self.session.user not in room.members:
            return
        self.say(f"You are in {room.name} ({len(room.members)}) from another device; /join {room.name} "
                 f"to speak there." if self.current is not None else f"You are in {room.name} ({len(room.members)}).")
        if self.current is None:
            self.current = room.name

    def _say_in_room(self, text: str, kind: str) -> None:
        if self.current is None:
            self.say("You are in no room: /join #room first.")
            return
        self.session.send(self.current, kind, text)

    # -- commands ----------------------------------------------------------------

    def cmd_join(self, rest: str) -> None:
        name, _, key = rest.partition(" ")
        if not name:
            self.say("Usage: /join #room [key]")
            return
        if name[0] not in ROOM_PREFIXES:
            name = ROOM_PREFIXES[0] + name
        room, _new = self.session.join(name, key.strip() or None)
        self.current = room.name
        if room.topic:
            self.say(f"{room.name} topic: {room.topic}")
        self.cmd_names(room.name)
        history = self.factory.network.history
        if history is not None and self.factory.replay_lines > 0:
            live = self.session.catch_up.note_live(room.name)
            self.run(self._catch_up(history, room.name, live), "telnet history on join")

    async def _catch_up(self, history: HistoryStore, room: str,
                        live: Callable[[Sequence[Message]], list[Message]]) -> None:
        """On joining: what was said since this person last read the room (on any protocol), or else
        the room's last lines; having seen them, the read position moves to the newest."""
        try:
            read = await self.session.read_marker(room)
            missed, complete = await self.session.catch_up.recover(room, Ref(time=read), SINCE_LIMIT) \
                if read is not None else ([], True)
            messages = missed or await history.latest(casefold(room), self.factory.replay_lines)
        except errors.ChatError:
            live([])
            return  # left (or was kicked out of) the room meanwhile
        messages = live(messages)  # what came live meanwhile is not shown twice
        missed = messages if missed else []
        if not messages or self.closing:
            return
        if missed:
            more = "" if complete else f" (the last {len(missed)}; older ones are not shown)"
            self.say(f"{room}: {len(missed)} new since you left{more}")
        else:
            self.say(f"{room}: the last {len(messages)} messages")
        for message in messages:
            self.deliver(self.encode(message))
        if self.session.user is not None and casefold(room) in self.session.user.rooms:
            await self.session.mark_read(room, messages[-1].time)

    def cmd_part(self, rest: str) -> None:
        name, _, reason = rest.partition(" ")
        if not name or name[0] not in ROOM_PREFIXES:
            name, reason = self.current or "", rest
        if not name:
            self.say("You are in no room.")
            return
        self._read_until_now([name])
        self.session.part(name, reason.strip())
        if self.current and casefold(self.current) == casefold(name):
            rooms = list(self.session.me().rooms.values())
            self.current = rooms[-1].name if rooms else None
            if self.current:
                self.say(f"Current room is now {self.current}")

    def _read_until_now(self, rooms: Sequence[str]) -> None:
        """A terminal has no read tracking of its own: someone signed in has read a room up to when
        they leave it, so that coming back shows what was said since (on any protocol)."""
        user, network = self.session.user, self.factory.network
        if user is None or user.account is None or network.history is None:
            return
        now = network.clock()
        for room in rooms:
            if casefold(room) in user.rooms:
                spawn(network.messaging.store_read_marker(user.person, casefold(room), now), "telnet read marker")

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        if self.session.user is not None:  # before the session leaves the network with its rooms
            self._read_until_now([room.name for room in self.session.user.rooms.values()])
        super().connectionLost(reason)

    def cmd_msg(self, rest: str) -> None:
        target, _, text = rest.partition(" ")
        if not target or not text.strip():
            self.say("Usage: /msg nick text")
            return
        service = service_named(target)
        if service is not None:  # /msg NickServ IDENTIFY pw, as on IRC
            to_service(self, service, text)
            return
        sent = self.session.send(target, "privmsg", text.strip())
        if sent.offline:
            self.say(f"*** {sent.offline} is offline; your message waits for them")

    def cmd_me(self, rest: str) -> None:
        if rest:
            self._say_in_room(rest, "action")

    def cmd_nick(self, rest: str) -> None:
        if not rest:
            self.say(f"You are {self.session.nick}. Usage: /nick newnick")
            return
        self.run(self._rename(rest.split()[0]), "telnet nick change", self.internal_error)

    async def _rename(self, nick: str) -> None:
        try:
            await self.session.rename(nick)
        except errors.ChatError as error:
            self.say(error.describe())

    def cmd_names(self, rest: str) -> None:
        name = rest.split()[0] if rest else self.current
        if not name:
            self.say("Usage: /names #room")
            return
        room, members = self.session.members(name)
        people = ", ".join(
            f"{room.prefixes(m)}{m.nick} ({m.protocol}{', away' if m.away else ''})" for m in members
        )
        self.say(f"{room.name} ({len(members)}): {people}")

    def cmd_list(self, rest: str) -> None:
        rooms = self.session.rooms()
        if not rooms:
            self.say("No rooms yet: /join #room creates one.")
            return
        for room in rooms:
            self.say(f"{room.name} ({len(room.members)}) {room.topic}")

    def cmd_topic(self, rest: str) -> None:
        if not self.current:
            self.say("You are in no room.")
            return
        if rest:
            self.session.set_topic(self.current, rest)
            return
        room = self.factory.network.find_room(self.current)
        self.say(f"{self.current} topic: {room.topic}" if room and room.topic else f"{self.current} has no topic")

    def cmd_away(self, rest: str) -> None:
        away = self.session.set_away(rest)
        self.say(f"You are away: {away}" if away else "You are back.")

    def cmd_search(self, rest: str) -> None:
        target, _, words = rest.partition(" ")
        if not target.startswith("#"):
            target, words = "", rest
        if not words.strip():
            self.say("Usage: /search [#room] words")
            return
        self.run(self._search(words, target or None), "telnet search", self.internal_error)

    async def _search(self, words: str, target: Optional[str]) -> None:
        try:
            found = await self.session.search(words, target, 20)
        except errors.ChatError as error:
            self.say(error.describe())
            return
        self.say(f"{len(found)} messages with {words!r}" + (", newest last:" if found else "."))
        for message in reversed(found):
            self.deliver(self.encode(message))

    def cmd_colors(self, rest: str) -> None:
        choice = rest.strip().lower()
        if choice not in ("on", "off"):
            self.say(f"Colours are {'on' if self.colors else 'off'}. Usage: /colors on|off")
            return
        self.colors = choice == "on"
        self.format_key = ("telnet", self.colors)
        self.say(f"Colours {choice}.")

    def cmd_help(self, rest: str) -> None:
        self.say(HELP + "\n" + staff.HELP)

    def cmd_quit(self, rest: str) -> None:
        self.close(f"Quit: {rest}" if rest else "Quit")


COMMANDS: dict[str, Callable[[TelnetConnection, str], None]] = {
    name[4:]: getattr(TelnetConnection, name) for name in dir(TelnetConnection) if name.startswith("cmd_")
}
COMMANDS.update(staff.COMMANDS)

TelnetFactory.connection_class = TelnetConnection
