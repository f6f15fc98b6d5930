"""What the author of a message may do to it afterwards: remove it (IRCv3 draft/message-redaction)
or correct it (an edit: a new message carrying ``+draft/edit=<msgid>``).

Both find the message where the person may read (a room they are in, a conversation of theirs)
and check who wrote it.  A message sent while logged in belongs to that account, whoever holds
the nick now; a guest's belongs to the nick.  The ``+draft/edit`` tag is the server's word:
:meth:`Session._tags <chatd.core.session.Session._tags>` drops it from what clients send, so an
edit can only come from here, after the check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from . import errors, text
from .casemap import casefold
from .history import target_key
from .limits import ROOM_PREFIXES

if TYPE_CHECKING:
    from .directory import User
    from .network import Network

EDIT_TAG = "+draft/edit"


def written_by(message: Any, user: User) -> bool:
    """Whether ``user`` wrote ``message`` (by account when it was sent logged in, else by nick)."""
    account = message.sender.account
    if account is not None:
        return user.account is not None and casefold(account) == casefold(user.account)
    return casefold(message.sender.nick) == user.folded


class Author(Protocol):
    """What :class:`Authored` needs of the session it serves."""

    network: Network
    user: Any

    def me(self) -> User: ...
    def history_key(self, target: str) -> str: ...
    def _name(self, target: str) -> str: ...
    def _line(self, value: str, limit: int, what: str) -> str: ...
    def _text(self, value: str, target: str, multiline: bool) -> str: ...
    def _send(self, user: User, target: str, kind: str, value: str, tags: Any) -> Any: ...


class Authored:
    def __init__(self, session: Author) -> None:
        self.session = session

    async def _find(self, target: str, msgid: str, reactions: bool) -> tuple[Any, bool]:
        """The message ``msgid`` of ``target`` and whether it is stored (reactions never are)."""
        session = self.session
        key = session.history_key(target)  # rooms: members only
        store = session.network.history
        message = await store.find(key, msgid) if store is not None else None
        if message is not None:
            return message, True
        if reactions:  # a TAGMSG (a reaction) is never stored, but the latest are remembered
            message = session.network.messaging.recent_tags.get(msgid)
            if message is not None and target_key(message) == key:
                return message, False
        raise errors.UnknownMessage(f"{target} {text.printable(msgid)[:64]}")

    async def redact(self, target: str, msgid: str, reason: str = "") -> None:
        """Remove a message: one's own, or any in a room one operates; history forgets it too."""
        session = self.session
        user = session.me()
        target = session._name(target)
        reason = session._line(reason, session.network.limits.kicklen, "reason")
        message, stored = await self._find(target, msgid, reactions=True)
        room = session.network.find_room(target) if target[:1] in ROOM_PREFIXES else None
        if not written_by(message, user) and not (room is not None and room.is_op(user)):
            raise errors.RedactForbidden(f"{target} {msgid}")
        if stored:
            store = session.network.history
            assert store is not None
            await store.remove(session.history_key(target), msgid)
        if session.user is user:
            session.network.messaging.redact(user, target, msgid, reason)

    async def edit(self, target: str, msgid: str, value: str) -> Any:
        """Say ``value`` as the new text of one's own message ``msgid``: a message of the same kind,
        tagged ``+draft/edit=<msgid>`` (clients that know the tag replace the old text; others
        show the corrected line).  Returns what :meth:`Session.send` does."""
        session = self.session
        user = session.me()
        target = session._name(target)
        message, _ = await self._find(target, msgid, reactions=False)
        if not written_by(message, user):
            raise errors.EditForbidden(f"{target} {msgid}")
        original = message.tags and dict(message.tags).get(EDIT_TAG)
        value = session._text(value, target, message.kind != "action")
        return session._send(user, target, message.kind, value, ((EDIT_TAG, original or msgid),))
