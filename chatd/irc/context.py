"""What an IRC command handler may use: the small interface between commands and the connection.

Command modules (:mod:`.registration`, :mod:`.channels`, :mod:`.messaging`,
:mod:`.queries`, :mod:`.chathistory`) are written against :class:`Context`
rather than the connection class, so each can be read, and tested, on its own
terms: a handler gets the context and one parsed message, calls the session,
and answers with numerics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Protocol

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from twisted.internet.defer import Deferred

    from ..core import Network, Session, errors
    from ..core.events import Event
    from .labels import HeldReply
    from .render import LineRenderer


@attrs.define
class Registration:
    """What a client said before it was welcomed."""

    nick: Optional[str] = None
    username: Optional[str] = None
    realname: str = ""
    password_ok: bool = True
    cap_negotiating: bool = False
    cap_version: int = 0
    #: A SASL exchange under way (chatd.core.sasl.Exchange), the base64 gathered so far, and
    #: whether only the client's acknowledgement of SCRAM's final message is awaited.
    sasl: Optional[Any] = None
    sasl_buffer: str = ""
    sasl_finishing: bool = False


@attrs.define
class Collecting:
    target: str
    tags: tuple[tuple[str, str], ...]
    command: Optional[str] = None
    parts: list[str] = attrs.field(factory=list)
    size: int = 0
    broken: Optional[str] = None  # the FAIL to send at the end, if a line broke the rules
    #: The label of the opening BATCH, held until the batch closes (labeled-response), if it had one.
    reply: Optional[HeldReply] = None


class Watchers(Protocol):
    """Who MONITORs which nick, over a listener's connections (:class:`.monitor.Monitors`)."""

    def add(self, conn: Context, folded: str) -> None: ...
    def remove(self, conn: Context, folded: str) -> None: ...
    def clear(self, conn: Context) -> None: ...


class Listener(Protocol):
    """What handlers use of their listener (:class:`.factory.IRCFactory`)."""

    password: Optional[str]
    started: str
    missed_lines: int
    missed_days: float
    rehash: Optional[Callable[[], Any]]
    rehash_source: str
    room_hooks: Any  # chatd.api.roomhooks.RoomHooks, when the API is on

    @property
    def connections(self) -> Any: ...
    @property
    def monitors(self) -> Watchers: ...
    def motd(self) -> Optional[list[str]]: ...
    def sts(self) -> Optional[str]: ...
    def isupport(self) -> list[str]: ...
    def renderer(self, key: tuple[bool, ...]) -> LineRenderer: ...


class Context(Protocol):
    session: Session

    @property
    def factory(self) -> Listener: ...

    registration: Registration
    caps: set[str]
    monitoring: set[str]
    render_key: tuple[bool, ...]
    open_batches: dict[str, Collecting]
    ping_sent: Optional[float]
    address: str
    transport: Any  # the connection's transport (its TLS certificate, if any)

    @property
    def network(self) -> Network: ...
    @property
    def server(self) -> str: ...
    @property
    def me(self) -> str: ...
    @property
    def closing(self) -> bool: ...

    def encode(self, event: Event) -> Optional[bytes]: ...
    def send(self, line: str) -> None: ...
    def write(self, data: bytes) -> None: ...
    def reply(self, numeric: str, *params: str) -> None: ...
    def fail(self, error: errors.ChatError) -> None: ...
    def open_batch(self, kind: str, *params: str) -> Optional[str]: ...
    def close_batch(self, ref: Optional[str]) -> None: ...
    def caps_changed(self) -> None: ...
    def carry(self, home: str, state: dict[str, Any]) -> bool: ...
    def close(self, reason: str, how: str = ..., goodbye: bool = ...) -> None: ...
    def hold_reply(self) -> HeldReply: ...
    def run(self, coroutine: Coroutine[Any, Any, Any], what: str,
            crashed: Optional[Callable[[], None]] = ...) -> Deferred[Any]:
        """Carry out a command that waits; the connection's later commands wait for its answer."""
    def internal_error(self) -> None: ...
