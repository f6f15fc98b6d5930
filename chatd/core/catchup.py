"""Catching up: what a person missed, read from history for a connection that comes back.

Three questions an adapter asks when someone returns: the direct messages kept for their account
while they were offline (:meth:`CatchUp.missed_direct`), what was said in a room after the last
message a client saw (:meth:`CatchUp.recover`), and, while a join reads history, which messages
came live meanwhile so none is shown twice (:meth:`CatchUp.note_live`). Each connection's
:class:`~chatd.core.session.Session` holds one, as ``session.catch_up``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional, Protocol, Sequence

from . import text
from .casemap import casefold
from .history import Ref

if TYPE_CHECKING:
    from .directory import User
    from .history import Message
    from .network import Network


class Reader(Protocol):
    """What catching up needs of a session (chatd.core.session.Session), without importing it."""

    network: Network
    account: Optional[str]

    def me(self) -> User: ...

    def history_key(self, target: str) -> str: ...

    async def mark_read(self, target: str, until: float) -> float: ...


#: Unread direct messages shown on signing in, at most, and how far back.
MISSED_LIMIT = 100
MISSED_DAYS = 30.0


class CatchUp:
    def __init__(self, session: Reader) -> None:
        self.session = session

    async def missed_direct(self, limit: int = MISSED_LIMIT, days: float = MISSED_DAYS) -> list[Message]:
        """What others wrote to this account that it has not read (past its read marker of each
        direct conversation), oldest first: what was kept while it was offline, for clients that
        do not fetch history themselves. At most ``limit`` messages of the last ``days`` days."""
        store = self.session.network.history
        if self.session.account is None or store is None:
            return []
        me = "a:" + casefold(self.session.account)
        now = self.session.network.clock()
        found: list[Message] = []
        for conversation in await store.targets(me, [], now - days * 86400, now + 1, 100):
            read = await self.session.network.messaging.read_marker(me, casefold(conversation.name))
            if read is not None and conversation.latest <= read:
                continue
            after = Ref(time=max(read or 0.0, now - days * 86400))
            for message in await store.latest(conversation.key, limit, after=after):
                peers = getattr(message, "peers", None)
                if peers is not None and peers[0] != me:
                    found.append(message)
        found.sort(key=lambda message: message.id)
        return found[-limit:]

    async def shown(self, messages: Sequence[Message]) -> None:
        """The missed direct messages were shown (IRC without chathistory, telnet): each of their
        conversations counts as read up to the newest, so the next sign-in does not show them again."""
        newest: dict[str, float] = {}
        for message in messages:
            newest[message.sender.nick] = max(newest.get(message.sender.nick, 0.0), message.time)
        for nick, until in newest.items():
            await self.session.mark_read(nick, until)

    async def recover(self, target: str, since: Ref, limit: int) -> tuple[Sequence[Message], bool]:
        """What this person missed in ``target`` after ``since`` (the last message id they saw, or
        a time): the newest ``limit`` messages after it, and whether that is all of them (the
        ``recovered`` flag: False when the point is unknown or more was said than fits)."""
        store = self.session.network.history
        if store is None:
            return [], False
        key = self.session.history_key(target)
        if since.msgid is not None and await store.find(key, since.msgid) is None:
            return list(await store.latest(key, limit)), False
        found = list(await store.latest(key, limit + 1, after=since))
        return (found[1:], False) if len(found) > limit else (found, True)

    def note_live(self, target: str) -> Callable[[Sequence[Message]], list[Message]]:
        """Start noting the room messages of ``target`` this connection gets live, for a join that
        reads history meanwhile; the returned function (call it once, with what was read) stops
        noting and leaves out what already came live, so no message shows twice. Without it a
        message said while the store is read arrives live and again in the join's history."""
        room = self.session.network.find_room(text.checked(target, "name"))
        user = self.session.me()
        seen: set[str] = set()
        if room is not None:
            room.catching_up[user] = seen

        def without(found: Sequence[Message]) -> list[Message]:
            if room is not None and room.catching_up.get(user) is seen:
                del room.catching_up[user]
            return [message for message in found if message.id not in seen]
        return without
