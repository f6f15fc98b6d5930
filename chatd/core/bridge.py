"""How the core reaches other nodes of a cluster, without knowing Redis.

In cluster mode the network holds every user of every node: users of other
nodes are :class:`User` objects whose client is a :class:`RemoteClient`, so
NAMES, WHO, LIST and membership rules work the same for everyone.  Local
changes are applied at once and handed to the :class:`Bridge` to tell the
other nodes; what they tell us arrives through :mod:`chatd.core.replica`.

Room and direct messages are different: when the bridge is up the core does
not deliver them itself.  The bridge gives each room's messages one order
(in Redis) and every node, the sender's included, delivers what comes back,
so all members everywhere see the same order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, Protocol, Sequence

if TYPE_CHECKING:
    from .events import DirectMessage, Event, RoomMessage
    from .rooms import Room
    from .users import User


class RemoteClient:
    """Stands in for a connection held by another node: delivers nothing here."""

    format_key = ("remote",)
    echo_messages = False

    def __init__(self, node: str) -> None:
        self.node = node

    def encode(self, event: Event) -> None:
        return None

    def deliver(self, payload: object) -> None:  # pragma: no cover - encode() returns None
        pass

    def disconnect(self, reason: str) -> None:
        pass


class Bridge(Protocol):
    node: str

    @property
    def up(self) -> bool:
        """Whether messages can go through the cluster right now."""

    def reserve(self, folded_nick: str, done: Callable[[bool], None]) -> None:
        """Claim a nick for this node; ``done(False)`` if another node holds it."""

    def release(self, folded_nick: str) -> None: ...
    def user_added(self, user: User) -> None: ...
    def user_quit(self, user: User, reason: str) -> None: ...
    def nick_changed(self, user: User, old_nick: str) -> None: ...
    def away_changed(self, user: User) -> None: ...
    def joined(self, user: User, room: Room) -> None: ...
    def parted(self, user: User, room: Room, reason: str) -> None: ...
    def kicked(self, by: User, room: Room, target: User, reason: str) -> None: ...
    def topic_changed(self, room: Room) -> None: ...
    def modes_changed(self, by: User, room: Room, changes: Sequence[tuple[str, str, Optional[str]]]) -> None: ...
    def invited(self, by: User, target: User, room_name: str) -> None: ...

    def room_message(self, message: RoomMessage) -> Awaitable[Any]:
        """Send a room message through the cluster; fires with the message as stored."""

    def direct_message(self, message: DirectMessage, nodes: Sequence[str]) -> Awaitable[Any]:
        """Send a direct message to the nodes holding its two parties."""
