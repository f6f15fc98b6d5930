"""IRC over WebSocket (the IRCv3 ``text.ircv3.net`` and ``binary.ircv3.net`` subprotocols).

Web IRC clients (Gamja, Kiwi IRC, ...) speak plain IRC, one line per
WebSocket message.  Such a socket runs the very same IRC adapter as a TCP
client: :class:`IRCOverWebSocket` is the transport the
:class:`~chatd.irc.connection.IRCConnection` writes to, turning each IRC line
it writes into one WebSocket message (text or binary, as negotiated), and
each message received becomes one line for it.

The limits are the same as for every connection: the WebSocket's guard took
the per-address slot (so the IRC side does not count again) and bounds what
waits to be sent; the IRC side runs its flood gate, line and tag limits and
keepalive as it would on TCP.  Reference: ircv3.net/specs/extensions/websocket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import ITransport
from zope.interface import implementer

if TYPE_CHECKING:
    from .surface import MessageSocket

TEXT = "text.ircv3.net"
BINARY = "binary.ircv3.net"


@implementer(ITransport)
class IRCOverWebSocket:
    def __init__(self, ws: MessageSocket, binary: bool, address: str) -> None:
        self.ws = ws
        self.binary = binary
        self.address = address  # the client's, also behind a trusted proxy
        self.disconnecting = False

    def write(self, data: bytes) -> None:
        for line in data.split(b"\r\n"):
            if line:
                self.ws.send_message(line, self.binary)

    def writeSequence(self, data: Any) -> None:
        self.write(b"".join(data))

    def loseConnection(self) -> None:
        if not self.disconnecting:
            self.disconnecting = True
            self.ws.sendClose(1000)

    def abortConnection(self) -> None:
        self.disconnecting = True
        self.ws.transport.abortConnection()

    def getPeer(self) -> Any:
        peer = self.ws.transport.getPeer()
        return IPv4Address("TCP", self.address, getattr(peer, "port", 0)) if ":" not in self.address \
            else IPv6Address("TCP", self.address, getattr(peer, "port", 0))

    def getHost(self) -> Any:
        return self.ws.transport.getHost()

    # The WebSocket's own guard bounds what waits to be sent; the IRC side needs no producer.
    def registerProducer(self, producer: Any, streaming: bool) -> None:
        pass

    def unregisterProducer(self) -> None:
        pass

    # While a command waits (SASL, a nick claimed across the cluster) the IRC side stops reading the
    # socket, as on TCP: its later lines wait unread.  Only the IRC side pauses a web IRC socket.
    def pauseProducing(self) -> None:
        self.ws.transport.pauseProducing()

    def resumeProducing(self) -> None:
        self.ws.transport.resumeProducing()
