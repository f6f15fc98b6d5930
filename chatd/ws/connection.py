"""One browser connection speaking ``chatd.v1`` over WebSocket (Autobahn).

Thin by design: the connection admits the socket (origin, subprotocol, the
per-address limit), puts every frame through the shared
:class:`~chatd.net.guard.ConnectionGuard`, parses the JSON and dispatches on
its ``type`` to :mod:`.handlers`, which call the connection's
:class:`~chatd.core.Session`.  What other people see is fanned out by the
core and encoded once per event as an Autobahn prepared message shared by
every browser.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional

from autobahn.twisted.websocket import WebSocketServerProtocol
from autobahn.websocket.types import ConnectionDeny
from twisted.internet import error as net_error
from twisted.logger import Logger
from twisted.python.failure import Failure

from ..core import Session, errors
from ..core.events import Event
from ..net.direct import write_now
from ..net.guard import FLOOD, GOING_AWAY, SENDQ, ConnectionGuard
from . import SUBPROTOCOL, frames, handlers, irc, push  # noqa: F401 (push registers its frames)
from .accounts import BEFORE_HELLO
from .factory import ChatWebSocketFactory
from .handlers import HANDLERS, FrameError

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from twisted.internet.defer import Deferred

log = Logger()

#: Close code for a flooding client (Autobahn allows 1000 and 3000-4999 from
#: applications; 4000 + the matching standard code 1008, policy violation).
CLOSE_FLOOD = 4008
CLOSE_GOING_AWAY = 1001


class ChatWebSocket(WebSocketServerProtocol):
    factory: ChatWebSocketFactory
    transport: Any  # a TCP or TLS transport: ITCPTransport and IConsumer
    format_key = ("ws",)
    immediate = False
    echo_messages = True

    #: Once carried to the node holding its person (chatd.cluster.relay): the relay, and its id there.
    carried: Optional[tuple[Any, str]] = None

    def __init__(self) -> None:
        super().__init__()
        self.address = "?"
        self.opened = False
        self.irc_protocol: Optional[str] = None  # text/binary.ircv3.net: this socket speaks IRC
        self.irc: Any = None  # the IRCConnection behind it, then

    # -- the core's Client interface -------------------------------------------

    def encode(self, event: Event) -> Optional[object]:
        frame = frames.frame(event)
        if frame is None:
            return None
        return self.factory.prepareMessage(frames.dumps(frame))

    @property
    def behind(self) -> bool:
        return self.guard.behind

    def hold_input(self, hold: bool) -> None:
        self.guard.hold_input(hold)

    def show_room(self, name: str, joined: bool) -> None:
        handlers.show_room(self, name)

    def run(self, coroutine: Coroutine[Any, Any, Any], what: str,
            crashed: Optional[Callable[[], None]] = None) -> Deferred[Any]:
        """Carry out a request that waits; this connection's later frames wait for its answer."""
        return self.guard.run(coroutine, what, crashed)

    def combine(self, payloads: list[Any]) -> Any:
        """A turn's room messages: their frames, ready to go out in one write."""
        return payloads[0] if len(payloads) == 1 else FrameBatch(payloads)

    def deliver(self, payload: Any) -> None:
        if self.opened and not self.guard.closing and self.state == self.STATE_OPEN:
            if isinstance(payload, FrameBatch):
                if self._perMessageCompress is None:
                    write_now(self.transport, payload.data)  # several frames, one write
                else:
                    for prepared in payload.frames:
                        self.sendPreparedMessage(prepared)
                size = len(payload.data)
            else:
                if self._perMessageCompress is None:
                    write_now(self.transport, payload.payloadHybi)
                else:
                    self.sendPreparedMessage(payload)
                size = len(payload.payloadHybi)
            self.factory.bytes_out += size
            self.guard.wrote(size)

    def disconnect(self, reason: str) -> None:
        if self.irc is not None:
            self.irc.disconnect(reason)  # IRC's own goodbye (ERROR), then the socket closes
        else:
            self.guard.close(reason, GOING_AWAY)

    # -- lifecycle ---------------------------------------------------------------

    def connectionMade(self) -> None:
        factory, settings = self.factory, self.factory.settings
        self.guard: ConnectionGuard[bytes] = ConnectionGuard(
            factory.clock, factory.peers, settings.flood, settings.sendq, settings.check_peer_limit, "web",
            self,
        )
        super().connectionMade()

    def onConnect(self, request: Any) -> str | None:
        peer = getattr(self.transport.getPeer(), "host", "?")
        self.address = self.factory.settings.trusted_proxies.client_address(
            peer, request.headers.get("x-forwarded-for"), request.headers.get("forwarded"))
        if not self.factory.origin_allowed(request.origin or None):
            log.info("web socket from {address} refused: origin {origin}", address=self.address,
                     origin=request.origin)
            raise ConnectionDeny(ConnectionDeny.FORBIDDEN, "Origin not allowed")
        chosen = self._subprotocol(request.protocols)
        if not self.guard.admit(self.address):
            raise ConnectionDeny(429, "Too many connections from your address")
        if chosen in (irc.TEXT, irc.BINARY):
            self.irc_protocol = chosen
        else:
            self.session = Session(self.factory.network, self, "web", self.address)
        return chosen

    def _subprotocol(self, offered: list[str]) -> Optional[str]:
        """chatd.v1 (also without any subprotocol), or IRC when the listener has IRC over WebSocket."""
        if not offered or SUBPROTOCOL in offered:
            return SUBPROTOCOL if offered else None
        if self.factory.irc is not None:
            for name in offered:
                if name in (irc.TEXT, irc.BINARY):
                    return name
        supported = [SUBPROTOCOL] + ([irc.TEXT, irc.BINARY] if self.factory.irc is not None else [])
        raise ConnectionDeny(ConnectionDeny.BAD_REQUEST, f"Unsupported subprotocol; use {', '.join(supported)}")

    def onOpen(self) -> None:
        # twisted.web's HTTP channel was the transport's producer; the socket is ours now.
        if getattr(self.transport, "producer", None) is not None:
            self.transport.unregisterProducer()
        self.guard.start(self.transport)
        self.opened = True
        self.factory.connections.add(self)
        if self.irc_protocol is not None and self.factory.irc is not None:
            self.irc = self.factory.irc.buildProtocol(self.transport.getPeer())
            self.irc.makeConnection(irc.IRCOverWebSocket(self, self.irc_protocol == irc.BINARY, self.address))

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        if self.guard.closing or not self.opened:
            return
        self.factory.bytes_in += len(payload)
        if self.irc is not None:
            # One IRC line per message; the IRC side applies its flood gate and line limits.
            self.irc.dataReceived(payload.rstrip(b"\r\n") + b"\r\n")
            return
        if isBinary:
            self.error("binary", "Frames are JSON text, not binary")
            return
        if self.carried is not None:
            self.carried[0].send_in(self.carried[1], payload)
            return
        self.frame_received(payload)

    def frame_received(self, payload: bytes) -> None:
        """A text frame from the client (here, or carried from another node): within the size
        limit, it goes through the flood gate."""
        if len(payload) > self.factory.settings.max_message:
            self.error("too_large", f"Frame larger than {self.factory.settings.max_message} bytes")
            return
        self.guard.submit(payload)

    def onClose(self, wasClean: bool, code: Optional[int], reason: Optional[str]) -> None:
        if self.carried is not None:
            self.carried[0].closed(self.carried[1])
        closing_reason = self.guard.reason
        self.guard.release()
        self.factory.connections.discard(self)
        if self.irc is not None:
            inner, self.irc = self.irc, None
            inner.connectionLost(Failure(net_error.ConnectionDone() if wasClean else net_error.ConnectionLost()))
        session: Optional[Session] = getattr(self, "session", None)
        if session is not None:
            session.quit(closing_reason or ("Connection closed" if wasClean else "Connection lost"))

    def guarded(self, payload: bytes) -> None:
        """A frame that passed the flood gate."""
        self.handle(payload)

    def shut(self, reason: str, how: str) -> None:
        """The guard closes the connection."""
        if how == SENDQ:
            self.transport.abortConnection()
        elif how == GOING_AWAY:
            # sendClose() only takes application codes; 1001 "going away" is
            # the protocol's own word for a server that shuts down.
            self.sendCloseFrame(code=CLOSE_GOING_AWAY, reasonUtf8=reason[:120].encode("utf-8"), isReply=False)
        else:
            self.sendClose(CLOSE_FLOOD if how == FLOOD else 1000, reason[:120])

    def send_message(self, data: bytes, binary: bool = False) -> None:
        """One WebSocket message to this client alone (a reply frame, or one IRC line), counted."""
        if not self.guard.closing and self.state == self.STATE_OPEN:
            self.sendMessage(data, isBinary=binary)
            self.factory.bytes_out += len(data)
            self.guard.wrote(len(data))

    # -- carried to the node holding its person (chatd.cluster.relay) -------------------

    def carry(self, home: str, hello: dict[str, Any]) -> bool:
        """Hand this browser to node ``home``, which holds its person: its sign-in, the ``hello``
        to answer there, and the frames that came after it; from now on this node only moves its
        messages (the WebSocket stays here).  False when it cannot be (no cluster, link down)."""
        relay = self.factory.relay
        if relay is None or not relay.can_carry(home):
            return False
        session = self.session
        state = {"account": session.account, "device": session.device, "token": session.token_id}
        unread = [frames.dumps(hello)] + self.guard.hand_over()
        self.carried = (relay, relay.carry(self, home, "web", self.address, state, unread))
        return True

    def relay_out(self, data: bytes) -> None:
        self.send_message(data)

    def relay_end(self, reason: str, how: str, said: bool = False) -> None:
        self.guard.close(reason, how)  # the close frame carries the reason

    # -- frames ------------------------------------------------------------------

    def send(self, frame: dict[str, Any]) -> None:
        self.send_message(frames.dumps(frame))

    def answer(self, request: dict[str, Any], frame: dict[str, Any]) -> None:
        if "id" in request:
            frame["id"] = request["id"]
        self.send(frame)

    def error(self, code: str, message: str, request: Optional[dict[str, Any]] = None) -> None:
        frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if request is not None:
            frame["re"] = request.get("type")
            if "id" in request:
                frame["id"] = request["id"]
        self.send(frame)

    def fail(self, error: errors.ChatError, request: dict[str, Any]) -> None:
        self.error(error.code, error.describe(), request)

    def internal_error(self, request: dict[str, Any]) -> None:
        self.error("internal", "Internal error; the request was not carried out", request)

    def handle(self, payload: bytes) -> None:
        if frames.too_deep(payload):
            self.error("too_deep", f"Frame nests deeper than {frames.MAX_DEPTH} levels")
            return
        try:
            request = json.loads(payload)
        except ValueError:
            self.error("bad_json", "Frame is not valid JSON")
            return
        if not isinstance(request, dict) or not isinstance(request.get("type"), str):
            self.error("bad_frame", "A frame is a JSON object with a string 'type'")
            return
        if frames.bad_text(request):
            # Nothing of it is echoed back: the id itself may be what is broken.
            self.error("bad_field", "Frame contains text that is not valid Unicode (a lone surrogate?)")
            return
        kind = request["type"]
        handler = HANDLERS.get(kind)
        if handler is None:
            self.error("unknown_type", f"Unknown frame type {kind[:40]!r}", request)
            return
        if self.session.user is None and kind not in ("hello", "ping", *BEFORE_HELLO):
            self.error("not_registered", "Send a hello frame with your nick first", request)
            return
        try:
            handler(self, request)
        except errors.ChatError as error:
            self.fail(error, request)
        except FrameError as error:
            self.error(error.code, error.message, request)
        except Exception:
            log.failure("error handling web frame {kind}", kind=kind)
            self.internal_error(request)


class FrameBatch:
    """Prepared WebSocket messages sent together: the frames' bytes joined once for everyone."""

    __slots__ = ("data", "frames")

    def __init__(self, frames: list[Any]) -> None:
        self.frames = frames
        self.data = b"".join(frame.payloadHybi for frame in frames)


ChatWebSocketFactory.connection_class = ChatWebSocket
