"""How the network tells the world what happened, without knowing who listens.

The network changes its own state and fans events out to its members; then it
hands the change to its :class:`Publisher`.  On one node that is
:class:`LocalPublisher`: there is nobody else to tell, and a message is
delivered here and written to history.  In cluster mode the Redis bridge
(``chatd.cluster``) implements the same interface: it tells the other nodes,
and it decides how messages travel (through Redis, for one order per room,
or locally while Redis is away).  The core therefore holds no cluster branch.

Users held by other nodes are ordinary :class:`User` objects whose client is a
:class:`RemoteClient`, so NAMES, WHO, LIST and membership rules work the same
for everyone; fan-out skips them because they encode nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Optional, Protocol, Sequence

if TYPE_CHECKING:
    from .events import DirectMessage, Event, RoomMessage
    from .messages import Sent
    from .moderation import ServerBan
    from .network import Network
    from .rooms import ModeChange, Room
    from .users import User


class RemoteClient:
    """Stands in for a connection held by another node: delivers nothing here."""

    format_key = ("remote",)
    echo_messages = False
    immediate = False
    behind = False

    def __init__(self, node: str) -> None:
        self.node = node

    def encode(self, event: Event) -> None:
        return None

    def deliver(self, payload: object) -> None:  # pragma: no cover - encode() returns None
        pass

    def combine(self, payloads: list[object]) -> object:  # pragma: no cover - nothing to combine
        return payloads

    def hold_input(self, hold: bool) -> None:
        pass  # its own node reads its socket

    def disconnect(self, reason: str) -> None:
        pass


def is_remote(user: User) -> bool:
    return isinstance(user.client, RemoteClient)


def home_of(user: User) -> str:
    """The node holding ``user``'s connection, or "" for this one."""
    return user.client.node if isinstance(user.client, RemoteClient) else ""


class Publisher(Protocol):
    """What the network needs from whoever carries its changes beyond this process."""

    def bind(self, network: Network) -> None:
        """Called once by the network it serves."""

    def reserve(self, folded_nick: str) -> Awaitable[bool]:
        """Claim a nick beyond this process; False if someone else holds it."""

    def release(self, folded_nick: str) -> None: ...
    def user_added(self, user: User) -> None: ...
    def user_quit(self, user: User, reason: str) -> None: ...
    def nick_changed(self, user: User, old_nick: str) -> None: ...
    def away_changed(self, user: User) -> None: ...
    def user_changed(self, user: User) -> None: ...
    def joined(self, user: User, room: Room) -> None: ...
    def parted(self, user: User, room: Room, reason: str) -> None: ...
    def kicked(self, by: User, room: Room, target: User, reason: str) -> None: ...
    def topic_changed(self, room: Room) -> None: ...
    def modes_changed(self, by: User, room: Room, changes: Sequence[ModeChange]) -> None: ...
    def room_changed(self, room: Room) -> None:
        """The room was registered: other nodes take over its kept state (founder, operators)."""

    def server_ban(self, ban: ServerBan, added: bool) -> None:
        """A server ban was added (or lifted): other nodes apply it too."""

    def kill(self, victim: User, reason: str) -> None:
        """Disconnect a user another node holds."""

    def wallops(self, by: User, text: str) -> int:
        """Tell other nodes' +w users; returns how many were reached here (0)."""
    def invited(self, by: User, target: User, room_name: str) -> None: ...
    def redacted(self, by: User, target: str, msgid: str, reason: str) -> None: ...
    def read_moved(self, person: str, target: str, until: float) -> None: ...

    def room_message(self, message: RoomMessage) -> Sent:
        """Carry a room message to its members; ``Sent.durable`` fires once it is stored."""

    def direct_message(self, message: DirectMessage, target: Optional[User]) -> Sent:
        """Carry a direct message to ``target`` (and the sender's echo); with None the addressee is
        an account nobody is connected to: the message is only stored, for them to find."""


class LocalPublisher:
    """One process, one network: nobody else to tell; messages go straight out."""

    network: Optional[Network] = None

    def bind(self, network: Network) -> None:
        self.network = network

    async def reserve(self, folded_nick: str) -> bool:
        return True

    def release(self, folded_nick: str) -> None:
        pass

    def user_added(self, user: User) -> None:
        pass

    def user_quit(self, user: User, reason: str) -> None:
        pass

    def nick_changed(self, user: User, old_nick: str) -> None:
        pass

    def away_changed(self, user: User) -> None:
        pass

    def user_changed(self, user: User) -> None:
        pass

    def joined(self, user: User, room: Room) -> None:
        pass

    def parted(self, user: User, room: Room, reason: str) -> None:
        pass

    def kicked(self, by: User, room: Room, target: User, reason: str) -> None:
        pass

    def topic_changed(self, room: Room) -> None:
        pass

    def modes_changed(self, by: User, room: Room, changes: Sequence[ModeChange]) -> None:
        pass

    def room_changed(self, room: Room) -> None:
        pass

    def server_ban(self, ban: ServerBan, added: bool) -> None:
        pass

    def kill(self, victim: User, reason: str) -> None:
        pass

    def wallops(self, by: User, text: str) -> int:
        return 0

    def invited(self, by: User, target: User, room_name: str) -> None:
        pass

    def redacted(self, by: User, target: str, msgid: str, reason: str) -> None:
        pass

    def read_moved(self, person: str, target: str, until: float) -> None:
        pass

    def room_message(self, message: RoomMessage) -> Sent:
        assert self.network is not None
        return self.network.deliver_and_record(message)

    def direct_message(self, message: DirectMessage, target: Optional[User]) -> Sent:
        assert self.network is not None
        return self.network.deliver_and_record(message)
