"""HTTP to addresses on the public internet only: the URLs come from users.

A push subscription's endpoint is a URL a browser (or an IRC client) handed us, and a link
preview fetches whatever link someone said; requesting either blindly would let anyone make the
server send requests into its own network (its Redis, a metadata service, an admin page).  So
the name is resolved here and connected to only if the address is global (not loopback,
private, link-local, reserved or multicast), on every hop of a redirect too, since each hop asks
this endpoint factory again.  Twisted's Agent has no such filter; this module is the endpoint
factory that adds it, over the reactor's resolver and Twisted's TLS (certificates checked against
the name, as browsers do).  ``--push-private-endpoints`` and ``--preview-private-addresses`` turn
the filter off for services on one's own network (and for tests).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from twisted.internet import defer
from twisted.internet.endpoints import TCP4ClientEndpoint, wrapClientTLS
from twisted.internet.error import ConnectError
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.web.client import Agent, BrowserLikePolicyForHTTPS, HTTPConnectionPool
from twisted.web.iweb import IAgentEndpointFactory
from zope.interface import implementer


def endpoint_problem(url: str, private: bool) -> str:
    """Why ``url`` cannot be a push endpoint ("" when it can)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a bad port raises)
    except ValueError:
        return "not a URL"
    if len(url) > 1024:
        return "too long"
    if parts.scheme not in (("https", "http") if private else ("https",)):
        return "must be an https:// URL"
    if not parts.hostname or parts.username or parts.password:
        return "must name a host (and no user or password)"
    if not private:
        try:
            if not public(parts.hostname):
                return "must not be a private address"
        except ValueError:
            pass  # a name: checked when it is resolved
    return ""


def public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


@implementer(IStreamClientEndpoint)
class PublicEndpoint:
    def __init__(self, reactor: Any, host: str, port: int, tls: bool, timeout: float) -> None:
        self.reactor, self.host, self.port, self.tls, self.timeout = reactor, host, port, tls, timeout

    def connect(self, factory: Any) -> defer.Deferred[Any]:
        def resolved(address: str) -> Any:
            if not public(address):
                raise ConnectError(string=f"{self.host} resolves to {address}, which is not public")
            endpoint: Any = TCP4ClientEndpoint(self.reactor, address, self.port, timeout=self.timeout)
            if self.tls:
                creator = BrowserLikePolicyForHTTPS().creatorForNetloc(self.host.encode("idna"), self.port)
                endpoint = wrapClientTLS(creator, endpoint)
            return endpoint.connect(factory)

        return defer.maybeDeferred(self.reactor.resolve, self.host).addCallback(resolved)


@implementer(IAgentEndpointFactory)
class PublicEndpoints:
    def __init__(self, reactor: Any, timeout: float) -> None:
        self.reactor, self.timeout = reactor, timeout

    def endpointForURI(self, uri: Any) -> PublicEndpoint:
        host = uri.host.decode("ascii") if isinstance(uri.host, bytes) else uri.host
        return PublicEndpoint(self.reactor, host, uri.port, uri.scheme == b"https", self.timeout)


def agent(reactor: Any, private: bool, timeout: float) -> Agent:
    pool = HTTPConnectionPool(reactor, persistent=True)
    pool.maxPersistentPerHost = 4
    if private:
        return Agent(reactor, connectTimeout=timeout, pool=pool)
    return Agent.usingEndpointFactory(reactor, PublicEndpoints(reactor, timeout), pool=pool)
