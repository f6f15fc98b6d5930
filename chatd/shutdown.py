"""A clean stop on SIGTERM: tell everyone, let the history flush, exit 0.

Added last to the service tree, this service is stopped first: it closes every
client connection with a message (IRC ``ERROR :Server shutting down``,
WebSocket close 1001), waits up to ``timeout`` seconds for them to go, then
cuts the rest.  The listeners stop and the history store flushes alongside.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from twisted.application import service
from twisted.internet import defer
from twisted.logger import Logger

log = Logger()
REASON = "Server shutting down"


def clean_exit(reactor: Any) -> None:
    """After a shutdown we completed on purpose: exit 0.  (twistd re-raises the signal that stopped
    it, so the parent would see "killed by SIGTERM".)"""
    if hasattr(reactor, "_exitSignal"):
        reactor._exitSignal = None


class GracefulShutdown(service.Service):
    def __init__(self, reactor: Any, connections: Callable[[], Iterable[Any]], timeout: float = 5.0) -> None:
        self.reactor = reactor  # IReactorTime and IReactorCore
        self.connections = connections
        self.timeout = timeout
        self._started = False

    def startService(self) -> None:
        super().startService()
        if not self._started:
            self._started = True
            self.reactor.addSystemEventTrigger("after", "shutdown", self._clean_exit)

    def _clean_exit(self) -> None:
        clean_exit(self.reactor)

    def stopService(self) -> defer.Deferred[None]:
        super().stopService()
        open_now = list(self.connections())
        log.info("shutting down: closing {n} client connections", n=len(open_now))
        for conn in open_now:
            conn.disconnect(REASON)
        done: defer.Deferred[None] = defer.Deferred()
        deadline = self.reactor.seconds() + self.timeout

        def check() -> None:
            remaining = [c for c in self.connections()]
            if not remaining:
                done.callback(None)
            elif self.reactor.seconds() >= deadline:
                log.warn("shutdown: cutting {n} connections that did not close", n=len(remaining))
                for conn in remaining:
                    conn.transport.abortConnection()
                done.callback(None)
            else:
                self.reactor.callLater(0.05, check)

        check()
        return done
