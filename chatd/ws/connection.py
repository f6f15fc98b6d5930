"""One browser connection speaking ``chatd.v1`` over WebSocket (Autobahn).

Thin by design: each client frame has a ``type`` that picks a handler, the
handler calls the core, and answers carry the frame's ``id``.  What other
people see is fanned out by the core and encoded once per event as an
Autobahn prepared message shared by every browser.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Optional
from urllib.parse import urlsplit

import attrs
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.types import ConnectionDeny
from twisted.internet import defer
from twisted.logger import Logger

from .. import __version__
from ..core import MESSAGE_KINDS, ROOM_PREFIXES, Ref, User, casefold, errors
from ..core.events import Event
from ..net.flood import FloodGate, FloodPolicy
from ..net.sendq import SendQueueGuard
from . import SUBPROTOCOL, frames

if TYPE_CHECKING:
    from twisted.internet.interfaces import IReactorTime

    from ..core import Network
    from ..net.peers import ConnectionCounter

log = Logger()

MAX_HISTORY_PAGE = 200

#: Close code for a flooding client (Autobahn allows 1000 and 3000-4999 from
#: applications; 4000 + the matching standard code 1008, policy violation).
CLOSE_FLOOD = 4008
CLOSE_GOING_AWAY = 1001


class FrameError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@attrs.frozen
class WebSocketSettings:
    flood: FloodPolicy = FloodPolicy()
    sendq: int = 1 << 20
    max_message: int = 16384  # bytes; larger frames get an error frame
    hard_max_message: int = 1 << 20  # bytes; larger ones close the socket (1009)
    allowed_origins: tuple[str, ...] = ()  # empty: the host the page came from
    compression: bool = False
    ping_interval: float = 30.0
    ping_timeout: float = 20.0
    history_on_join: int = 50  # messages sent with "joined"


class ChatWebSocketFactory(WebSocketServerFactory):
    def __init__(
        self,
        network: Network,
        clock: IReactorTime,
        peers: ConnectionCounter,
        settings: WebSocketSettings,
    ) -> None:
        super().__init__(server=f"chatd/{__version__}", reactor=clock)
        self.network = network
        self.clock = clock
        self.peers = peers
        self.settings = settings
        self.connections: set[ChatWebSocket] = set()
        self.bytes_in = 0
        self.bytes_out = 0
        options: dict[str, Any] = dict(
            maxFramePayloadSize=settings.hard_max_message,
            maxMessagePayloadSize=settings.hard_max_message,
            autoPingInterval=settings.ping_interval,
            autoPingTimeout=settings.ping_timeout,
        )
        if settings.compression:
            from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateOfferAccept

            def accept(offers: list[Any]) -> Any:
                for offer in offers:
                    if isinstance(offer, PerMessageDeflateOffer):
                        return PerMessageDeflateOfferAccept(offer)
                return None

            options["perMessageCompressionAccept"] = accept
        self.setProtocolOptions(**options)

    def origin_allowed(self, origin: Optional[str], host: str) -> bool:
        """Browsers always send Origin; another site's page must not get in.

        Without a configured list, only pages served from the same host:port
        as the socket are allowed.  Clients that send no Origin (command-line
        tools, other servers) are not browsers and are not checked.
        """
        if origin is None:
            return True
        allowed = self.settings.allowed_origins
        if "*" in allowed:
            return True
        if allowed:
            return origin.rstrip("/") in allowed
        return urlsplit(origin).netloc.lower() == host.lower()


class ChatWebSocket(WebSocketServerProtocol):
    factory: ChatWebSocketFactory
    format_key = ("ws",)
    echo_messages = True

    def __init__(self) -> None:
        super().__init__()
        self.user: Optional[User] = None
        self.address = "?"
        self.counted = False
        self.closing_reason: Optional[str] = None
        self.gate: Optional[FloodGate[bytes]] = None
        self.registering = False

    # -- the core's Client interface -------------------------------------------

    def encode(self, event: Event) -> Optional[object]:
        frame = frames.frame(event)
        if frame is None:
            return None
        return self.factory.prepareMessage(frames.dumps(frame))

    def deliver(self, payload: object) -> None:
        if self.closing_reason is None and self.state == self.STATE_OPEN:
            self.sendPreparedMessage(payload)  # type: ignore[arg-type]
            size = len(payload.payloadHybi)  # type: ignore[attr-defined]
            self.factory.bytes_out += size
            self.sendq.wrote(size)

    def disconnect(self, reason: str) -> None:
        self.shut(reason, CLOSE_GOING_AWAY)

    # -- lifecycle ---------------------------------------------------------------

    def onConnect(self, request: Any) -> str | None:
        self.address = self.transport.getPeer().host
        host = request.headers.get("host", "")
        if not self.factory.origin_allowed(request.origin or None, host):
            log.info("web socket from {address} refused: origin {origin}", address=self.address,
                     origin=request.origin)
            raise ConnectionDeny(ConnectionDeny.FORBIDDEN, "Origin not allowed")
        if request.protocols and SUBPROTOCOL not in request.protocols:
            raise ConnectionDeny(ConnectionDeny.BAD_REQUEST, f"Unsupported subprotocol; use {SUBPROTOCOL}")
        if not self.factory.peers.acquire(self.address):
            raise ConnectionDeny(429, "Too many connections from your address")
        self.counted = True
        return SUBPROTOCOL if request.protocols else None

    def onOpen(self) -> None:
        settings = self.factory.settings
        self.gate = FloodGate(self.factory.clock, settings.flood, self.handle, self._flooded)
        # twisted.web's HTTP channel was the transport's producer; the socket is ours now.
        if getattr(self.transport, "producer", None) is not None:
            self.transport.unregisterProducer()
        self.sendq = SendQueueGuard(self.transport, settings.sendq, self._sendq_exceeded)
        self.factory.connections.add(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        if self.closing_reason is not None or self.gate is None:
            return
        self.factory.bytes_in += len(payload)
        if isBinary:
            self.error("binary", "Frames are JSON text, not binary")
            return
        if len(payload) > self.factory.settings.max_message:
            self.error("too_large", f"Frame larger than {self.factory.settings.max_message} bytes")
            return
        self.gate.submit(payload)

    def onClose(self, wasClean: bool, code: Optional[int], reason: Optional[str]) -> None:
        if self.gate is not None:
            self.gate.close()
        if self.counted:
            self.factory.peers.release(self.address)
            self.counted = False
        self.factory.connections.discard(self)
        if self.user is not None:
            user, self.user = self.user, None
            why = self.closing_reason or ("Connection closed" if wasClean else "Connection lost")
            self.factory.network.quit(user, why)

    def shut(self, reason: str, code: int = 1000, abort: bool = False) -> None:
        if self.closing_reason is not None:
            return
        self.closing_reason = reason
        log.debug("web socket {address} closed: {reason}", address=self.address, reason=reason)
        if self.gate is not None:
            self.gate.close()
        if abort:
            self.transport.abortConnection()
        elif code == CLOSE_GOING_AWAY:
            # sendClose() only takes application codes; 1001 "going away" is
            # the protocol's own word for a server that shuts down.
            self.sendCloseFrame(code=code, reasonUtf8=reason[:120].encode("utf-8"), isReply=False)
        else:
            self.sendClose(code, reason[:120])

    def _flooded(self) -> None:
        self.shut("Excess Flood", CLOSE_FLOOD)

    def _sendq_exceeded(self) -> None:
        self.shut("SendQ exceeded", abort=True)

    # -- frames ------------------------------------------------------------------

    def send(self, frame: dict[str, Any]) -> None:
        if self.closing_reason is None and self.state == self.STATE_OPEN:
            data = frames.dumps(frame)
            self.sendMessage(data)
            self.factory.bytes_out += len(data)
            self.sendq.wrote(len(data))

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

    def handle(self, payload: bytes) -> None:
        if self.closing_reason is not None:
            return
        try:
            request = json.loads(payload)
        except ValueError:
            self.error("bad_json", "Frame is not valid JSON")
            return
        if not isinstance(request, dict) or not isinstance(request.get("type"), str):
            self.error("bad_frame", "A frame is a JSON object with a string 'type'")
            return
        kind = request["type"]
        handler = HANDLERS.get(kind)
        if handler is None:
            self.error("unknown_type", f"Unknown frame type {kind[:40]!r}", request)
            return
        if self.user is None and kind not in ("hello", "ping"):
            self.error("not_registered", "Send a hello frame with your nick first", request)
            return
        try:
            handler(self, request)
        except errors.ChatError as error:
            self.error(error.code, f"{error.target}: {error.message}" if error.target else error.message, request)
        except FrameError as error:
            self.error(error.code, error.message, request)
        except Exception:
            log.failure("error handling web frame {kind}", kind=kind)
            self.error("internal", "Internal error; the request was not carried out", request)

    # -- handlers ----------------------------------------------------------------

    def do_hello(self, request: dict[str, Any]) -> None:
        if self.user is not None:
            raise FrameError("already_registered", "You already said hello")
        nick = text_field(request, "nick")
        realname = text_field(request, "realname", required=False) or nick
        if self.registering:
            raise FrameError("already_registered", "A hello is already under way")
        self.registering = True
        self.factory.network.connect_when_free(
            self, nick, "web", self.address, realname, "web",
            lambda: self.closing_reason is None and self.state == self.STATE_OPEN,
            lambda user, error: self._registered(request, nick, user, error),
        )

    def _registered(self, request: dict[str, Any], nick: str, user: Optional[User],
                    error: Optional[errors.ChatError]) -> None:
        self.registering = False
        if error is not None:
            self.error(error.code, f"{error.target}: {error.message}", request)
            return
        self.user = user
        network = self.factory.network
        limits = network.limits
        self.answer(request, {
            "type": "welcome", "nick": nick, "server": network.server_name, "network": network.network_name,
            "version": __version__, "protocol": SUBPROTOCOL,
            "limits": {"nicklen": limits.nicklen, "channellen": limits.channellen, "topiclen": limits.topiclen,
                       "textlen": limits.textlen, "max_rooms": limits.max_rooms_per_user,
                       "max_frame": self.factory.settings.max_message},
        })

    def do_ping(self, request: dict[str, Any]) -> None:
        self.answer(request, {"type": "pong"})

    def do_join(self, request: dict[str, Any]) -> None:
        assert self.user is not None
        network = self.factory.network
        name = text_field(request, "room")
        key = text_field(request, "key", required=False)
        room = network.join(self.user, name, key) or network.find_room(name)
        assert room is not None
        answer = {"type": "joined", "room": room.name, "topic": room.topic, "topic_by": room.topic_by,
                  "topic_time": room.topic_time, "members": frames.members(room), "history": []}
        count = self.factory.settings.history_on_join
        if network.history is None or count <= 0:
            self.answer(request, answer)
            return
        d = defer.ensureDeferred(network.history.latest(casefold(room.name), count))

        def send(found: list[Any]) -> None:
            answer["history"] = [frames.frame(message) for message in found]
            self.answer(request, answer)

        d.addCallbacks(send, lambda failure: (log.failure("history on join", failure), self.answer(request, answer)))

    def do_history(self, request: dict[str, Any]) -> None:
        assert self.user is not None
        network = self.factory.network
        if network.history is None:
            raise FrameError("no_history", "History is not enabled on this server")
        room = text_field(request, "room", required=False)
        peer = text_field(request, "with", required=False)
        if bool(room) == bool(peer):
            raise FrameError("bad_field", "Give either 'room' or 'with' (a nick)")
        limit = request.get("limit", 50)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_HISTORY_PAGE:
            raise FrameError("bad_field", f"'limit' must be an integer from 1 to {MAX_HISTORY_PAGE}")
        before = text_field(request, "before", required=False)
        key = network.history_key(self.user, room or peer)
        if before:
            d = defer.ensureDeferred(network.history.before(key, Ref(msgid=before), limit))
        else:
            d = defer.ensureDeferred(network.history.latest(key, limit))
        answer: dict[str, Any] = {"type": "history"}
        answer.update({"room": room} if room else {"with": peer})

        def send(found: list[Any]) -> None:
            answer["messages"] = [frames.frame(message) for message in found]
            answer["more"] = len(found) == limit
            self.answer(request, answer)

        d.addCallbacks(send, lambda failure: self.error("history_error", "History could not be read", request))

    def do_part(self, request: dict[str, Any]) -> None:
        assert self.user is not None
        self.factory.network.part(self.user, text_field(request, "room"), text_field(request, "reason", required=False))

    def do_msg(self, request: dict[str, Any]) -> None:
        assert self.user is not None
        target = text_field(request, "to")
        text = text_field(request, "text")
        kind = text_field(request, "kind", required=False) or "privmsg"
        if kind not in MESSAGE_KINDS:
            raise FrameError("bad_field", f"'kind' must be one of {', '.join(MESSAGE_KINDS)}")
        network = self.factory.network
        if target[:1] in ROOM_PREFIXES:
            sent = network.send_room(self.user, target, kind, text)
        else:
            sent = network.send_direct(self.user, target, kind, text)
        ack = {"type": "ack", "msgid": sent.message.id, "time": sent.message.time}
        if sent.durable is None:
            self.answer(request, ack)
            return

        def stored(result: Any) -> None:
            # In cluster mode the stored message has the id the cluster gave it.
            if hasattr(result, "id"):
                ack.update(msgid=result.id, time=result.time)
            self.answer(request, ack)

        # Acknowledge only once the message is stored (its batch committed, or in Redis).
        d = defer.ensureDeferred(sent.durable)
        d.addCallbacks(stored, lambda failure: self.error("not_stored", "The message was delivered but not stored",
                                                          request))

    def do_topic(self, request: dict[str, Any]) -> None:
        assert self.user is not None
        name = text_field(request, "room")
        topic = request.get("topic")
        if topic is not None:
            if not isinstance(topic, str):
                raise FrameError("bad_field", "'topic' must be a string")
            self.factory.network.set_topic(self.user, name, topic)
            return
        room = self.factory.network.find_room(name)
        if room is None:
            raise errors.NoSuchRoom(name)
        self.answer(request, {"type": "topic", "room": room.name, "topic": room.topic, "by": room.topic_by,
                              "time": room.topic_time})

    def do_names(self, request: dict[str, Any]) -> None:
        name = text_field(request, "room")
        room = self.factory.network.find_room(name)
        if room is None:
            raise errors.NoSuchRoom(name)
        self.answer(request, {"type": "names", "room": room.name, "members": frames.members(room)})

    def do_list(self, request: dict[str, Any]) -> None:
        rooms = [{"name": r.name, "members": len(r.members), "topic": r.topic}
                 for r in self.factory.network.rooms.values()]
        rooms.sort(key=lambda r: (-r["members"], r["name"]))
        self.answer(request, {"type": "list", "rooms": rooms})

    def do_nick(self, request: dict[str, Any]) -> None:
        assert self.user is not None
        user = self.user
        self.factory.network.rename_when_free(
            user, text_field(request, "nick"), lambda: self.user is user and self.closing_reason is None,
            lambda failure: self.error(failure.code, f"{failure.target}: {failure.message}", request),
        )

    def do_away(self, request: dict[str, Any]) -> None:
        assert self.user is not None
        message = text_field(request, "message", required=False)
        self.factory.network.set_away(self.user, message or None)
        self.answer(request, {"type": "away", "message": message or None})


def text_field(request: dict[str, Any], name: str, required: bool = True) -> str:
    value = request.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise FrameError("bad_field", f"'{name}' must be a non-empty string")
    return value


HANDLERS: dict[str, Callable[[ChatWebSocket, dict[str, Any]], None]] = {
    name[3:]: getattr(ChatWebSocket, name) for name in dir(ChatWebSocket) if name.startswith("do_")
}

ChatWebSocketFactory.protocol = ChatWebSocket
