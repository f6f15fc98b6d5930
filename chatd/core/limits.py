"""Name rules and size limits that every protocol shares.

They live in the core because a nick taken over IRC must be valid for a
browser user too; adapters advertise them (IRC's ISUPPORT, the web
``welcome`` frame) instead of keeping their own copies.
"""

from __future__ import annotations

import re

import attrs

#: Nicks nobody may take, on any protocol, guest or account: the network's services answer to
#: them (NickServ, ChanServ) or, on other networks, do (so a user cannot pose as one), compared folded.
SERVICE_NICKS = frozenset({"nickserv", "chanserv", "operserv", "memoserv", "hostserv", "botserv",
                           "saslserv", "global", "services"})


@attrs.frozen
class Limits:
    nicklen: int = 30
    channellen: int = 50
    topiclen: int = 390
    awaylen: int = 390
    kicklen: int = 390
    max_rooms_per_user: int = 50
    textlen: int = 510  # characters: the most one IRC line can carry
    keylen: int = 32
    multiline_lines: int = 24  # lines in one multi-line message (IRCv3 draft/multiline)
    multiline_bytes: int = 4096  # bytes of text in one multi-line message
    whowas: int = 1000  # departed nicks remembered for WHOWAS
    monitor: int = 100  # nicks one client may MONITOR
    new_rooms_per_minute: int = 10  # rooms one person may create per minute (0: no bound)
    #: Messages one person may leave per hour for an offline account (ten times that reach one account).
    offline_messages: int = 30
    max_rooms: int = 10000  # rooms on the network (0: no bound)
    room_idle: float = 7 * 86400.0  # seconds an empty unregistered room keeps its modes before it goes
    nick_grace: float = 30.0  # seconds a guest may hold a registered nick before being renamed (0: refused)
    #: Connections one logged-in person may have at once under one nick (multiclient; 1: one, as guests).
    devices_per_account: int = 10

    def valid_nick(self, nick: str) -> bool:
        return len(nick) <= self.nicklen and bool(_NICK.fullmatch(nick))

    def valid_key(self, key: str) -> bool:
        """A room key JOIN can match: no spaces, commas or controls, not starting with ":"."""
        return 0 < len(key) <= self.keylen and not _KEY_FORBIDDEN.search(key) and not key.startswith(":")

    def valid_room(self, name: str) -> bool:
        return (
            1 < len(name) <= self.channellen
            and name[0] in ROOM_PREFIXES
            and not _ROOM_FORBIDDEN.search(name)
        )


ROOM_PREFIXES = "#"
# RFC 2812 nicks: a letter or special first, then letters, digits, specials, "-".
_NICK = re.compile(r"[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]*")
_ROOM_FORBIDDEN = re.compile(r"[\x00\x07\r\n ,:]")
_KEY_FORBIDDEN = re.compile(r"[\x00-\x20,\x7f]")
