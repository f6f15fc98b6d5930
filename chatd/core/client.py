"""The interface through which the core reaches a connected person.

An adapter (IRC, telnet, WebSocket, an API bot) implements it; the core
calls nothing else of a connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Hashable, Optional, Protocol

if TYPE_CHECKING:
    from .events import Event


class Client(Protocol):
    """What the core needs from a connection."""

    @property
    def format_key(self) -> Hashable:
        """Clients with equal keys get byte-identical payloads for any event."""

    @property
    def echo_messages(self) -> bool:
        """Whether the sender of a message gets it back (IRCv3 echo-message; the
        web client uses the echo to learn the id and time of what it sent)."""

    def encode(self, event: Event) -> Optional[object]:
        """Render an event for this format; None means "not shown here"."""

    def deliver(self, payload: object) -> None:
        """Write a payload produced by ``encode`` of a same-format client."""

    def disconnect(self, reason: str) -> None:
        """Close the connection (the core has already removed the user)."""

    def combine(self, payloads: list[object]) -> object:
        """One payload standing for several of this format, in order (a turn's room messages,
        :mod:`chatd.core.batching`): joined lines, or several WebSocket frames in one write."""

    @property
    def immediate(self) -> bool:
        """True while this client's own output must not be reordered (an IRC labelled command
        is being answered): its messages are delivered at once, not held for the turn."""

    @property
    def behind(self) -> bool:
        """More output waits for this client than its transport's buffer bound."""

    def hold_input(self, hold: bool) -> None:
        """Stop (True) or resume (False) reading from this client: back-pressure from a room."""

    def show_room(self, name: str, joined: bool) -> None:
        """This person is in room ``name`` through another of their connections (multiclient,
        :mod:`.devices`): show it as a join of this connection's would be (the topic, who is there).
        ``joined``: the JOIN itself was already delivered (a join made just now on another device);
        otherwise show it too (rooms the person was in when this connection attached)."""
