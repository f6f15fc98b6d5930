"""A browser's chatd.v1 connection carried here from the node it connected to (a cluster).

The person it signs in as is held here (:mod:`chatd.cluster.relay`): the node the browser reached
keeps the WebSocket and moves its messages; here the connection is an ordinary
:class:`~.connection.ChatWebSocket` to every handler and to the fan-out, with the WebSocket
itself replaced by the relay: each frame written is one message the other node sends.  Its
frames are encoded as plain JSON (not Autobahn's prepared messages, which carry a WebSocket
header), so it has a format of its own.
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.python.failure import Failure

from ..core import Session
from ..core.events import Event
from ..net.guard import ConnectionGuard
from . import frames
from .connection import ChatWebSocket
from .factory import ChatWebSocketFactory


class RelayedWebSocket(ChatWebSocket):
    format_key = ("ws", "relayed")

    def encode(self, event: Event) -> Optional[object]:
        frame = frames.frame(event)
        return None if frame is None else frames.dumps(frame)

    def combine(self, payloads: list[Any]) -> Any:
        return payloads

    def deliver(self, payload: Any) -> None:
        for data in payload if isinstance(payload, list) else (payload,):
            self.send_message(data)

    def send_message(self, data: bytes, binary: bool = False) -> None:
        if not self.guard.closing:
            self.transport.write(data)
            self.factory.bytes_out += len(data)

    # -- the relay in place of the WebSocket --------------------------------------------

    def connectionMade(self) -> None:
        """The other node admitted the socket (origin, per-address limit): here it only needs its
        guard (flood gate, order of answers) and its session."""
        factory = self.factory
        self.address = self.transport.getPeer().host
        self.guard = ConnectionGuard(factory.clock, factory.peers, factory.settings.flood, factory.settings.sendq,
                                     False, "web", self)
        self.guard.address = self.address
        self.guard.start(self.transport)
        self.session = Session(factory.network, self, "web", self.address)
        self.opened = True
        factory.connections.add(self)

    def resume(self, state: dict[str, Any]) -> None:
        """Signed in where it connected: the same account and device here."""
        self.session.device = str(state.get("device") or "")
        if state.get("account"):
            self.session.sign_in.logged_in(str(state["account"]))
            self.session.token_id = state.get("token") or None

    def relay_in(self, data: bytes) -> None:
        if self.guard.closing:
            return
        self.factory.bytes_in += len(data)
        self.frame_received(data)

    def relay_option(self, name: str, value: Any) -> None:
        """A WebSocket has nothing to tell outside its messages."""

    def shut(self, reason: str, how: str) -> None:
        self.transport.end(reason, how)  # the other node closes the WebSocket, with the code ``how`` means

    def connectionLost(self, reason: Optional[Failure] = None) -> None:
        self.guard.release()
        self.factory.connections.discard(self)
        self.session.quit(self.guard.reason or "Connection closed")


ChatWebSocketFactory.relayed_class = RelayedWebSocket
