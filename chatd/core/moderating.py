"""The part of a :class:`~chatd.core.session.Session` for keeping order: room lists and
registration, and what server operators may do (OPER, KILL, KLINE, WALLOPS).

It lives apart only to keep each module readable; the rules themselves are
the network's (:mod:`.roomrules`, :mod:`.operators`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Optional, Protocol

from . import errors, text
from .modes import LIST_MODES

if TYPE_CHECKING:
    from .directory import Room, User
    from .events import ServerBan
    from .moderation import ListEntry
    from .network import Network

#: A KLINE duration: minutes (IRC's convention) or with a unit, "90s", "2h", "7d"; 0 or none: forever.
DURATION = re.compile(r"(\d{1,7})([smhdw]?)", re.IGNORECASE)
_UNITS = {"": 60, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str) -> Optional[float]:
    match = DURATION.fullmatch(value.strip().lower())
    if match is None:
        raise errors.ChatError(value[:20], "Durations look like 30 (minutes), 90s, 2h, 7d or 0 (forever)")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    return float(seconds) or None


class Moderator(Protocol):
    """What moderation reads of the session it serves."""

    network: Network
    certfp: Optional[str]

    def me(self) -> User: ...


class Moderation:
    """A session's collaborator (``session.moderation``) for running rooms and the server."""

    __slots__ = ("session",)  # one per connection: kept small

    def __init__(self, session: Moderator) -> None:
        self.session = session

    @property
    def network(self) -> Network:
        return self.session.network

    def me(self) -> User:
        return self.session.me()

    @staticmethod
    def _name(name: str) -> str:
        return text.checked(name, "name")

    def room_list(self, name: str, letter: str) -> list[ListEntry]:
        if letter not in LIST_MODES:
            raise errors.UnknownMode(letter)
        return self.network.room_rules.room_list(self.me(), self._name(name), letter)

    def register_room(self, name: str) -> Room:
        return self.network.room_rules.register_room(self.me(), self._name(name))

    def manage_room(self, name: str) -> Room:
        """The room whose hooks the caller may make and remove: an operator of it, logged in
        (hooks outlive the connection; they are made in an account's name)."""
        room = self.network.directory.op_room(self.me(), self._name(name))
        if self.me().account is None:
            raise errors.NotLoggedIn(room.name)
        return room

    async def oper(self, name: str, password: str) -> str:
        """Become a server operator (user mode +o) with a name and password from the configuration."""
        user = self.me()
        record = await self.network.operators.oper_up(user, text.checked(name, "name"), password, self.session.certfp)
        if self.network.users.get(user.folded) is user:
            self.network.people.set_user_modes(user, user.modes | {"o"})
        return record.name

    def kill(self, nick: str, reason: str) -> User:
        return self.network.operators.kill(self.me(), text.checked(nick, "nick"), text.line(reason, "reason", 300))

    def server_ban(self, mask: str, duration: str, reason: str) -> tuple[ServerBan, int]:
        mask = text.checked(mask, "mask")
        if not mask or " " in mask or len(mask) > 200:
            raise errors.ChatError("", "A ban mask is nick!user@host (globs allowed) or a:account")
        return self.network.operators.add_server_ban(self.me(), mask, parse_duration(duration),
                                           text.line(reason, "reason", 300))

    def lift_server_ban(self, mask: str) -> Any:
        return self.network.operators.remove_server_ban(self.me(), text.checked(mask, "mask"))

    def require_oper(self) -> None:
        """Only a server operator (user mode +o) may go on (REHASH, ...)."""
        self.network.operators.require_oper(self.me())

    def wallops(self, message: str) -> int:
        value = text.message(message)
        if not value.strip():
            raise errors.NoText("WALLOPS")
        return self.network.operators.wallops(self.me(), value)
