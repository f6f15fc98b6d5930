"""What happens in the network: one frozen, typed record per change.

A rule checks a request, builds the record of the change, and commits it
(:meth:`~chatd.core.network.Network.commit`): the change is applied to this
node's state by :mod:`.changes` (the same step applies a record another node
sent), the local recipients get it (fan-out encodes each record once per
wire format), and the sinks get it (MONITOR watchers; for changes made here
also the cluster, webhooks).  :mod:`.codec` turns any record into JSON and
back for the cluster, so a new change kind is a class here, its rule, its
apply step and the renderers that show it.

Records hold no live objects: identities are snapshots taken when the change
happened, so one record can be handed to every recipient and to another node.
"""

from __future__ import annotations

from typing import Any, Optional, Union

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
    #: The connection it was sent from (:func:`.devices.new_origin`), on the node where it was sent:
    #: the sender's other connections get it as an echo, that one only if it asked for echoes.
    origin: str = attrs.field(default="", eq=False)


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
    origin: str = attrs.field(default="", eq=False)  # as for RoomMessage


@attrs.frozen
class Connected:
    """Someone registered on the network (or, from another node, their current state)."""

    time: float
    who: Identity
    away: Optional[str] = None
    signon: float = 0.0
    modes: str = ""  # user modes, sorted


@attrs.frozen
class Joined:
    time: float
    room: str
    who: Identity
    away: Optional[str] = None  # away-notify clients learn it with the join
    status: str = ""  # the member's status letters in the room ("o" for whoever created it)
    created: float = 0.0  # when the room was created, for a node that has not seen it yet


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
    rooms: tuple[str, ...] = ()  # the rooms they were in


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
    modes: str = ""  # the user modes now, sorted


@attrs.frozen
class AccountChanged:
    """Someone logged in to an account (``who.account``) or out (None): IRCv3 account-notify."""

    time: float
    who: Identity


@attrs.frozen
class HostChanged:
    """The host others see of someone changed (a login or logout with account cloaks): ``who`` is
    the identity now, ``old_host`` the host before (IRCv3 chghost names the user by it)."""

    time: float
    who: Identity
    old_host: str


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


@attrs.frozen
class RoomStateChanged:
    """What a room keeps changed outside its modes (registration, its operators by account)."""

    time: float
    room: str
    state: dict[str, Any]


@attrs.frozen
class ServerBan:
    """A server ban (KLINE): a mask (``nick!user@host`` globs, or ``a:account``) kept out of the server."""

    mask: str
    reason: str
    set_by: str
    created: float
    expires: Optional[float] = None  # seconds since the epoch; None: never

    def active(self, now: float) -> bool:
        return self.expires is None or now < self.expires


@attrs.frozen
class ServerBanChanged:
    """A server ban was set (``added``) or lifted; ``ban`` as it was set."""

    time: float
    ban: ServerBan
    added: bool


@attrs.frozen
class Killed:
    """A server operator disconnects ``target``; the node holding them does it."""

    time: float
    who: Identity
    target: str
    reason: str


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
    HostChanged,
    Wallops,
    Redacted,
    ReadMarked,
    Connected,
    RoomStateChanged,
    ServerBanChanged,
    Killed,
]
#: Every record is an event: the word used where a change is meant rather than something shown.
Record = Event
