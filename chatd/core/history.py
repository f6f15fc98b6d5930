"""What the core needs from a history store, and the shapes it deals in.

The core records every room and direct message through a
:class:`HistoryStore` and asks it for pages of the past.  The embedded store
is SQLite (``chatd.history.sqlite``); in cluster mode a Redis-backed store
sits behind the same interface.  Methods return awaitables (Twisted Deferreds
in practice): the core never waits on disk itself.
"""

from __future__ import annotations

from typing import Any, Awaitable, Optional, Protocol, Sequence, Union

import attrs

from .casemap import casefold
from .events import DirectMessage, RoomMessage

Message = Union[RoomMessage, DirectMessage]


def dm_key(a: str, b: str) -> str:
    """The history target of a direct conversation: both persons (``User.person``), sorted."""
    first, second = sorted((a, b))
    return f"{first} {second}"


def person_name(person: str) -> str:
    """A nick to show for a person: the account's name, or the nick a guest connected with."""
    return person.rsplit(":", 1)[-1]


def target_key(message: Message) -> str:
    """Where a message is filed: the folded room name, or the pair of persons."""
    if isinstance(message, RoomMessage):
        return casefold(message.room)
    return dm_key(*message.peers)


@attrs.frozen
class Ref:
    """A point in a conversation: a message id, or a time (seconds)."""

    msgid: Optional[str] = None
    time: Optional[float] = None


@attrs.frozen
class RoomRecord:
    """A room as stored: it outlives its members."""

    name: str
    created: float
    topic: str = ""
    topic_by: str = ""
    topic_time: float = 0.0
    #: Modes, key, limit, lists and owners (``Room.state()``), kept across restarts.
    state: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class TargetSummary:
    """A conversation with activity, for CHATHISTORY TARGETS."""

    key: str
    name: str  # the room name, or the other party's nick
    latest: float


class HistoryStore(Protocol):
    def append(self, message: Message) -> Awaitable[Any]:
        """Store a message; the awaitable fires once it is durable.

        It never fails: a message that could not be stored fires with False
        (the store has logged why), so a sender that does not wait for
        durability (IRC, telnet) leaves no unhandled failure behind."""

    def latest(self, key: str, limit: int, after: Optional[Ref] = None) -> Awaitable[Sequence[Message]]:
        """The newest ``limit`` messages (newer than ``after``), oldest first."""

    def before(self, key: str, ref: Ref, limit: int) -> Awaitable[Sequence[Message]]:
        """Up to ``limit`` messages just before ``ref``, oldest first."""

    def after(self, key: str, ref: Ref, limit: int) -> Awaitable[Sequence[Message]]:
        """Up to ``limit`` messages just after ``ref``, oldest first."""

    def around(self, key: str, ref: Ref, limit: int) -> Awaitable[Sequence[Message]]:
        """About ``limit`` messages centred on ``ref``, oldest first."""

    def between(self, key: str, start: Ref, end: Ref, limit: int) -> Awaitable[Sequence[Message]]:
        """Messages strictly between two points, nearest ``start`` first taken, oldest first."""

    def targets(self, person: str, rooms: Sequence[str], start: float, end: float,
                limit: int) -> Awaitable[Sequence[TargetSummary]]:
        """Conversations of ``person`` (their DMs and the given rooms) active in a time range."""

    def find(self, key: str, msgid: str) -> Awaitable[Optional[Message]]:
        """The stored message with this id in this conversation, or None."""

    def remove(self, key: str, msgid: str) -> Awaitable[bool]:
        """Forget a message (it was redacted); True if there was one."""

    def search(self, words: Sequence[str], rooms: Sequence[str], person: Optional[str],
               limit: int) -> Awaitable[Sequence[Message]]:
        """Messages holding all ``words``, newest first: in the given rooms (folded names) and, when
        ``person`` is given, in their direct conversations."""

    def read_marker(self, person: str, target: str) -> Awaitable[Optional[float]]:
        """How far ``person`` has read ``target`` (a folded room or nick), or None."""

    def mark_read(self, person: str, target: str, when: float) -> Awaitable[float]:
        """Move the marker forward to ``when`` (never back); fires with the marker as stored."""

    def save_room(self, room: RoomRecord) -> Awaitable[Any]:
        """Remember a room and its topic; never fails (a failure is logged by the store)."""

    def load_rooms(self) -> Sequence[RoomRecord]:
        """Every stored room (called once at start-up, before listening)."""
