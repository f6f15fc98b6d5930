"""The interface through which the core reaches a connected person, and fan-out.

An adapter (IRC, telnet, WebSocket) implements :class:`Client`.  Clients that
render events identically share a ``format_key``; fan-out asks one of them to
encode an event and writes the very same payload (a ``bytes`` line, a prepared
WebSocket frame) to all of them.  Encoding therefore costs once per format per
event, not once per recipient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Hashable, Iterable, Optional, Protocol

if TYPE_CHECKING:
    from .events import Event
    from .users import User


class Client(Protocol):
    """What the core needs from a connection."""

    #: Clients with equal keys get byte-identical payloads for any event.
    format_key: Hashable
    #: Whether the sender of a message gets it back (IRCv3 echo-message; the
    #: web client uses the echo to learn the id and time of what it sent).
    echo_messages: bool

    def encode(self, event: Event) -> Optional[object]:
        """Render an event for this format; None means "not shown here"."""

    def deliver(self, payload: object) -> None:
        """Write a payload produced by ``encode`` of a same-format client."""

    def disconnect(self, reason: str) -> None:
        """Close the connection (the core has already removed the user)."""


def fan_out(event: Event, recipients: Iterable[User], skip: Optional[User] = None) -> int:
    """Deliver ``event`` to ``recipients`` (but ``skip``), encoding once per format.

    Returns the number of deliveries made.  This is the hot loop of a busy
    room: one dict lookup and one write per recipient.
    """
    cache: dict[Hashable, Optional[object]] = {}
    sent = 0
    for user in recipients:
        if user is skip:
            continue
        client = user.client
        key = client.format_key
        try:
            payload = cache[key]
        except KeyError:
            payload = cache[key] = client.encode(event)
        if payload is not None:
            client.deliver(payload)
            sent += 1
    return sent
