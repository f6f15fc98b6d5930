"""What happens in the network, as plain immutable records.

The core builds one event per happening and hands the same object to every
recipient's encoder, so events must not hold references to live objects:
identities are snapshots taken when the event happened.
"""

from __future__ import annotations

from typing import Optional, Union

import attrs


@attrs.frozen
class Identity:
    """Who someone was at the moment of an event."""

    nick: str
    user: str
    host: str
    realname: str
    protocol: str  # "irc", "telnet" or "web"
    bot: bool = False  # user mode +B: clients may show it (IRCv3 bot tag)
    account: Optional[str] = None  # the account logged in to (IRCv3 account-tag), None for a guest

    @property
    def mask(self) -> str:
        return f"{self.nick}!{self.user}@{self.host}"


Tags = tuple[tuple[str, str], ...]


@attrs.frozen
class RoomMessage:
    """A message to a room.

    ``kind`` is "privmsg", "notice", "action", or "tagmsg": only client tags
    (typing, a reaction), no text, delivered but never stored.  ``tags`` are
    the sender's client-only tags (``+draft/reply``, ``+typing``...), relayed
    to clients that take them (IRCv3 message-tags).
    """

    id: str
    time: float
    room: str
    sender: Identity
    kind: str
    text: str
    tags: Tags = ()


@attrs.frozen
class DirectMessage:
    """A message from one person to another (kinds and tags as for :class:`RoomMessage`).

    ``peers`` are the sender's and the recipient's persons (:attr:`User.person`):
    the conversation is filed under them, not under nicks, so whoever holds
    a nick later never reads it."""

    id: str
    time: float
    sender: Identity
    target: str
    kind: str
    text: str
    tags: Tags = ()
    peers: tuple[str, str] = ("", "")


@attrs.frozen
class Joined:
    time: float
    room: str
    who: Identity
    away: Optional[str] = None  # away-notify clients learn it with the join


@attrs.frozen
class Parted:
    time: float
    room: str
    who: Identity
    reason: str


@attrs.frozen
class Quit:
    time: float
    who: Identity
    reason: str


@attrs.frozen
class NickChanged:
    time: float
    who: Identity  # the identity under the old nick
    new_nick: str


@attrs.frozen
class TopicChanged:
    time: float
    room: str
    who: Identity
    topic: str


@attrs.frozen
class ModeChanged:
    """Room modes changed; ``changes`` is a tuple of (sign, letter, argument)."""

    time: float
    room: str
    who: Identity
    changes: tuple[tuple[str, str, Optional[str]], ...]


@attrs.frozen
class Kicked:
    time: float
    room: str
    who: Identity
    target: str
    reason: str


@attrs.frozen
class Redacted:
    """A message was removed (by its sender, or a room operator); ``target`` as it was addressed."""

    time: float
    target: str  # the room, or the nick a direct message went to
    who: Identity
    msgid: str
    reason: str


@attrs.frozen
class ReadMarked:
    """``person`` has read ``target`` (a room, or the other party's nick) up to ``until``."""

    time: float
    person: str
    target: str
    until: float


@attrs.frozen
class UserChanged:
    """Someone's real name (SETNAME) or user modes changed; ``who`` is the new identity."""

    time: float
    who: Identity
    realname_changed: bool


@attrs.frozen
class AccountChanged:
    """Someone logged in to an account (``who.account``) or out (None): IRCv3 account-notify."""

    time: float
    who: Identity


@attrs.frozen
class Wallops:
    """A message from a server operator to everyone with user mode +w."""

    time: float
    who: Identity
    text: str


@attrs.frozen
class AwayChanged:
    time: float
    who: Identity
    message: Optional[str]  # None: back


@attrs.frozen
class Invited:
    time: float
    room: str
    who: Identity
    target: str
    notice: bool = False  # True: the copy room members see (IRC invite-notify), not the invitation


Event = Union[
    RoomMessage,
    DirectMessage,
    Joined,
    Parted,
    Quit,
    NickChanged,
    TopicChanged,
    ModeChanged,
    Kicked,
    AwayChanged,
    Invited,
    UserChanged,
    AccountChanged,
    Wallops,
    Redacted,
    ReadMarked,
]
