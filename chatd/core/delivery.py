"""Fan-out: one record to many recipients, encoded once per wire format.

An adapter (IRC, telnet, WebSocket) implements :class:`~chatd.core.client.Client`.  Clients that
render events identically share a ``format_key``; fan-out asks one of them to
encode an event and writes the very same payload (a ``bytes`` line, a prepared
WebSocket frame) to all of them.  Encoding therefore costs once per format per
event, not once per recipient.

A recipient whose ``deliver`` raises must not cost anyone else their copy:
fan-out logs the failure, goes on with the others, and then drops the failing
connection (after the loop, because dropping it changes the very member lists
being iterated).  An encoder that raises skips its format for that one event,
logged once, without dropping anyone.  The core logs through the standard
library's ``logging``; ``chatd.logs`` routes that into the daemon's log.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Hashable, Iterable, Optional, Protocol

if TYPE_CHECKING:
    from .client import Client
    from .directory import User
    from .events import Event

log = logging.getLogger("chatd.core")


class Held(Protocol):
    def flush(self) -> None: ...


#: Batchers (chatd.core.batching) holding room messages for the end of the turn; any other event
#: flushes them first.
HELD: list[Held] = []


def fan_out(event: Event, recipients: Iterable[User], skip: Optional[User] = None) -> int:
    """Deliver ``event`` to ``recipients`` (but ``skip``), encoding once per format.

    Returns the number of deliveries made.  This is the hot loop of a busy
    room: one dict lookup and one write per recipient, inside one ``try``.
    """
    flush_held()  # room messages held for this turn go out first: order is kept
    cache: dict[Hashable, Optional[object]] = {}
    sent = 0
    failed: Optional[list[User]] = None
    for user in recipients:
        if user is skip:
            continue
        client = user.client
        key = client.format_key
        try:
            payload = cache[key]
        except KeyError:
            payload = cache[key] = encode_for(client, event)
        if payload is None:
            continue
        try:
            client.deliver(payload)
            sent += 1
        except Exception:
            log.exception("delivering %s to %s failed; dropping that connection", type(event).__name__, user.nick)
            failed = failed or []
            failed.append(user)
    if failed:
        drop(failed)
    return sent


def flush_held() -> None:
    """Send the room messages held for the end of this turn now: something written after them (another
    event, a connection's direct reply such as the PONG after an echoed PRIVMSG) must not overtake them."""
    while HELD:
        HELD.pop().flush()


def encode_for(client: Client, event: Event) -> Optional[object]:
    """Encode for one format; a failing encoder skips that format for this event only."""
    try:
        return client.encode(event)
    except Exception:
        log.exception("encoding %s for %r failed; not shown in that format", type(event).__name__,
                      client.format_key)
        return None


def drop(users: list[User]) -> None:
    for user in users:
        try:
            user.client.disconnect("Internal error")
        except Exception:
            log.exception("closing %s after a failed delivery failed too", user.nick)
