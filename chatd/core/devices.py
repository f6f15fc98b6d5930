"""One person on several connections (multiclient): the core sees them as one client.

A person logged in to an account may connect again with the same nick from another device
(IRC, the web, telnet): the second connection attaches to the same :class:`~.directory.User`
instead of being told the nick is in use.  Membership, presence, nick and away stay on the user;
what differs per connection (its wire format, its capabilities, its send queue) stays on each
connection.  :class:`Devices` stands in for the user's ``client`` while more than one connection
is attached, so that every rule and fan-out keeps addressing one client per user:

- it encodes an event once per wire format among its own connections and writes each its copy;
- what the person says on one connection reaches the others as an echo; the connection it came
  from gets it back only if it asked for echoes (``RoomMessage.origin`` names that connection);
- closing it (KILL, a server ban) closes every connection of the person.

A person who is always on stays when their last connection closes: their client is then
:class:`Absent` (it shows nothing; what is said to them waits in history), until a connection of
theirs comes back and takes its place.

A user with one connection keeps that connection as its client: the fan-out hot loop pays
nothing for multiclient.  Attaching and detaching are :mod:`.people`'s rules.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Callable, Hashable, Optional, Protocol

if TYPE_CHECKING:
    from .client import Client
    from .events import Event

_numbers = itertools.count(1)


def new_origin(protocol: str) -> str:
    """A name for one connection of this process, carried by the messages it sends."""
    return f"{protocol}-{next(_numbers)}"


class Connection(Protocol):
    """One connection of a person as they (and operators) may list it: a session of
    :class:`~.session.Session`'s, seen without importing it."""

    origin: str
    protocol: str
    address: str
    device: str
    since: float

    @property
    def client(self) -> Client: ...


class Devices:
    """Several connections of one person, delivered to as one :class:`~.client.Client`."""

    __slots__ = ("clients",)

    def __init__(self, clients: list[tuple[str, Client]]) -> None:
        #: (origin, connection): the name its messages carry (:func:`new_origin`), and the connection.
        self.clients = clients

    # -- the Client protocol ------------------------------------------------------------

    @property
    def format_key(self) -> Hashable:
        return self  # its own payload: one copy per connection, encoded in encode()

    @property
    def echo_messages(self) -> bool:
        return True  # the person's other connections always see what they said; encode() spares the origin

    def encode(self, event: Event) -> Optional[object]:
        origin = getattr(event, "origin", "")
        cache: dict[Hashable, Optional[object]] = {}
        parts: list[tuple[Client, object]] = []
        for name, client in self.clients:
            if origin and name == origin and not client.echo_messages:
                continue  # what this connection said, and it asked for no echo
            key = client.format_key
            if key not in cache:
                cache[key] = client.encode(event)
            payload = cache[key]
            if payload is not None:
                parts.append((client, payload))
        return parts or None

    def deliver(self, payload: object) -> None:
        assert isinstance(payload, list)
        failed = None
        for client, part in payload:
            try:
                client.deliver(part)
            except Exception:  # one broken connection must not cost the others their copy
                failed = failed or []
                failed.append(client)
        for client in failed or ():
            client.disconnect("Internal error")

    def combine(self, payloads: list[object]) -> object:
        by_client: dict[int, tuple[Client, list[object]]] = {}
        for payload in payloads:
            assert isinstance(payload, list)
            for client, part in payload:
                by_client.setdefault(id(client), (client, []))[1].append(part)
        return [(client, client.combine(parts)) for client, parts in by_client.values()]

    def disconnect(self, reason: str) -> None:
        for _, client in list(self.clients):
            client.disconnect(reason)

    @property
    def immediate(self) -> bool:
        return any(client.immediate for _, client in self.clients)

    @property
    def behind(self) -> bool:
        return all(client.behind for _, client in self.clients)

    def hold_input(self, hold: bool) -> None:
        for _, client in self.clients:
            client.hold_input(hold)

    def show_room(self, name: str, joined: bool) -> None:
        for _, client in self.clients:
            client.show_room(name, joined)


class Absent:
    """The client of a person who stays while none of their connections is open (always-on): it shows
    nothing (what is said to them waits in history), and closing it (KILL, a server ban) makes them
    leave for good through ``leave``."""

    __slots__ = ("leave",)
    format_key = "absent"
    echo_messages = False
    immediate = False
    behind = False

    def __init__(self, leave: Callable[[str], None]) -> None:
        self.leave = leave

    def encode(self, event: Event) -> Optional[object]:
        return None

    def deliver(self, payload: object) -> None:
        pass  # pragma: no cover - encode() gives nothing to deliver

    def combine(self, payloads: list[object]) -> object:
        return payloads  # pragma: no cover - nothing to combine

    def disconnect(self, reason: str) -> None:
        self.leave(reason)

    def hold_input(self, hold: bool) -> None:
        pass

    def show_room(self, name: str, joined: bool) -> None:
        pass
