"""Messages: sending to a room or a person, delivering what arrives, and how far each person has read.

:class:`Messaging` holds the rules of messages.  Sending checks the room's
rules and hands the message to the publisher, which carries it (messages
have their own path, not :meth:`Network.commit`: in a cluster they travel
through Redis streams for one order per room); delivering fans it out to the
recipients held here (the sender gets it back with echo-message).  Read
markers and redactions are ordinary records.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Awaitable, Callable, Iterable, Optional, Union

import attrs

from . import errors
from .accounts import Accounts
from .batching import TurnBatcher
from .casemap import casefold
from .delivery import fan_out
from .directory import Directory, User
from .events import DirectMessage, Event, ReadMarked, Record, Redacted, RoomMessage, Tags
from .history import HistoryStore
from .ids import MessageIdGenerator
from .publisher import Publisher, Sent
from .sinks import Sinks
from .stats import Stats
from .throttle import Throttle

#: TAGMSGs remembered for redaction (core/messages.py, ``recent_tags``).
RECENT_TAGS = 4096


class Messaging:
    def __init__(self, directory: Directory, history: Optional[HistoryStore], publisher: Publisher,
                 commit: Callable[[Record], Any], records: Sinks, stats: Stats, new_id: MessageIdGenerator,
                 accounts: Optional[Accounts], person_of: Callable[[str], str],
                 batcher: Optional[TurnBatcher], offline_messages: int) -> None:
        self.directory = directory
        self.history = history
        self.publisher = publisher
        self.commit = commit
        self.records = records
        self.stats = stats
        self.new_id = new_id
        self.accounts = accounts
        self.person_of = person_of
        self.batcher = batcher
        self.clock = directory.clock
        #: Room and direct messages said on this node, once each, for what reacts to their words
        #: (shared files follow their messages): whoever says it, wherever its addressees are.
        self.said = Sinks()
        #: Every message delivered here, once each, wherever it was said (push: judged where its
        #: addressees are held).
        self.delivered = Sinks()
        #: Read markers when there is no history store to keep them: (person, target) -> seconds.
        self.read_markers: dict[tuple[str, str], float] = {}
        #: history-durability = "before-delivery": others get a message once history has committed it.
        self.store_first = False
        #: Messages kept for accounts with no connection: per (sender, addressee), and per addressee.
        self.offline_throttle = Throttle(self.clock, offline_messages, 3600.0)
        self.offline_inbox = Throttle(self.clock, offline_messages * 10, 3600.0)
        #: The latest TAGMSGs delivered here (reactions, typing): never stored, but they may be redacted
        #: (a reaction taken back), so who sent what where is kept for a while, the oldest going first.
        self.recent_tags: OrderedDict[str, Union[RoomMessage, DirectMessage]] = OrderedDict()

    # -- messages ------------------------------------------------------------

    def send_room(self, user: User, name: str, kind: str, text: str, tags: Tags = (), origin: str = "") -> Sent:
        room = self.directory.room(name)
        if not room.can_speak(user):
            raise errors.CannotSend(room.name)
        now = self.clock()
        if kind != "tagmsg":
            user.last_active = now
            self.stats.messages[user.protocol] += 1
        message = RoomMessage(self.new_id(), now, room.name, user.identity, kind, text, tags, origin)
        sent = self.publisher.room_message(message)
        self.records.emit(message)
        self.said.emit(message)
        return sent

    def send_direct(self, user: User, nick: str, kind: str, text: str, tags: Tags = (), origin: str = "") -> Sent:
        target = self.directory.find_user(nick)
        # Addressed to a person: an account's nick held by a guest still leads to the account, and
        # what is sent to it waits in the account's history instead of reaching the guest.
        addressee, person = (target.nick, self.person_of(target.nick)) if target is not None \
            else self._offline_addressee(user, nick, kind)
        now = self.clock()
        if kind != "tagmsg":
            user.last_active = now
            self.stats.messages[user.protocol] += 1
        message = DirectMessage(self.new_id(), now, user.identity, addressee, kind, text, tags,
                                (user.person, person), origin)
        sent = self.publisher.direct_message(message, target)
        self.said.emit(message)
        return sent if target is not None else attrs.evolve(sent, offline=addressee)

    def _offline_addressee(self, user: User, nick: str, kind: str) -> tuple[str, str]:
        """A message to a registered account nobody is connected to is kept in the conversation's
        history for its owner to find when they come back (no 401 for an account that exists):
        the account and its person. Bounded per sender and per addressee, so nobody fills
        another's history while they sleep."""
        owner = self.accounts.owner(nick) if self.accounts is not None else None
        if owner is None or self.history is None or kind == "tagmsg":
            raise errors.NoSuchNick(nick)
        folded = casefold(owner)
        if not (self.offline_throttle.allowed(f"{user.person} {folded}") and self.offline_inbox.allowed(folded)):
            raise errors.OfflineLimit(owner)
        self.offline_throttle.record(f"{user.person} {folded}")
        self.offline_inbox.record(folded)
        return owner, "a:" + folded

    def deliver_and_record(self, message: Union[RoomMessage, DirectMessage]) -> Sent:
        """Deliver a message to the members of this process and store it (a TAGMSG is not stored).

        By default delivery goes first and the store commits within the turn after: fastest, but a
        crash in between loses from history what people already saw. With ``store_first``
        (history-durability = "before-delivery") the sender's own echo goes at once (a labelled
        IRC reply stays labelled) and everyone else gets the message when its batch has committed;
        a failed commit still delivers it (the sender learns it was not stored), never drops it."""
        if self.history is None or message.kind == "tagmsg":
            self.deliver(message)
            return Sent(message)
        if not self.store_first:
            self.deliver(message)
            return Sent(message, self.history.append(message))
        sender = self.directory.users.get(casefold(message.sender.nick))
        if sender is not None and sender.client.echo_messages:
            self.stats.deliveries += fan_out(message, [sender])
        durable = self.history.append(message)

        def stored(result: Any) -> Any:
            self.deliver(message, echo=False)
            return result
        return Sent(message, _added(durable, stored))

    def deliver(self, message: Union[RoomMessage, DirectMessage], echo: bool = True) -> int:
        """Fan a message out to its recipients here; the sender gets it back with echo-message
        (unless ``echo`` is False: it already has it).

        Users of other nodes are skipped by fan-out itself (they encode nothing).
        """
        self.delivered.emit(message)
        sender = self.directory.users.get(casefold(message.sender.nick))
        if message.kind == "tagmsg":
            self.recent_tags[message.id] = message
            if len(self.recent_tags) > RECENT_TAGS:
                self.recent_tags.popitem(last=False)
        echo = echo and sender is not None and sender.client.echo_messages
        if isinstance(message, RoomMessage):
            room = self.directory.find_room(message.room)
            if room is None:
                return 0
            batcher = self.batcher
            if batcher is not None and message.kind != "tagmsg" and not (
                    sender is not None and sender.client.immediate):
                batcher.add(room, message, None if echo else sender, sender)  # counted when the batch goes
                delivered = 0
            else:
                delivered = fan_out(message, room.members, None if echo else sender)
                if room.catching_up:
                    room.delivered(message.id)
            if echo and sender is not None and sender not in room.members:
                delivered += fan_out(message, [sender])
        else:
            target = self.directory.find_user(message.target)
            person = message.peers[1]
            # Only the person it was addressed to receives it (not a guest on that person's nick).
            recipients = [target] if target is not None and (not person or target.person == person) else []
            if echo and sender is not None and sender is not target:
                recipients.append(sender)
            delivered = fan_out(message, recipients)
        self.stats.deliveries += delivered
        return delivered

    # -- read markers: how far each person has read each conversation -----------------

    async def read_marker(self, person: str, key: str) -> Optional[float]:
        if self.history is None:
            return self.read_markers.get((person, key))
        return await self.history.read_marker(person, key)

    async def store_read_marker(self, person: str, key: str, until: float) -> float:
        if self.history is None:
            stored = max(until, self.read_markers.get((person, key), 0.0))
            self.read_markers[(person, key)] = stored
            return stored
        return await self.history.mark_read(person, key, until)

    def read_moved(self, person: str, target: str, until: float) -> None:
        """Every connection of ``person`` learns the new read position."""
        self.commit(ReadMarked(self.clock(), person, target, until))

    def redact(self, user: User, target: str, msgid: str, reason: str) -> None:
        """Tell whoever could see message ``msgid`` that it is gone (history already forgot it)."""
        self.commit(Redacted(self.clock(), target, user.identity, msgid, reason))

    def publish(self, event: Event, recipients: Iterable[User]) -> int:
        """Fan an event out to chosen recipients (used by adapters for replays)."""
        return fan_out(event, recipients)


def _added(durable: Awaitable[Any], then: Callable[[Any], Any]) -> Awaitable[Any]:
    """Run ``then`` on what a store's ``append`` fires with, in the order the commits come.

    The stores hand back Deferreds; the core names no Twisted type, so it asks for the
    method by name (a store without it cannot deliver after its commit)."""
    add_callback = getattr(durable, "addCallback", None)
    if add_callback is None:
        raise TypeError(f"history-durability 'before-delivery' needs a store whose append can be "
                        f"followed, not {type(durable).__name__}")
    add_callback(then)
    return durable
