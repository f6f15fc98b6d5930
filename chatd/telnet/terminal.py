"""What a telnet command may use of its connection: the small interface commands are written against.

The account and moderation commands (:mod:`.staff`) and the services' answers (:mod:`.services`)
take a :class:`Terminal` rather than the connection class, so the connection can import them
without either importing it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from twisted.internet.defer import Deferred

    from ..core import Session
    from ..core.events import Event


class TerminalFactory(Protocol):
    room_hooks: Any  # chatd.api.roomhooks.RoomHooks, when the API is on


class Terminal(Protocol):
    @property
    def session(self) -> Session: ...
    @property
    def factory(self) -> TerminalFactory: ...
    @property
    def current(self) -> Optional[str]:
        """The room plain lines go to (None: none yet)."""
    @property
    def colors(self) -> bool:
        """Whether IRC colours are shown as terminal colours."""

    def say(self, text: str) -> None: ...
    def write(self, data: bytes) -> None: ...
    def encode(self, event: Event) -> Optional[bytes]: ...
    def deliver(self, payload: Any) -> None: ...
    def run(self, coroutine: Coroutine[Any, Any, Any], what: str,
            crashed: Optional[Callable[[], None]] = ...) -> Deferred[Any]: ...
    def internal_error(self) -> None: ...
    async def pick_nick(self, nick: str) -> None: ...
