"""What the frame handlers, the services' answers and IRC over WebSocket use of a browser's connection.

They are written against these small interfaces rather than the connection class, so the connection
(:mod:`.connection`) imports them and none imports it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from twisted.internet.defer import Deferred

    from ..core import Session, errors
    from .factory import ChatWebSocketFactory


class WebConnection(Protocol):
    """A chatd.v1 connection, as a frame handler answers on it."""

    @property
    def session(self) -> Session: ...
    @property
    def factory(self) -> ChatWebSocketFactory: ...

    def send(self, frame: dict[str, Any]) -> None: ...
    def answer(self, request: dict[str, Any], frame: dict[str, Any]) -> None: ...
    def error(self, code: str, message: str, request: Optional[dict[str, Any]] = None) -> None: ...
    def fail(self, error: errors.ChatError, request: dict[str, Any]) -> None: ...
    def internal_error(self, request: dict[str, Any]) -> None: ...
    def carry(self, home: str, hello: dict[str, Any]) -> bool:
        """Hand the connection, its ``hello`` unanswered, to node ``home`` holding its person."""
    def run(self, coroutine: Coroutine[Any, Any, Any], what: str,
            crashed: Optional[Callable[[], None]] = ...) -> Deferred[Any]:
        """Carry out a request that waits; the connection's later frames wait for its answer."""


class MessageSocket(Protocol):
    """The WebSocket under an IRC-over-WebSocket client: one message per IRC line."""

    transport: Any

    def send_message(self, data: bytes, binary: bool = False) -> None: ...
    def sendClose(self, code: Optional[int] = None, reason: Optional[str] = None) -> None: ...
