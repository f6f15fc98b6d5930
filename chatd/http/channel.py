"""HTTP connections under the limits a public listener needs.

twisted.web keeps an idle connection for hours and lets one address open as
many as it likes, so 3,000 half-sent requests from one host (slowloris) could
hold 3,000 descriptors and starve every other listener.  Each
:class:`LimitedHTTPChannel` therefore

- takes a slot from a per-address counter for HTTP connections (answering
  ``429`` and closing when the address has used them all), and
- must deliver a request's complete headers within ``header_timeout``
  seconds of connecting (or of its previous request finishing): a slow
  sender is cut, however steadily it trickles bytes.

A WebSocket upgrade hands the socket to the chat connection (and its own
per-address limit) through :meth:`LimitedHTTPChannel.upgraded`.
``twisted.protocols.policies.LimitConnectionsByPeer`` would do the first
half, but it indexes the peer address as a tuple, which today's address
objects are not, and it cannot see an upgrade.
"""

from __future__ import annotations

from typing import Any, Optional

import attrs
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.protocol import connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web import http, server

from ..net.peers import ConnectionCounter
from ..net.proxied import TrustedProxies

log = Logger()


@attrs.define
class HTTPLimits:
    clock: IReactorTime
    peers: ConnectionCounter
    header_timeout: float = 10.0
    #: A trusted reverse proxy carries many clients on its connections: it is not limited per address.
    trusted: TrustedProxies = attrs.field(factory=TrustedProxies)
    #: The largest request body (the API's and webhooks' JSON; the web client sends none).
    max_body: int = 65536
    #: The largest upload (``POST /upload``, chatd/uploads); 0: uploads are off, the path is bound as any.
    max_upload: int = 0


UPLOAD_PATH = b"/upload"


TOO_LARGE = (b"HTTP/1.1 413 Content Too Large\r\nContent-Type: application/json\r\nConnection: close\r\n"
             b"Content-Length: %d\r\n\r\n%s")
TOO_LARGE_BODY = b'{"error": "too_large", "message": "The request body is larger than this server takes"}'


class LimitedHTTPChannel(http.HTTPChannel):
    site: Any  # the ChatSite that built this channel; it carries the limits
    transport: Any

    def connectionMade(self) -> None:
        super().connectionMade()
        self.address = getattr(self.transport.getPeer(), "host", "?")
        self.counted = False
        self.body_seen = 0  # of the request being read (body_chunk)
        self.refused = False  # that request was answered 413
        self.body_limit = 0  # of the request being read: the API's bound, or the upload's on /upload
        self.deadline: Optional[IDelayedCall] = None
        limits: HTTPLimits = self.site.limits
        if limits.trusted.trusts(self.address):
            self._arm()
            return
        if not limits.peers.acquire(self.address):
            limits.peers.refused("HTTP", self.address)
            self.transport.write(b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            self.transport.loseConnection()
            return
        self.counted = True
        self._arm()

    def _arm(self) -> None:
        limits: HTTPLimits = self.site.limits
        self.deadline = limits.clock.callLater(limits.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self.deadline is not None and self.deadline.active():
            self.deadline.cancel()
        self.deadline = None

    def _too_slow(self) -> None:
        self.deadline = None
        # Browsers open spare sockets they never use (preconnect): routine, so debug only.
        log.debug("HTTP {address} cut off: request headers too slow", address=self.address)
        if self.transport is not None:
            self.transport.abortConnection()

    def allHeadersReceived(self) -> None:
        self._disarm()
        self.body_seen = 0
        self.refused = False
        limits: HTTPLimits = self.site.limits
        path = getattr(self, "_path", b"").split(b"?", 1)[0]
        self.body_limit = limits.max_upload if limits.max_upload and path == UPLOAD_PATH else limits.max_body
        super().allHeadersReceived()
        if self.length and self.length > self.body_limit:
            self._too_large()

    def body_chunk(self, size: int) -> bool:
        """Count the body as it comes (a chunked body declares no length): past the bound the
        request is answered 413 and the connection closed, before the body is kept anywhere."""
        if self.refused:
            return False
        self.body_seen += size
        if self.body_seen > self.body_limit:
            self._too_large()
            return False
        return True

    def _too_large(self) -> None:
        if self.transport is not None and not self.transport.disconnecting:
            self.transport.write(TOO_LARGE % (len(TOO_LARGE_BODY), TOO_LARGE_BODY))
            self.transport.loseConnection()
        self.refused = True

    def allContentReceived(self) -> None:
        if not self.refused:  # a refused request is never handled
            super().allContentReceived()

    def requestDone(self, request: Any) -> None:
        super().requestDone(request)
        if self.transport is not None and not self.transport.disconnecting and self.deadline is None:
            self._arm()  # the next request on this connection gets its own deadline

    def upgraded(self) -> None:
        """The socket becomes a WebSocket: it leaves this channel's limits for the chat's."""
        self._disarm()
        self._release()

    def _release(self) -> None:
        if self.counted:
            self.counted = False
            self.site.limits.peers.release(self.address)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._disarm()
        self._release()
        super().connectionLost(reason)


class LimitedRequest(server.Request):
    """A request whose body its channel counts (``LimitedHTTPChannel.body_chunk``)."""

    channel: LimitedHTTPChannel  # ChatSite's channels only

    def handleContentChunk(self, data: bytes) -> None:
        if self.channel.body_chunk(len(data)):
            super().handleContentChunk(data)
