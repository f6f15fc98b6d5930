"""A service that listens on an endpoint string and says where it listens.

Like Twisted's ``StreamServerEndpointService``, plus a log line naming the
bound address (so ``tcp:0`` is usable, and operators see what is open) and a
``ready`` Deferred that fires once the port is bound.
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.application import service
from twisted.internet import defer
from twisted.internet.interfaces import IListeningPort, IProtocolFactory, IStreamServerEndpoint
from twisted.logger import Logger


class Listener(service.Service):
    log = Logger()

    def __init__(self, kind: str, description: str, endpoint: IStreamServerEndpoint, factory: IProtocolFactory) -> None:
        self.kind = kind
        self.description = description
        self.endpoint = endpoint
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
            from twisted.internet import reactor

            reactor.stop()  # type: ignore[attr-defined]

        d.addCallbacks(listening, failed)

    def stopService(self) -> Optional[defer.Deferred[Any]]:
        super().stopService()
        if self.port is not None:
            return defer.maybeDeferred(self.port.stopListening)
        return None


class ReadyAnnouncer(service.Service):
    """Logs "chatd ready" once every listener is bound, then runs callbacks.

    Operators and tests wait for this line; the systemd notifier hooks in here.
    """

    def __init__(self, listeners: list[Listener]) -> None:
        self.listeners = listeners
        self.callbacks: list[Any] = []

    def startService(self) -> None:
        super().startService()
        d = defer.gatherResults([listener.ready for listener in self.listeners], consumeErrors=True)

        def ready(_: object) -> None:
            Listener.log.info("chatd ready")
            for callback in self.callbacks:
                callback()

        d.addCallbacks(ready, lambda _: None)
