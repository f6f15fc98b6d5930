"""Adapters connected to in-memory transports: real protocol code, no sockets, no reactor."""

from __future__ import annotations

from typing import Optional


class Memory:
    """A protocol connected to a StringTransport, with line helpers."""

    def __init__(self, factory, host: str = "10.0.0.1") -> None:
        from twisted.internet.address import IPv4Address
        from twisted.internet.testing import StringTransport

        self.transport = StringTransport(peerAddress=IPv4Address("TCP", host, 50000))
        self.proto = factory.buildProtocol(self.transport.getPeer())
        self.proto.makeConnection(self.transport)
        self.received: list[str] = []

    def send(self, line: str | bytes) -> None:
        if isinstance(line, str):
            line = (line + "\r\n").encode("utf-8")
        self.proto.dataReceived(line)

    def read(self) -> list[str]:
        """Lines written since the last read."""
        data = self.transport.value()
        self.transport.clear()
        lines = [line.decode("utf-8", "replace") for line in data.split(b"\r\n") if line]
        self.received.extend(lines)
        return lines

    def drop(self) -> None:
        from twisted.internet import error
        from twisted.python.failure import Failure

        self.proto.connectionLost(Failure(error.ConnectionDone()))


def memory_network(batch_turns=False, **limits):
    """A network on a memory clock, with real accounts in an in-memory SQLite store.

    With ``batch_turns`` room messages wait for the end of the turn (``clock.advance(0)``), as in
    the daemon; without, they go out at once, which keeps most unit tests short.

    Password hashing is real scrypt at a lower cost than the daemon's (2**10), to keep unit tests fast.
    """
    from twisted.internet.task import Clock

    from chatd.accounts.passwords import ScryptHasher
    from chatd.accounts.sqlite import SQLiteAccounts
    from chatd.core import Limits, Network
    from chatd.core.accounts import Accounts

    clock = Clock()
    clock.advance(1_800_000_000)
    network = Network(server_name="irc.test", network_name="TestNet", limits=Limits(**limits),
                      clock=clock.seconds, schedule=clock.callLater, batch_turns=batch_turns)
    network.accounts = Accounts(SQLiteAccounts(":memory:"), ScryptHasher(None, log_n=10), clock.seconds)
    return network, clock


def irc_factory(network, clock, **kwargs):
    from chatd.irc.factory import IRCFactory
    from chatd.net.connection import ListenerSettings
    from chatd.net.peers import ConnectionCounter

    settings = kwargs.pop("settings", ListenerSettings())
    peers = kwargs.pop("peers", ConnectionCounter(10))
    return IRCFactory(network, clock, peers, settings, **kwargs)


def irc_user(factory, nick: str, caps: str = "", host: str = "10.0.0.1") -> Memory:
    conn = Memory(factory, host)
    if caps:
        conn.send("CAP LS 302")
        conn.send(f"CAP REQ :{caps}")
    conn.send(f"NICK {nick}")
    conn.send(f"USER {nick.lower()} 0 * :{nick} Example")
    if caps:
        conn.send("CAP END")
    lines = conn.read()
    assert any(" 001 " in line for line in lines), lines
    return conn


def telnet_factory(network, clock, **kwargs):
    from chatd.net.connection import ListenerSettings
    from chatd.net.peers import ConnectionCounter
    from chatd.telnet.connection import TelnetFactory

    return TelnetFactory(network, clock, kwargs.pop("peers", ConnectionCounter(10)),
                         kwargs.pop("settings", ListenerSettings()))


def ws_factory(network, clock, **settings):
    from chatd.net.peers import ConnectionCounter
    from chatd.ws.factory import ChatWebSocketFactory, WebSocketSettings

    peers = settings.pop("peers", ConnectionCounter(10))
    return ChatWebSocketFactory(network, clock, peers, WebSocketSettings(**settings))


class MemoryWebSocket:
    """The ``websockets`` library's sans-I/O client wired to our server
    protocol through a StringTransport: real handshake, real frames."""

    def __init__(self, factory, origin: Optional[str] = None, subprotocols=("chatd.v1",),
                 host: str = "10.0.0.2", uri: str = "ws://chat.test/ws") -> None:
        from twisted.internet.address import IPv4Address
        from twisted.internet.testing import StringTransport
        from websockets.client import ClientProtocol
        from websockets.uri import parse_uri

        class SocketLikeTransport(StringTransport):
            # A TCP transport ignores unregisterProducer() without a producer
            # (Autobahn calls it when dropping a connection); so does this one.
            def unregisterProducer(self) -> None:
                self.producer = None

        self.client = ClientProtocol(parse_uri(uri), origin=origin,
                                     subprotocols=list(subprotocols) or None)
        self.transport = SocketLikeTransport(peerAddress=IPv4Address("TCP", host, 50001))
        self.proto = factory.buildProtocol(self.transport.getPeer())
        self.proto.makeConnection(self.transport)
        self.client.send_request(self.client.connect())
        self.frames: list[dict] = []
        self.eof = False
        self._pump()

    def _pump(self) -> None:
        for data in self.client.data_to_send():
            if data:
                self.proto.dataReceived(data)
        out = self.transport.value()
        self.transport.clear()
        if out:
            self.client.receive_data(out)
        if self.transport.disconnecting and not self.eof:
            self.eof = True
            self.client.receive_eof()
        for event in self.client.events_received():
            text = getattr(event, "data", None)
            if isinstance(text, (bytes, bytearray)) and getattr(event, "opcode", None) is not None:
                import json

                if event.opcode.name == "TEXT":
                    self.frames.append(json.loads(bytes(text)))

    @property
    def open(self) -> bool:
        from websockets.protocol import State

        return self.client.state == State.OPEN

    @property
    def handshake_status(self) -> Optional[int]:
        response = getattr(self.client, "handshake_exc", None)
        status = getattr(getattr(response, "response", None), "status_code", None)
        return status

    def send(self, frame) -> None:
        import json

        if isinstance(frame, (bytes, bytearray)):
            self.client.send_binary(bytes(frame))
        else:
            self.client.send_text((frame if isinstance(frame, str) else json.dumps(frame)).encode())
        self._pump()

    def read(self) -> list[dict]:
        self._pump()
        frames, self.frames = self.frames, []
        return frames


def memory_history(network, clock, **kwargs):
    """The real SQLite store on an in-memory database, run inline (no thread)."""
    from chatd.history.sqlite import SQLiteHistory

    store = SQLiteHistory(":memory:", clock, **kwargs)
    network.history = store
    return store
