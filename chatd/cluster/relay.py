"""A connection carried over to the node that holds its person (multiclient across nodes).

A person is held by one node: their :class:`~chatd.core.directory.User`, their rooms, and every
connection of theirs, so that a device joining them sees and does exactly what a second device on
one server does (:mod:`chatd.core.devices`).  When a device signs in on another node than the
one holding its person (:class:`~chatd.core.errors.ConnectedElsewhere`), that node (the *door*)
does not refuse it: it carries the connection over to the holder (the *home*) and from then on
only moves its bytes:

- the door's adapter gives what it knows of the connection (its address and TLS client
  certificate, its account and device, IRC's capabilities and USER line, telnet's echo and
  window size) and what the client sent that was not read yet;
- the home builds the same adapter's connection on a :class:`RelayTransport`, puts it in that
  state and lets it finish signing in: it is one more connection of the person there, under the
  home's connection guard, flood gate and limits;
- what the client sends goes to the home as it arrives (``in``); what the home writes goes back
  (``out``, gathered per reactor turn) and the door writes it to the socket; what the client
  says outside its bytes (a telnet window's size) goes as ``opt``; either side ends it (``end``).

Every message travels on the receiving node's own channel (``{n:NODE}:relay``), published over
one Redis connection, so each direction keeps its order.  Pub/sub loses what is sent while a link
is down, so a relayed connection does not outlive it: when the link goes down (on a Redis
Cluster, the shard of this node's relay channel), or the other node is lost or leaves, both ends
close it, and the client connects again (and reaches its person wherever they are held then).

Written here, not with a library: it is a few messages on the link the node already has; a
socket between nodes would need its own addressing, TLS and auth.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Iterable, Optional, Protocol

import attrs
from twisted.internet import error as net_error
from twisted.internet.interfaces import IConsumer, ITransport
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from ..net.guard import FLOOD, GOING_AWAY, NORMAL, SENDQ
from . import codec
from .keys import Keys
from .link import Link

log = Logger()


class Carried(Protocol):
    """The door's side: an adapter's connection whose person another node holds."""

    def relay_out(self, data: bytes) -> None:
        """Write what the home wrote (one write: an IRC turn's lines, one WebSocket message) to the client."""

    def relay_end(self, reason: str, how: str, said: bool = False) -> None:
        """The home closed the connection (``how``: as :mod:`chatd.net.guard` says; ``said``: its
        adapter there said its goodbye, an IRC ``ERROR``), or it cannot be carried any more."""


class Served(Protocol):
    """The home's side: an adapter's connection built on a :class:`RelayTransport`."""

    def makeConnection(self, transport: Any) -> None: ...

    def resume(self, state: dict[str, Any]) -> None:
        """Take the state the door gave (signed in, capabilities) and finish signing in."""

    def relay_in(self, data: bytes) -> None:
        """What the client sent."""

    def relay_option(self, name: str, value: Any) -> None:
        """Something the client told the other node outside its bytes (telnet: ``window``, its size)."""

    def connectionLost(self, reason: Failure) -> None: ...


class Serving(Protocol):
    """What builds the home's connections of one protocol (an adapter's factory)."""

    def relayed_connection(self) -> Served: ...


@attrs.frozen
class Peer:
    """The client's address, as the door saw it (what ``getPeer`` gives the home's adapter)."""

    host: str
    type: str = "TCP"
    port: int = 0


def latin(data: bytes) -> str:
    return data.decode("latin-1")  # bytes as they are, one code point each, through JSON


class Relay:
    def __init__(self, link: Link, keys: Keys, node: str, reactor: Any) -> None:
        self.link = link
        self.keys = keys
        self.node = node
        self.reactor = reactor
        #: The door's side: connection id -> (the connection, the home's node).
        self.carried: dict[str, tuple[Carried, str]] = {}
        #: The home's side: (door node, connection id) -> the transport its connection writes to.
        self.served: dict[tuple[str, str], RelayTransport] = {}
        #: Protocol name ("irc", "web") -> what builds its connections here (:meth:`serve`).
        self.factories: dict[str, Serving] = {}

    def serve(self, factories: dict[str, Serving], doors: list[Any]) -> None:
        """Build connections carried here with ``factories`` (by protocol), and let the listeners'
        factories in ``doors`` carry theirs away."""
        self.factories = dict(factories)
        for door in doors:
            door.relay = self

    @property
    def channel(self) -> str:
        return self.keys.relay(self.node)

    def _send(self, node: str, message: dict[str, Any]) -> None:
        def failed(failure: Failure) -> None:
            log.info("cluster: relay message to {node} not sent ({why})", node=node,
                     why=failure.getErrorMessage())
            self._end_carried(str(message.get("c")), "Lost the link to the other servers", NORMAL)
            self._end_served((node, str(message.get("c"))), "Lost the link to the other servers")

        self.link.call("PUBLISH", self.keys.relay(node), codec.dumps(message)).addErrback(failed)

    # -- the door's side --------------------------------------------------------------------------------

    def can_carry(self, home: str) -> bool:
        return bool(home) and home != self.node and self.link.up and self.link.following(self.channel)

    def carry(self, conn: Carried, home: str, protocol: str, address: str, state: dict[str, Any],
              unread: list[bytes], fingerprint: Optional[str] = None) -> str:
        """Carry ``conn`` over to ``home`` (when :meth:`can_carry`): the id it has there.
        ``fingerprint``: the TLS client certificate the client showed (OPER and CERT ADD use it)."""
        conn_id = secrets.token_hex(8)
        self.carried[conn_id] = (conn, home)
        log.info("cluster: a {protocol} connection from {address} carried to node {home}", protocol=protocol,
                 address=address, home=home)
        self._send(home, {"t": "open", "n": self.node, "c": conn_id, "p": protocol, "a": address, "s": state,
                          "f": fingerprint, "i": [latin(item) for item in unread]})
        return conn_id

    def send_in(self, conn_id: str, data: bytes) -> None:
        """What the client sent, for the home."""
        found = self.carried.get(conn_id)
        if found is not None:
            self._send(found[1], {"t": "in", "n": self.node, "c": conn_id, "d": latin(data)})

    def send_option(self, conn_id: str, name: str, value: Any) -> None:
        """Something the client told outside its bytes (a telnet window's new size), for the home."""
        found = self.carried.get(conn_id)
        if found is not None:
            self._send(found[1], {"t": "opt", "n": self.node, "c": conn_id, "k": name, "v": value})

    def closed(self, conn_id: str) -> None:
        """The client's socket closed: the home's connection goes too."""
        found = self.carried.pop(conn_id, None)
        if found is not None:
            self._send(found[1], {"t": "end", "n": self.node, "c": conn_id, "home": False})

    def _end_carried(self, conn_id: str, reason: str, how: str, said: bool = False) -> None:
        found = self.carried.pop(conn_id, None)
        if found is not None:
            found[0].relay_end(reason, how, said)

    # -- the home's side --------------------------------------------------------------------------------

    def _open(self, message: dict[str, Any]) -> None:
        door, conn_id = str(message["n"]), str(message["c"])
        factory = self.factories.get(str(message.get("p")))
        if factory is None:
            self._send(door, {"t": "end", "n": self.node, "c": conn_id, "home": True,
                              "r": "This connection's protocol is not served where your other devices are"})
            return
        conn = factory.relayed_connection()
        transport = RelayTransport(self, door, conn_id, str(message.get("a", "?")), conn)
        transport.certificate_fingerprint = str(message["f"]) if message.get("f") else None
        self.served[(door, conn_id)] = transport
        conn.makeConnection(transport)
        if transport.disconnecting:  # refused on admission
            return
        conn.resume(dict(message.get("s") or {}))
        for item in message.get("i") or ():
            if transport.disconnecting:
                break
            conn.relay_in(str(item).encode("latin-1"))

    def _end_served(self, key: tuple[str, str], reason: str) -> None:
        transport = self.served.pop(key, None)
        if transport is not None:
            transport.lost(reason)

    # -- messages, and the other nodes ------------------------------------------------------------------

    def received(self, data: str) -> None:
        message = json.loads(data)
        kind, conn_id, node = message.get("t"), str(message.get("c")), str(message.get("n"))
        if kind == "out":
            for chunk in message.get("d") or ():
                found = self.carried.get(conn_id)  # gone once a chunk made the client close it
                if found is None:
                    break
                found[0].relay_out(str(chunk).encode("latin-1"))
        elif kind == "in":
            transport = self.served.get((node, conn_id))
            if transport is None:  # the home restarted meanwhile: the door closes it
                self._send(node, {"t": "end", "n": self.node, "c": conn_id, "home": True, "r": "Connection lost"})
            elif not transport.disconnecting:
                transport.protocol.relay_in(str(message.get("d", "")).encode("latin-1"))
        elif kind == "opt":
            transport = self.served.get((node, conn_id))
            if transport is not None and not transport.disconnecting:
                transport.protocol.relay_option(str(message.get("k")), message.get("v"))
        elif kind == "open":
            try:
                self._open(message)
            except Exception:  # a bug costs this connection (its client is told), not the link
                log.failure("cluster: a connection carried from {node} failed to open", node=node)
                self._end_served((node, conn_id), "Internal error")
                self._send(node, {"t": "end", "n": self.node, "c": conn_id, "home": True, "r": "Internal error"})
        elif kind == "end":
            if message.get("home"):
                how = str(message.get("h")) if message.get("h") in (FLOOD, GOING_AWAY, SENDQ) else NORMAL
                # Without a reason the home's adapter closed it, and said its goodbye itself.
                self._end_carried(conn_id, str(message.get("r") or "Closed by its server"), how,
                                  said=not message.get("r"))
            else:
                self._end_served((node, conn_id), "Connection closed")

    def node_gone(self, node: str) -> None:
        """``node`` is lost or left: what it carried or served for us ends."""
        for conn_id, (_, home) in list(self.carried.items()):
            if home == node:
                self._end_carried(conn_id, "The server holding your session went away", NORMAL)
        for key in [key for key in self.served if key[0] == node]:
            self._end_served(key, "Connection lost with its server")

    def check(self) -> None:
        """Run every second: on a Redis Cluster this node's relay channel lives on one shard, which
        may be down while the link is up; nothing would arrive, so what is carried ends."""
        if (self.carried or self.served) and not self.link.following(self.channel):
            self.link_down()

    def link_down(self) -> None:
        """Messages sent now would be lost: every relayed connection ends (its client connects again)."""
        for conn_id in list(self.carried):
            self._end_carried(conn_id, "Lost the link to the other servers", NORMAL)
        for key in list(self.served):
            self._end_served(key, "Connection lost with its server")


@implementer(ITransport, IConsumer)
class RelayTransport:
    """The home's transport for a carried connection: what its adapter writes goes to the door,
    gathered into one message per reactor turn."""

    def __init__(self, relay: Relay, door: str, conn_id: str, address: str, protocol: Served) -> None:
        self.relay = relay
        self.door = door
        self.conn_id = conn_id
        self.peer = Peer(address)
        self.protocol = protocol
        self.pending: list[bytes] = []  # one chunk per write: a WebSocket message each
        #: The client's TLS certificate, as the door saw it (chatd.net.certfp.peer_fingerprint reads it).
        self.certificate_fingerprint: Optional[str] = None
        self.disconnecting = False
        self.flushing: Any = None

    def write(self, data: bytes) -> None:
        if self.disconnecting or not data:
            return
        self.pending.append(data)
        if self.flushing is None:
            self.flushing = self.relay.reactor.callLater(0, self.flush)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        for part in data:
            self.write(part)

    def flush(self) -> None:
        self.flushing = None
        if self.pending:
            chunks, self.pending = [latin(chunk) for chunk in self.pending], []
            self.relay._send(self.door, {"t": "out", "n": self.relay.node, "c": self.conn_id, "d": chunks})

    def loseConnection(self) -> None:
        self.end("", NORMAL)

    def abortConnection(self) -> None:
        self.end("", SENDQ)  # a client that stopped reading: the door drops what it has not sent

    def end(self, reason: str, how: str) -> None:
        """The home's adapter closes the connection: what it wrote goes first, then the door closes
        the socket (``reason``, ``how``: as its guard would)."""
        if self.disconnecting:
            return
        if self.flushing is not None:
            self.flushing.cancel()
        self.flush()
        self.disconnecting = True
        if self.relay.served.pop((self.door, self.conn_id), None) is not None:
            self.relay._send(self.door, {"t": "end", "n": self.relay.node, "c": self.conn_id, "home": True,
                                         "r": reason, "h": how})
        self.relay.reactor.callLater(0, self.protocol.connectionLost, Failure(net_error.ConnectionDone()))

    def lost(self, reason: str) -> None:
        """The door's socket closed (or the door is gone): the connection is gone here too."""
        if self.disconnecting:
            return
        self.disconnecting = True
        self.pending = []
        if self.flushing is not None:
            self.flushing.cancel()
            self.flushing = None
        self.protocol.connectionLost(Failure(net_error.ConnectionLost(reason)))

    def getPeer(self) -> Any:  # a Peer: what adapters read of an address (its host)
        return self.peer

    def getHost(self) -> Any:
        return Peer(self.relay.node)

    # The door's socket has its own buffer and back-pressure: nothing waits here beyond one turn.
    def registerProducer(self, producer: Any, streaming: bool) -> None:
        pass

    def unregisterProducer(self) -> None:
        pass

    def pauseProducing(self) -> None:
        pass

    def resumeProducing(self) -> None:
        pass

    def stopProducing(self) -> None:
        self.loseConnection()
