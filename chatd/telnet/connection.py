"""A person on a plain terminal (telnet, nc): nick prompt, then slash commands.

A plain line goes to the current room (the one joined last, or picked with
``/join``).  Everything a telnet user does goes through the same core calls
as IRC, so IRC users see them as an ordinary member.
"""

from __future__ import annotations

from typing import Callable, Optional

from ..core import ROOM_PREFIXES, User, casefold, errors
from ..core.events import Event
from ..net.connection import LineConnection, LineFactory
from . import render
from .negotiation import TelnetFilter

HELP = """Commands:
  /join #room [key]   join a room (it becomes your current room)
  /part [#room] [why] leave a room
  /msg nick text      send a private message
  /me action          act in the current room
  /nick newnick       change your nick
  /names [#room]      who is in a room
  /list               rooms and their sizes
  /topic [text]       show or set the current room's topic
  /away [message]     mark yourself away (no message: back)
  /help               this text
  /quit [message]     leave the chat
A line without a leading / goes to your current room."""


class TelnetFactory(LineFactory):
    #: Lines of a room's history shown on join.
    replay_lines = 10


class TelnetConnection(LineConnection):
    protocol_name = "telnet"
    factory: TelnetFactory
    max_line_bytes = 1024
    format_key = ("telnet",)
    echo_messages = True

    def __init__(self) -> None:
        super().__init__()
        self.user: Optional[User] = None
        self.current: Optional[str] = None
        self.filter = TelnetFilter()
        self.registering = False

    # -- the core's Client interface -------------------------------------------

    def encode(self, event: Event) -> Optional[bytes]:
        return render.render(event)

    def deliver(self, payload: object) -> None:
        self.write(payload)  # type: ignore[arg-type]

    def disconnect(self, reason: str) -> None:
        self.close(reason)

    # -- plumbing ----------------------------------------------------------------

    def say(self, text: str) -> None:
        self.write(("".join(f"*** {line}\r\n" for line in text.split("\n"))).encode("utf-8"))

    def dataReceived(self, data: bytes) -> None:
        super().dataReceived(self.filter.feed(data))

    def connection_opened(self) -> None:
        network = self.factory.network
        self.say(f"Welcome to {network.network_name} ({network.server_name}).")
        self.say("Pick a nick:")

    def connection_closed(self, reason: str) -> None:
        if self.user is not None:
            user, self.user = self.user, None
            self.factory.network.quit(user, reason)

    def say_goodbye(self, reason: str) -> None:
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
        if self.user is None:
            self._pick_nick(text)
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
            self.say(f"{error.target}: {error.message}" if error.target else error.message)

    def _pick_nick(self, nick: str) -> None:
        if self.registering:
            return
        self.registering = True
        self.factory.network.connect_when_free(
            self, nick, "telnet", self.address, nick, "telnet",
            lambda: not self.closing, lambda user, error: self._picked(nick, user, error),
        )

    def _picked(self, nick: str, user: Optional[User], error: Optional[errors.ChatError]) -> None:
        self.registering = False
        if error is not None:
            self.say(f"{nick}: {error.message}. Pick another nick:")
            return
        self.user = user
        self.say(f"Hello {nick}. /join #room to enter a room, /list to see rooms, /help for commands.")

    def _say_in_room(self, text: str, kind: str) -> None:
        assert self.user is not None
        if self.current is None:
            self.say("You are in no room: /join #room first.")
            return
        self.factory.network.send_room(self.user, self.current, kind, text)

    # -- commands ----------------------------------------------------------------

    def cmd_join(self, rest: str) -> None:
        assert self.user is not None
        name, _, key = rest.partition(" ")
        if not name:
            self.say("Usage: /join #room [key]")
            return
        if name[0] not in ROOM_PREFIXES:
            name = ROOM_PREFIXES[0] + name
        room = self.factory.network.join(self.user, name, key.strip() or None)
        if room is None:
            room = self.factory.network.find_room(name)
        assert room is not None
        self.current = room.name
        if room.topic:
            self.say(f"{room.name} topic: {room.topic}")
        self.cmd_names(room.name)
        history = self.factory.network.history
        if history is not None and self.factory.replay_lines > 0:
            d = history.latest(casefold(room.name), self.factory.replay_lines)
            d.addCallback(self._replay, room.name)

    def _replay(self, messages: list, room: str) -> None:
        if messages and not self.closing:
            self.say(f"{room}: the last {len(messages)} messages")
            for message in messages:
                self.write(render.render(message))

    def cmd_part(self, rest: str) -> None:
        assert self.user is not None
        name, _, reason = rest.partition(" ")
        if not name or name[0] not in ROOM_PREFIXES:
            name, reason = self.current or "", rest
        if not name:
            self.say("You are in no room.")
            return
        self.factory.network.part(self.user, name, reason.strip())
        if self.current and self.current.lower() == name.lower():
            rooms = list(self.user.rooms.values())
            self.current = rooms[-1].name if rooms else None
            if self.current:
                self.say(f"Current room is now {self.current}")

    def cmd_msg(self, rest: str) -> None:
        assert self.user is not None
        target, _, text = rest.partition(" ")
        if not target or not text.strip():
            self.say("Usage: /msg nick text")
            return
        if target[0] in ROOM_PREFIXES:
            self.factory.network.send_room(self.user, target, "privmsg", text.strip())
        else:
            self.factory.network.send_direct(self.user, target, "privmsg", text.strip())

    def cmd_me(self, rest: str) -> None:
        if rest:
            self._say_in_room(rest, "action")

    def cmd_nick(self, rest: str) -> None:
        assert self.user is not None
        if not rest:
            self.say(f"You are {self.user.nick}. Usage: /nick newnick")
            return
        user = self.user
        self.factory.network.rename_when_free(
            user, rest.split()[0], lambda: self.user is user and not self.closing,
            lambda failure: self.say(f"{failure.target}: {failure.message}"),
        )

    def cmd_names(self, rest: str) -> None:
        name = rest.split()[0] if rest else self.current
        if not name:
            self.say("Usage: /names #room")
            return
        room = self.factory.network.find_room(name)
        if room is None:
            raise errors.NoSuchRoom(name)
        people = ", ".join(
            f"{room.prefixes(m)}{m.nick} ({m.protocol}{', away' if m.away else ''})" for m in room.members
        )
        self.say(f"{room.name} ({len(room.members)}): {people}")

    def cmd_list(self, rest: str) -> None:
        rooms = sorted(self.factory.network.rooms.values(), key=lambda r: -len(r.members))
        if not rooms:
            self.say("No rooms yet: /join #room creates one.")
            return
        for room in rooms:
            self.say(f"{room.name} ({len(room.members)}) {room.topic}")

    def cmd_topic(self, rest: str) -> None:
        assert self.user is not None
        if not self.current:
            self.say("You are in no room.")
            return
        if rest:
            self.factory.network.set_topic(self.user, self.current, rest)
            return
        room = self.factory.network.find_room(self.current)
        self.say(f"{self.current} topic: {room.topic}" if room and room.topic else f"{self.current} has no topic")

    def cmd_away(self, rest: str) -> None:
        assert self.user is not None
        self.factory.network.set_away(self.user, rest or None)
        self.say(f"You are away: {rest}" if rest else "You are back.")

    def cmd_help(self, rest: str) -> None:
        self.say(HELP)

    def cmd_quit(self, rest: str) -> None:
        self.close(f"Quit: {rest}" if rest else "Quit")


COMMANDS: dict[str, Callable[[TelnetConnection, str], None]] = {
    name[4:]: getattr(TelnetConnection, name) for name in dir(TelnetConnection) if name.startswith("cmd_")
}

TelnetFactory.protocol = TelnetConnection
