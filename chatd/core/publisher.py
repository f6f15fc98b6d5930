"""How the network tells the world what happened, without knowing who listens.

A rule commits a record (:meth:`~chatd.core.network.Network.commit`); once
this node has applied it, the record goes to the network's
:class:`Publisher`.  On one node that is :class:`LocalPublisher`: there is
nobody else to tell, and a message is delivered here and written to history.
In cluster mode the Redis bridge (``chatd.cluster``) implements the same
interface: it keeps the shared state in Redis, sends the record to the other
nodes (which apply it through the same step), and decides how messages
travel (through Redis, for one order per room, or locally while Redis is
away).  The core therefore holds no cluster branch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Optional, Protocol, Union

import attrs

from .events import DirectMessage, Record, RoomMessage

if TYPE_CHECKING:
    from .directory import User


@attrs.frozen
class Sent:
    """A message the network accepted.

    ``durable`` fires once history has it: with the message as stored (or
    True), or with False when it could not be stored; it never fails."""

    message: Union[RoomMessage, DirectMessage]
    durable: Optional[Awaitable[Any]] = None
    offline: str = ""  # to an account with no connection (its name): stored for them, not delivered


class Publisher(Protocol):
    """What the network needs from whoever carries its changes beyond this process."""

    def bind(self, network: Any) -> None:
        """Called once by the :class:`~chatd.core.network.Network` it serves."""

    def reserve(self, folded_nick: str) -> Awaitable[bool]:
        """Claim a nick beyond this process; False if someone else holds it."""

    def release(self, folded_nick: str) -> None: ...

    def publish(self, record: Record) -> None:
        """A change made here, already applied here: tell whoever else must apply it."""

    def room_message(self, message: RoomMessage) -> Sent:
        """Carry a room message to its members; ``Sent.durable`` fires once it is stored."""

    def direct_message(self, message: DirectMessage, target: Optional[User]) -> Sent:
        """Carry a direct message to ``target`` (and the sender's echo); with None the addressee is
        an account nobody is connected to: the message is only stored, for them to find."""

    def take_over(self, user: User, account: str) -> Awaitable[Optional[dict[str, Any]]]:
        """If ``user`` (logged in to ``account``) is another node's, ask it to hand them over (an
        always-on person with no connection there): their kept entry (:mod:`.staying`) once that
        node has let them go; None if they are this node's or it did not answer; raises
        :class:`~.errors.NickInUse` if they are connected there."""


class LocalPublisher:
    """One process, one network: nobody else to tell; messages go straight out."""

    network: Any = None

    def bind(self, network: Any) -> None:
        self.network = network

    async def reserve(self, folded_nick: str) -> bool:
        return True

    def release(self, folded_nick: str) -> None:
        pass

    def publish(self, record: Record) -> None:
        pass

    def room_message(self, message: RoomMessage) -> Sent:
        sent: Sent = self.network.messaging.deliver_and_record(message)
        return sent

    def direct_message(self, message: DirectMessage, target: Optional[User]) -> Sent:
        sent: Sent = self.network.messaging.deliver_and_record(message)
        return sent

    async def take_over(self, user: User, account: str) -> Optional[dict[str, Any]]:
        return None  # one process: nobody is another node's
