"""A service that listens on an endpoint string and says where it listens.

Like Twisted's ``StreamServerEndpointService``, plus a log line naming the
bound address (so ``tcp:0`` is usable, and operators see what is open) and a
``ready`` Deferred that fires once the port is bound.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Optional

from twisted.application import service
from twisted.internet import defer
from twisted.internet.interfaces import IListeningPort, IProtocolFactory, IStreamServerEndpoint
from twisted.logger import Logger


class Listener(service.Service):
    log = Logger()

    def __init__(
        self,
        kind: str,
        description: str,
        make_endpoint: Callable[[str], IStreamServerEndpoint],
        factory: IProtocolFactory,
        reactor: Any,
    ) -> None:
        self.reactor = reactor
        self.kind = kind
        self.description = description
        self.make_endpoint = make_endpoint
        self.endpoint = make_endpoint(description)
        self.factory = factory
        self.port: Optional[IListeningPort] = None
        self.ready: defer.Deferred[Any] = defer.Deferred()

    def startService(self) -> None:
        super().startService()
        d = self.endpoint.listen(self.factory)

        def listening(port: IListeningPort) -> IListeningPort:
            self.port = port
            host = port.getHost()
            self.log.info(
                "chatd {kind} listening on {host}:{port} ({description})",
                kind=self.kind, host=getattr(host, "host", host), port=getattr(host, "port", ""),
                description=self.description,
            )
            self.ready.callback(port)
            return port

        def failed(failure: Any) -> None:
            self.log.failure("chatd {kind} cannot listen on {description}", failure, kind=self.kind,
                             description=self.description)
            self.ready.errback(failure)
            self.reactor.stop()

        d.addCallbacks(listening, failed)

    @property
    def uses_tls(self) -> bool:
        return self.description.split(":", 1)[0] in ("ssl", "tls")

    def reload(self) -> Optional[defer.Deferred[Any]]:
        """Listen anew on a TLS endpoint so it reads its certificate files again.

        Open connections keep the old certificate; new ones get the new one.
        """
        if not self.uses_tls or self.port is None or not self.running:
            return None
        # An OS-picked port (":0") must stay the port clients already know.
        bound = getattr(self.port.getHost(), "port", 0)
        description = re.sub(r"^(ssl|tls):0(?=:|$)", rf"\g<1>:{bound}", self.description)
        try:
            endpoint = self.make_endpoint(description)
        except Exception:
            self.log.failure("chatd {kind}: cannot load the new TLS settings; keeping the old", kind=self.kind)
            return None
        old = self.port
        d = defer.maybeDeferred(old.stopListening)
        d.addCallback(lambda _: endpoint.listen(self.factory))

        def relistened(port: IListeningPort) -> None:
            self.port, self.endpoint = port, endpoint
            self.log.info("chatd {kind}: TLS certificate reloaded", kind=self.kind)

        def failed(failure: Any) -> Any:
            self.log.failure("chatd {kind}: reload failed, listening with the old settings", failure, kind=self.kind)
            return self.endpoint.listen(self.factory).addCallback(lambda port: setattr(self, "port", port))

        d.addCallbacks(relistened, failed)
        return d

    def stopService(self) -> Optional[defer.Deferred[Any]]:
        super().stopService()
        if self.port is not None:
            return defer.maybeDeferred(self.port.stopListening)
        return None


class ReadyAnnouncer(service.Service):
    """Logs "chatd ready" once every listener is bound, then runs callbacks.

    Operators and tests wait for this line; the systemd notifier hooks in here.
    """

    def __init__(self, listeners: list[Listener], reactor: Any) -> None:
        self.reactor = reactor
        self.listeners = listeners
        self.callbacks: list[Any] = []

    def startService(self) -> None:
        super().startService()
        # twistd starts services before the reactor runs (and before its signal
        # handlers exist): say "ready" only once the reactor is really serving.
        self.reactor.callWhenRunning(self._wait)

    def _wait(self) -> None:
        d = defer.gatherResults([listener.ready for listener in self.listeners], consumeErrors=True)

        def ready(_: object) -> None:
            Listener.log.info("chatd ready")
            for callback in self.callbacks:
                callback()

        d.addCallbacks(ready, lambda _: None)
