"""A line-oriented connection: framing, the connection guard, and a Session.

IRC and telnet share this base.  It splits the byte stream into bounded lines,
puts each through the :class:`~chatd.net.guard.ConnectionGuard` (per-address
limit, flood gate, send-queue bound, close once), and owns the connection's
:class:`~chatd.core.Session`, which leaves the network when the connection
goes.  Subclasses parse lines into session calls and render events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Hashable, Optional

import attrs
from twisted.internet import protocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from ..core import Session
from ..core.delivery import HELD, flush_held
from .certfp import peer_fingerprint
from .direct import write_now
from .flood import FloodPolicy
from .guard import NORMAL, SENDQ, ConnectionGuard
from .lines import TOO_LONG, LineSplitter

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from twisted.internet.defer import Deferred
    from twisted.internet.interfaces import IReactorTime

    from ..core import Network
    from ..core.events import Event
    from .peers import ConnectionCounter


@attrs.frozen
class ListenerSettings:
    """Limits applied to every connection of one listener."""

    flood: FloodPolicy = FloodPolicy()
    sendq: int = 1 << 20  # bytes waiting beyond the socket buffer
    max_line: int = 512  # bytes, CRLF included
    max_tags: int = 4094  # bytes of tag data from a client, without the "@" and the space (IRCv3 message-tags)
    check_peer_limit: bool = True


class LineFactory(protocol.Factory):
    """Factory for line connections; subclasses set ``protocol``."""

    noisy = False  # the Listener logs where it listens; one line is enough

    #: The connection class this factory builds.
    connection_class: ClassVar[type[LineConnection]]

    def __init__(
        self,
        network: Network,
        clock: IReactorTime,
        peers: ConnectionCounter,
        settings: ListenerSettings,
    ) -> None:
        self.network = network
        self.clock = clock
        self.peers = peers
        self.settings = settings
        self.connections: set[LineConnection] = set()
        #: A room's webhooks, as its operators make them with ChanServ HOOK (set with the API).
        self.room_hooks: Any = None  # chatd.api.roomhooks.RoomHooks
        self.bytes_in = 0
        self.bytes_out = 0
        #: Carries a connection to the node holding its person, in a cluster (chatd.cluster.relay.Relay).
        self.relay: Any = None

    def buildProtocol(self, addr: Any) -> Any:
        conn = self.connection_class()
        conn.factory = self
        return conn

    def relayed_connection(self) -> Any:
        """A connection another node carries here (its person is held here), before its transport."""
        conn = self.buildProtocol(None)
        conn.admitted_elsewhere = True
        return conn


class LineConnection(protocol.Protocol):
    transport: Any  # a TCP or TLS transport: ITCPTransport and IConsumer
    log = Logger()
    factory: LineFactory
    max_line_bytes = 512
    protocol_name = "line"
    #: Set on the node a connection was made to once it is carried to the node holding its person
    #: (:meth:`carry`): the relay, and the connection's id there.  Its bytes only pass through here.
    carried: Optional[tuple[Any, str]] = None
    #: Carried here from the node it connected to, which counted it against its address's limit.
    admitted_elsewhere = False

    def __init__(self) -> None:
        self.address = "?"
        self.silenced = False  # nothing more is written once the goodbye is out
        self.goodbye = True

    # -- lifecycle -----------------------------------------------------------

    def connectionMade(self) -> None:
        peer = self.transport.getPeer()
        self.address = getattr(peer, "host", str(peer))
        factory, settings = self.factory, self.factory.settings
        self.splitter = LineSplitter(self.max_line_bytes)
        self.guard: ConnectionGuard[bytes] = ConnectionGuard(
            factory.clock, factory.peers, settings.flood, settings.sendq,
            settings.check_peer_limit and not self.admitted_elsewhere, self.protocol_name, self,
        )
        self.session = Session(factory.network, self, self.protocol_name, self.address)
        self.last_seen = factory.clock.seconds()
        self.guard.start(self.transport)
        if not self.guard.admit(self.address):
            self.refuse_too_many()
            self.close("Too many connections from your address")
            return
        factory.connections.add(self)
        self.log.debug("{proto} connection from {address}", proto=self.protocol_name, address=self.address)
        self.connection_opened()

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        if self.carried is not None:
            self.carried[0].closed(self.carried[1])
        self.silenced = True
        self.guard.release()
        self.factory.connections.discard(self)
        why = self.guard.reason or "Connection closed"
        if self.guard.reason is None and not reason.check(protocol.connectionDone.type):
            why = "Connection reset by peer"
        self.session.quit(why)
        self.connection_closed(why)

    @property
    def closing(self) -> bool:
        return self.guard.closing

    def run(self, coroutine: Coroutine[Any, Any, Any], what: str,
            crashed: Optional[Callable[[], None]] = None) -> Deferred[Any]:
        """Carry out a command that waits; this connection's later commands wait for it."""
        return self.guard.run(coroutine, what, crashed)

    # -- input ---------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        if self.closing:
            return
        if self.carried is not None:
            self.carried[0].send_in(self.carried[1], data)
            return
        self.last_seen = self.factory.clock.seconds()
        self.factory.bytes_in += len(data)
        for line in self.splitter.feed(data):
            if self.closing:
                return
            if line is TOO_LONG:
                self.line_too_long()
            else:
                self.guard.submit(line)  # type: ignore[arg-type]

    def guarded(self, line: bytes) -> None:
        """A line that passed the flood gate."""
        try:
            self.line_received(line)
        except Exception:
            # A bug must cost one line, never the connection or the reactor.
            self.log.failure("error handling {proto} line {line!r}", proto=self.protocol_name, line=line[:200])
            self.internal_error()

    # -- carried to another node (chatd.cluster.relay) ---------------------------

    def carry(self, home: str, state: dict[str, Any]) -> bool:
        """Hand this connection to node ``home``, which holds its person, with ``state`` (what the
        adapter there needs to know of it) and what was received and not handled yet; False when
        it cannot be (no cluster, or its link is down)."""
        relay = self.factory.relay
        if relay is None or not relay.can_carry(home):
            return False
        unread = [line + b"\r\n" for line in self.guard.hand_over() if line is not TOO_LONG]
        rest = self.splitter.rest()
        conn_id = relay.carry(self, home, self.protocol_name, self.address, state, unread + ([rest] if rest else []),
                              peer_fingerprint(self.transport))
        self.carried = (relay, conn_id)
        return True

    def relay_out(self, data: bytes) -> None:
        LineConnection.write(self, data)

    def relay_end(self, reason: str, how: str, said: bool = False) -> None:
        if how == SENDQ:
            self.guard.close(reason, how)
        else:
            self.close(reason, how, goodbye=not said)  # an IRC ERROR here, unless the home said one

    def relay_in(self, data: bytes) -> None:
        """On the home node: what the client sent, from the node it is connected to."""
        self.dataReceived(data)

    def resume(self, state: dict[str, Any]) -> None:
        """On the home node: take what the other node knew of the connection (an adapter's own)."""

    def relay_option(self, name: str, value: Any) -> None:
        """On the home node: something the client told the other node outside its bytes."""

    # -- output --------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.silenced:
            return
        if HELD:
            flush_held()  # a reply never overtakes room messages (an echo) held for the end of the turn
        write_now(self.transport, data)
        self.factory.bytes_out += len(data)
        self.guard.wrote(len(data))

    def close(self, reason: str, how: str = NORMAL, goodbye: bool = True) -> None:
        """Close once with ``reason`` (``how``: see :mod:`chatd.net.guard`)."""
        if not self.closing:
            self.goodbye = goodbye
            self.guard.close(reason, how)

    def shut(self, reason: str, how: str) -> None:
        """The guard closes the connection."""
        if how == SENDQ:
            self.silenced = True
            self.transport.abortConnection()  # a reader that stopped: unsent output is dropped
            return
        if self.goodbye:
            self.say_goodbye(reason)
        self.silenced = True
        self.transport.loseConnection()

    # -- for subclasses: the core's Client interface ----------------------------

    format_key: Hashable
    echo_messages: bool

    def encode(self, event: Event) -> Optional[object]:
        raise NotImplementedError

    def deliver(self, payload: Any) -> None:
        raise NotImplementedError

    @property
    def immediate(self) -> bool:
        return False

    @property
    def behind(self) -> bool:
        return self.guard.behind

    def hold_input(self, hold: bool) -> None:
        self.guard.hold_input(hold)

    def show_room(self, name: str, joined: bool) -> None:
        """A room this person is in through another connection (multiclient): each protocol shows it."""

    def keepalive(self, now: float) -> None:
        """Called by the listener's periodic sweep: a protocol with pings sends one, or gives up."""

    def combine(self, payloads: list[Any]) -> Any:
        """A turn's room messages for this format in one write: the lines, joined."""
        return payloads[0] if len(payloads) == 1 else b"".join(payloads)

    def disconnect(self, reason: str) -> None:
        raise NotImplementedError

    # -- for subclasses: the wire ---------------------------------------------

    def connection_opened(self) -> None:
        """The connection is accepted."""

    def connection_closed(self, reason: str) -> None:
        """The connection is gone (the session has left the network); ``reason`` says why."""

    def line_received(self, line: bytes) -> None:
        raise NotImplementedError

    def line_too_long(self) -> None:
        """A line exceeded ``max_line_bytes`` and was skipped."""

    def refuse_too_many(self) -> None:
        """Tell the client it is over the per-address limit (before closing)."""

    def say_goodbye(self, reason: str) -> None:
        """Last words before closing (IRC ``ERROR``, a telnet line)."""

    def internal_error(self) -> None:
        """Tell the client its command failed inside the server."""
