"""The telnet layer under a terminal connection: conch's telnet, as the connection guard needs it.

Options are refused except TIMING-MARK, which is answered every time it is asked: a client that
sends Ctrl-C (IAC IP, then DO TIMING-MARK) discards output until that answer arrives, so without
it the session would go silent.
"""

from __future__ import annotations

from typing import Any

from twisted.conch.telnet import IAC, WILL, TelnetTransport

from ..net.connection import LineFactory

TIMING_MARK = bytes([6])  # RFC 860


class ChatTelnetTransport(TelnetTransport):
    """conch's telnet layer, with what the connection guard needs of a transport."""

    transport: Any  # the TCP or TLS transport underneath

    def telnet_DO(self, option: bytes) -> None:
        if option == TIMING_MARK:
            self._write(IAC + WILL + TIMING_MARK)  # "everything before this is done", each time
            return
        super().telnet_DO(option)

    def dataReceived(self, data: bytes) -> None:
        try:
            super().dataReceived(data)
        except ValueError as error:
            if error.args[:1] != ("Stumped",):
                raise
            # conch refuses an IAC followed by a byte that is no telnet command:
            # a client that speaks broken telnet loses its own connection, quietly.
            if self.protocol is not None:
                self.protocol.close("Telnet protocol error (IAC followed by no command)")

    def write(self, data: bytes) -> None:
        # Lines already end in CR LF (conch's own write would turn LF into CR LF
        # again); only the IAC byte needs escaping, and UTF-8 never contains it.
        self.transport.write(data.replace(b"\xff", b"\xff\xff") if b"\xff" in data else data)

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        self.transport.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        self.transport.unregisterProducer()

    def pauseProducing(self) -> None:
        """Stop reading the socket (a busy room's back-pressure, or a command under way)."""
        self.transport.pauseProducing()

    def resumeProducing(self) -> None:
        self.transport.resumeProducing()

    def abortConnection(self) -> None:
        self.transport.abortConnection()


class TelnetFactory(LineFactory):
    #: Lines of a room's history shown on join.
    replay_lines = 10

    #: A terminal connection another node carries here (chatd.telnet.relayed.CarriedTelnet sets itself).
    relayed_class: Any = None

    def buildProtocol(self, addr: Any) -> Any:
        transport = ChatTelnetTransport(self.connection_class)
        transport.factory = self
        return transport

    def relayed_connection(self) -> Any:
        """Telnet itself stays on the node the terminal reached: here, only the chat connection."""
        conn = self.relayed_class()
        conn.factory = self
        conn.admitted_elsewhere = True
        return conn
