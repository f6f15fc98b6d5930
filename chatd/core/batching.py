"""Room messages of one reactor turn, delivered together: one write per recipient per turn.

Delivering each message on its own costs every recipient a write per message
(Twisted's buffer bookkeeping, a ``send()``, ``epoll_ctl`` calls): about
300,000 writes a second per core at best in CPython, far below what a busy
room offers.  Instead the messages a room gets during one reactor turn are
kept, and at the end of the turn each format's encodings are joined once
(``Client.combine``) and every recipient gets that one shared payload: the
work per recipient grows with turns, not with messages.

What batching must not change:

- **Order per room.** A room's messages keep their order, and any other
  event (a join, a part, a mode, a direct message: everything that goes
  through :func:`~chatd.core.delivery.fan_out`) first flushes what is pending,
  so nobody sees a part before the message said just before it.
- **Sender exclusion.** A sender without echo-message must not get its own
  message: such a recipient gets its own variant of the batch without it.
- **Back-pressure per room.** When more than ``behind_share`` of a room's
  recipients have more output waiting than their transport's buffer bound,
  the senders of the batch are not read from until that share drops again
  (or ``HOLD_MAX`` passed): overload makes senders slower instead of every
  buffer longer, and readers that never catch up are still cut by their
  send-queue bound.
- **Labelled replies.** A message whose sender is answering a labelled IRC
  command (``Client.immediate``) is not held: pending batches are flushed and
  it is delivered at once, so its echo lands inside the label's batch.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable, Hashable, Iterable, Optional

from .delivery import HELD, drop, encode_for, fan_out

if TYPE_CHECKING:
    from .directory import Room, User
    from .events import RoomMessage
    from .stats import Stats

log = logging.getLogger("chatd.core")

# A message, the member who must not get it (a sender without echo), and its sender if held here.
Item = tuple["RoomMessage", Optional["User"], Optional["User"]]

CHECK_EVERY = 0.02  # seconds between looks at a congested room's recipients
HOLD_MAX = 0.25  # seconds a room's senders are held at most before reading resumes


class TurnBatcher:
    """Holds one turn's room messages; ``schedule(0, f)`` runs ``f`` at the end of the turn."""

    def __init__(self, schedule: Callable[[float, Callable[[], None]], object], stats: Stats,
                 now: Callable[[], float], behind_share: float = 0.1) -> None:
        self.schedule = schedule
        self.now = now
        self.stats = stats
        self.behind_share = behind_share
        self.rooms: dict[int, tuple[Room, list[Item]]] = {}
        self.scheduled = False
        self.held: dict[int, tuple[Room, set[User], float]] = {}  # congested rooms -> senders, since when
        self.checking = False

    def add(self, room: Room, message: RoomMessage, skip: Optional[User], sender: Optional[User]) -> None:
        entry = self.rooms.get(id(room))
        if entry is None:
            self.rooms[id(room)] = (room, [(message, skip, sender)])
            if len(self.rooms) == 1:
                HELD.append(self)  # fan_out flushes it before any other event goes out
        else:
            entry[1].append((message, skip, sender))
        if not self.scheduled:
            self.scheduled = True
            self.schedule(0, self._turn_ended)

    def _turn_ended(self) -> None:
        self.scheduled = False
        self.flush()

    def flush(self) -> None:
        if not self.rooms:
            return
        rooms, self.rooms = self.rooms, {}
        if self in HELD:
            HELD.remove(self)
        for room, items in rooms.values():
            if room.catching_up:
                for message, _, _ in items:
                    room.delivered(message.id)
            if len(items) == 1:
                message, skip, _ = items[0]
                self.stats.deliveries += fan_out(message, room.members, skip)
            else:
                self.stats.deliveries += deliver_batch(items, room.members)
                self._pressure(room, items)

    # -- back-pressure per room ------------------------------------------------------------

    def _congested(self, room: Room) -> bool:
        behind = sum(1 for user in room.members if user.client.behind)
        return behind > self.behind_share * len(room.members)

    def _pressure(self, room: Room, items: list[Item]) -> None:
        """A busy room whose recipients fall behind: stop reading from the senders of this batch
        until they catch up, so overload slows the senders instead of growing every buffer.
        A few slow readers do not count (each is cut by its own send-queue bound)."""
        if not self._congested(room):
            return
        senders = {sender for _, _, sender in items if sender is not None}
        if not senders:
            return
        entry = self.held.get(id(room))
        if entry is None:
            entry = self.held[id(room)] = (room, set(), self.now())
        for user in senders - entry[1]:
            user.client.hold_input(True)
        entry[1].update(senders)
        if not self.checking:
            self.checking = True
            self.schedule(CHECK_EVERY, self._check)

    def _check(self) -> None:
        """Resume the senders of rooms whose recipients caught up, or that waited HOLD_MAX: readers
        that never catch up are cut by their send-queue bound only if output goes on."""
        now = self.now()
        for key, (room, senders, since) in list(self.held.items()):
            if now - since >= HOLD_MAX or not self._congested(room):
                del self.held[key]
                for user in senders:
                    user.client.hold_input(False)
        self.checking = bool(self.held)
        if self.checking:
            self.schedule(CHECK_EVERY, self._check)


def deliver_batch(items: list[Item], recipients: Iterable[User]) -> int:
    """One payload per recipient for all of ``items``; returns the deliveries made (messages x
    recipients), as one-by-one delivery would have counted them."""
    encoded: dict[Hashable, list[Optional[object]]] = {}
    shared: dict[Hashable, tuple[Optional[object], int]] = {}
    skips = {skip for _, skip, _ in items if skip is not None}
    sent = 0
    failed: Optional[list[User]] = None
    for user in recipients:
        client = user.client
        key = client.format_key
        parts = encoded.get(key)
        if parts is None:
            parts = encoded[key] = [encode_for(client, message) for message, _, _ in items]
        if user in skips:
            mine = [p for p, (_, skip, _) in zip(parts, items, strict=True) if p is not None and skip is not user]
            payload = client.combine(mine) if mine else None
            count = len(mine)
        else:
            try:
                payload, count = shared[key]
            except KeyError:
                present = [p for p in parts if p is not None]
                payload, count = shared[key] = (client.combine(present) if present else None, len(present))
        if payload is None:
            continue
        try:
            client.deliver(payload)
            sent += count
        except Exception:
            log.exception("delivering a batch of %d messages to %s failed; dropping that connection", len(items),
                          user.nick)
            failed = failed or []
            failed.append(user)
    if failed:
        drop(failed)
    return sent
