"""A line-oriented connection with the limits every line protocol needs.

IRC and telnet share this base: it frames lines, enforces the per-address
connection limit, runs commands through the flood gate, bounds the send queue
and closes the connection with a reason that is logged and shown to the user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import attrs
from twisted.internet import protocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from .flood import FloodGate, FloodPolicy
from .lines import TOO_LONG, LineSplitter
from .sendq import SendQueueGuard

if TYPE_CHECKING:
    from twisted.internet.interfaces import IReactorTime

    from ..core import Network
    from .peers import ConnectionCounter


@attrs.frozen
class ListenerSettings:
    """Limits applied to every connection of one listener."""

    flood: FloodPolicy = FloodPolicy()
    sendq: int = 1 << 20  # bytes waiting beyond the socket buffer
    max_line: int = 512  # bytes, CRLF included
    max_tags: int = 8191  # bytes of IRCv3 tags, "@" and the space included
    check_peer_limit: bool = True


class LineFactory(protocol.Factory):
    """Factory for line connections; subclasses set ``protocol``."""

    noisy = False  # the Listener logs where it listens; one line is enough

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
        self.bytes_in = 0
        self.bytes_out = 0


class LineConnection(protocol.Protocol):
    log = Logger()
    factory: LineFactory
    max_line_bytes = 512

    def __init__(self) -> None:
        self.closing = False
        self.close_reason: Optional[str] = None
        self.address = "?"
        self.counted = False

    # -- lifecycle -----------------------------------------------------------

    def connectionMade(self) -> None:
        peer = self.transport.getPeer()
        self.address = getattr(peer, "host", str(peer))
        settings = self.factory.settings
        self.splitter = LineSplitter(self.max_line_bytes)
        self.gate: FloodGate[bytes] = FloodGate(
            self.factory.clock, settings.flood, self._handle_line, self._flooded
        )
        self.sendq = SendQueueGuard(self.transport, settings.sendq, self._sendq_exceeded)
        self.last_seen = self.factory.clock.seconds()
        if settings.check_peer_limit and not self.factory.peers.acquire(self.address):
            self.refuse_too_many()
            self.close("Too many connections from your address")
            return
        self.counted = settings.check_peer_limit
        self.factory.connections.add(self)
        self.log.debug("{proto} connection from {address}", proto=self.protocol_name, address=self.address)
        self.connection_opened()

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.closing = True
        self.gate.close()
        if self.counted:
            self.factory.peers.release(self.address)
            self.counted = False
        self.factory.connections.discard(self)
        why = self.close_reason or "Connection closed"
        if self.close_reason is None and not reason.check(protocol.connectionDone.type):
            why = "Connection reset by peer"
        self.connection_closed(why)

    # -- input ---------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        if self.closing:
            return
        self.last_seen = self.factory.clock.seconds()
        self.factory.bytes_in += len(data)
        for line in self.splitter.feed(data):
            if self.closing:
                return
            if line is TOO_LONG:
                self.line_too_long()
            else:
                self.gate.submit(line)

    def _handle_line(self, line: bytes) -> None:
        if self.closing:
            return
        try:
            self.line_received(line)
        except Exception:
            # A bug must cost one line, never the connection or the reactor.
            self.log.failure("error handling {proto} line {line!r}", proto=self.protocol_name, line=line[:200])
            self.internal_error()

    # -- output --------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.closing:
            return
        self.transport.write(data)
        self.factory.bytes_out += len(data)
        self.sendq.wrote(len(data))

    def close(self, reason: str, abort: bool = False, goodbye: bool = True) -> None:
        """Close with ``reason``; ``abort`` drops unsent output (a dead reader)."""
        if self.closing:
            return
        self.close_reason = reason
        if goodbye:
            self.say_goodbye(reason)
        self.closing = True
        self.gate.close()
        self.log.debug(
            "{proto} {address} closed: {reason}", proto=self.protocol_name, address=self.address, reason=reason
        )
        if abort:
            self.transport.abortConnection()
        else:
            self.transport.loseConnection()

    def _flooded(self) -> None:
        self.log.info("{proto} {address} cut off: Excess Flood", proto=self.protocol_name, address=self.address)
        self.close("Excess Flood")

    def _sendq_exceeded(self) -> None:
        self.log.info("{proto} {address} cut off: SendQ exceeded", proto=self.protocol_name, address=self.address)
        self.close("SendQ exceeded", abort=True)

    # -- for subclasses ------------------------------------------------------

    protocol_name = "line"

    def connection_opened(self) -> None:
        """The connection is accepted."""

    def connection_closed(self, reason: str) -> None:
        """The connection is gone; ``reason`` says why."""

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
