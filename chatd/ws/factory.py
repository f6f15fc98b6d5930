"""Shared state of the WebSocket endpoint: settings, the origin rule, Autobahn options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import urlsplit

import attrs
from autobahn.twisted.websocket import WebSocketServerFactory

from .. import __version__
from ..net.flood import FloodPolicy
from ..net.proxied import TrustedProxies

#: A browser on the machine itself may always connect.
LOOPBACK = ("localhost", "127.0.0.1", "::1")

if TYPE_CHECKING:
    from twisted.internet.interfaces import IReactorTime

    from ..core import Network
    from ..irc.factory import IRCFactory
    from ..net.peers import ConnectionCounter


@attrs.frozen
class WebSocketSettings:
    flood: FloodPolicy = FloodPolicy()
    sendq: int = 1 << 20
    max_message: int = 16384  # bytes; larger frames get an error frame
    hard_max_message: int = 1 << 20  # bytes; larger ones close the socket (1009)
    allowed_origins: tuple[str, ...] = ()  # full origins ("https://chat.example.org"), or "*"
    public_hosts: tuple[str, ...] = LOOPBACK  # host names pages may come from
    compression: bool = False
    ping_interval: float = 30.0
    ping_timeout: float = 20.0
    history_on_join: int = 50  # messages sent with "joined"
    check_peer_limit: bool = True
    trusted_proxies: TrustedProxies = TrustedProxies()  # whose X-Forwarded-For names the client


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
        self.connections: set[Any] = set()  # the open ChatWebSocket connections
        #: A room's webhooks, as its operators make them with ChanServ HOOK (set with the API).
        self.room_hooks: Any = None  # chatd.api.roomhooks.RoomHooks
        #: The IRC adapter for web IRC clients (text.ircv3.net / binary.ircv3.net); None: chatd.v1 only.
        self.irc: Optional[IRCFactory] = None
        self.bytes_in = 0
        self.bytes_out = 0
        #: Carries a connection to the node holding its person, in a cluster (chatd.cluster.relay.Relay).
        self.relay: Any = None
        options: dict[str, Any] = dict(
            maxFramePayloadSize=settings.hard_max_message,
            maxMessagePayloadSize=settings.hard_max_message,
            autoPingInterval=settings.ping_interval,
            autoPingTimeout=settings.ping_timeout,
            # A protocol violation (a message over the hard limit, 1009) is
            # answered with a close frame naming it, not a dropped socket (1006).
            failByDrop=False,
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

    #: The connection class (chatd.ws.connection.ChatWebSocket sets itself here).
    connection_class: Any = None

    #: A connection another node carries here (chatd.ws.relayed.RelayedWebSocket sets itself here).
    relayed_class: Any = None

    def buildProtocol(self, addr: Any) -> Any:
        proto = self.connection_class()
        proto.factory = self
        return proto

    def relayed_connection(self) -> Any:
        proto = self.relayed_class()
        proto.factory = self
        return proto

    def origin_allowed(self, origin: Optional[str]) -> bool:
        """Browsers always send Origin; another site's page must not get in.

        A page may connect when its origin is listed (``--allowed-origins``)
        or its host is one of ``public_hosts``: the configured public host
        (or server name) and the loopback names.  The request's own Host
        header proves nothing, since DNS rebinding makes an attacker's name
        point here.  Clients that send no Origin (command-line tools, other
        servers) are not browsers and are not checked.
        """
        if origin is None:
            return True
        allowed = self.settings.allowed_origins
        if "*" in allowed or origin.rstrip("/") in allowed:
            return True
        try:
            host = urlsplit(origin).hostname
        except ValueError:
            return False
        return host is not None and host in self.settings.public_hosts
