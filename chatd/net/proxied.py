"""Clients behind a reverse proxy: their real address, from proxies we trust only.

``--trusted-proxies 10.0.0.5,10.1.0.0/16`` names the proxies; from them,
HTTP and WebSocket clients are known by RFC 7239 ``Forwarded`` or ``X-Forwarded-For``
(:meth:`TrustedProxies.client_address`),
and IRC or telnet listeners that opt in (``--proxy-protocol irc,telnet``)
read the PROXY protocol header (v1 or v2) that haproxy or nginx's stream
module sends first.  Per-address limits, bans, WHOIS and logs then see the
person, not the proxy; a header from anyone else is refused, so nobody can
claim an address that is not theirs.

The PROXY parsing is Twisted's (``twisted.protocols.haproxy``).  Its wrapper
starts the wrapped protocol before the header has arrived, which would greet
the client and count the proxy's address; :class:`ProxyHeaderWrapper` holds
the chat connection back until the header is read.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterable, Optional, Sequence, Union, cast

from twisted.internet import protocol
from twisted.internet.interfaces import ITransport
from twisted.logger import Logger

# Twisted exports only proxyEndpoint(), whose wrapper starts the wrapped protocol too
# early (see above); the wrapper classes themselves are what we build on.
from twisted.protocols.haproxy._wrapper import HAProxyProtocolWrapper, HAProxyWrappingFactory
from twisted.python.failure import Failure
from zope.interface import directlyProvides, providedBy

log = Logger()
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


class TrustedProxies:
    def __init__(self, networks: Iterable[str] = ()) -> None:
        self.networks: list[Network] = [ipaddress.ip_network(n.strip(), strict=False) for n in networks if n.strip()]

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client_address(self, peer: str, forwarded_for: Optional[str], forwarded: Optional[str] = None) -> str:
        """The client behind ``peer``: the nearest address we do not trust in RFC 7239 ``Forwarded``
        (``for=`` of each element) or, without it, in ``X-Forwarded-For``; the headers are read
        only from a trusted peer, and a garbled one proves nothing (the peer's address stays)."""
        if not self.trusts(peer) or not (forwarded or forwarded_for):
            return peer
        hops = forwarded_hops(forwarded) if forwarded else [
            hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
        if hops is None:
            return peer
        for hop in reversed(hops):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return peer  # a garbled header proves nothing
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer


def forwarded_hops(header: str) -> Optional[list[str]]:
    """The ``for=`` addresses of an RFC 7239 ``Forwarded`` header, first hop first, without quotes,
    IPv6 brackets or ports; None when an element has none or one that is not an address
    (``unknown``, an obfuscated ``_name``): then it says nothing to rely on."""
    hops = []
    for element in header.split(","):
        found = None
        for pair in element.split(";"):
            key, _, value = pair.strip().partition("=")
            if key.strip().lower() == "for":
                found = value.strip().strip('"')
        if not found:
            return None
        if found.startswith("["):  # "[2001:db8::1]:4711"
            found = found[1:found.find("]")] if "]" in found else ""
        elif found.count(":") == 1:  # "192.0.2.60:8080"
            found = found.split(":", 1)[0]
        hops.append(found)
    return hops


class _Holding(protocol.Protocol):
    """Stands in for the chat connection until the PROXY header is read: keeps what follows it."""

    def __init__(self) -> None:
        self.data = b""

    def dataReceived(self, data: bytes) -> None:
        self.data += data


class ProxyHeaderWrapper(HAProxyProtocolWrapper):
    def makeConnection(self, transport: Any) -> None:
        directlyProvides(self, providedBy(transport))
        protocol.Protocol.makeConnection(self, transport)
        self.started = False
        self.registered = False
        peer = getattr(transport.getPeer(), "host", "")
        if not self.factory.trusted.trusts(peer):
            log.info("connection from {peer} refused: only trusted proxies may connect here", peer=peer)
            transport.loseConnection()
            return
        self.factory.registerProtocol(self)
        self.registered = True

    def dataReceived(self, data: bytes) -> None:
        if self.started:
            self.wrappedProtocol.dataReceived(data)
            return
        chat, holding = self.wrappedProtocol, _Holding()
        self.wrappedProtocol = holding
        try:
            super().dataReceived(data)  # Twisted parses; what follows the header lands in ``holding``
        finally:
            self.wrappedProtocol = chat
        if self._proxyInfo is not None:
            self.started = True
            chat.makeConnection(cast(ITransport, self))  # now getPeer() is the client (it provides ITransport)
            if holding.data:
                chat.dataReceived(holding.data)

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        if getattr(self, "started", False):
            super().connectionLost(reason)
        elif getattr(self, "registered", False):
            self.factory.unregisterProtocol(self)  # the chat connection never started: nothing to tell it


class ProxyHeaderFactory(HAProxyWrappingFactory):
    protocol = ProxyHeaderWrapper  # type: ignore[assignment]  # a subclass; the stub's Self typing disagrees

    def __init__(self, wrapped: Any, trusted: TrustedProxies) -> None:
        super().__init__(wrapped)
        self.trusted = trusted


def trusted_from(option: str) -> TrustedProxies:
    return TrustedProxies(option.split(",") if option else [])


def proxied_kinds(option: str) -> Sequence[str]:
    return [kind.strip() for kind in option.split(",") if kind.strip()]


#: Listeners that can take the PROXY protocol (line listeners; HTTP uses X-Forwarded-For).
PROXIABLE = ("irc", "irc-tls", "irc-trusted", "telnet")
