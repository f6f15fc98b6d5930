"""A service that listens on an endpoint string and says where it listens.

Like Twisted's ``StreamServerEndpointService`` (it binds in
``privilegedStartService``, before any other service starts), plus a log line
naming the bound address (so ``tcp:0`` is usable, and operators see what is
open) and a ``ready`` Deferred that fires once the port is bound.

A port that cannot be bound stops start-up with one line naming the option
(``chatd: --irc tcp:6667: cannot listen: Address already in use``) and exit
status 1: at once when binding fails on the spot (TCP, TLS, UNIX), or by
stopping the reactor when an endpoint fails later.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Callable, Optional

from twisted.application import service
from twisted.internet import defer
from twisted.internet.interfaces import IListeningPort, IProtocolFactory, IStreamServerEndpoint
from twisted.logger import Logger

#: Endpoint types whose listen(2) backlog Twisted takes as ``backlog=`` (its own default is 50).
BACKLOG_TYPES = ("tcp", "tcp6", "ssl", "unix")


def with_backlog(description: str, backlog: int) -> str:
    """``description`` with ``backlog=N`` added where the type takes one and none is given: a storm
    of connections waits in the kernel's queue instead of being reset while the reactor accepts."""
    kind = description.split(":", 1)[0].lower()
    if kind not in BACKLOG_TYPES or re.search(r"(^|:)backlog=", description):
        return description
    return f"{description}:backlog={backlog}"


def fail_start(reactor: Any) -> None:
    """Stop a daemon that cannot serve, and make its exit status say so."""
    reactor.addSystemEventTrigger("after", "shutdown", os._exit, 1)
    if reactor.running:
        reactor.stop()
    else:
        reactor.callWhenRunning(reactor.stop)


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
        self.bound: Optional[defer.Deferred[Any]] = None
        self.binding = True

    def privilegedStartService(self) -> None:
        """Bind now, before any other service starts (twistd calls this first)."""
        super().privilegedStartService()
        self._bind(on_the_spot=True)

    def startService(self) -> None:
        super().startService()
        if self.bound is None:  # started without privilegedStartService (embedding, tests)
            self._bind(on_the_spot=False)

    def _bind(self, on_the_spot: bool) -> None:
        self.bound = self.endpoint.listen(self.factory)
        outcome: list[str] = []
        self.bound.addCallbacks(self._listening, self._failed, errbackArgs=(outcome,))
        self.binding = False
        if outcome and on_the_spot:
            # Nothing else has started yet (no threads, no timers): leave with one line,
            # on the real standard error (twistd has already pointed sys.stderr at the log).
            self.ready.addErrback(lambda _: None)  # said here; nobody waits for it any more
            stream = sys.__stderr__ or sys.stderr
            stream.write(outcome[0] + "\n")
            stream.flush()
            raise SystemExit(1)
        if outcome:
            self.log.error("{line}", line=outcome[0])
            fail_start(self.reactor)

    def _listening(self, port: IListeningPort) -> IListeningPort:
        self.port = port
        host = port.getHost()
        self.log.info(
            "chatd {kind} listening on {host}:{port} ({description})",
            kind=self.kind, host=getattr(host, "host", host), port=getattr(host, "port", ""),
            description=self.description,
        )
        self.ready.callback(port)
        return port

    def _failed(self, failure: Any, outcome: list[str]) -> None:
        reason = getattr(failure.value, "socketError", None) or failure.value
        line = f"chatd: --{self.kind} {self.description}: cannot listen: {getattr(reason, 'strerror', None) or reason}"
        self.ready.errback(failure)  # "chatd ready" is never said
        if self.binding:
            outcome.append(line)
        else:  # an endpoint that failed later, with the reactor running
            self.log.error("{line}", line=line)
            fail_start(self.reactor)

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
    """Logs "chatd ready" once every listener is bound, then where to connect, then runs callbacks.

    Operators and tests wait for this line; the systemd notifier hooks in here.
    """

    def __init__(self, listeners: list[Listener], reactor: Any, public_host: str = "localhost",
                 state: str = "") -> None:
        self.reactor = reactor
        self.listeners = listeners
        self.public_host = public_host
        self.state = state
        self.callbacks: list[Any] = []

    def startService(self) -> None:
        super().startService()
        # twistd starts services before the reactor runs (and before its signal
        # handlers exist): say "ready" only once the reactor is really serving.
        self.reactor.callWhenRunning(self._wait)

    def banner(self) -> list[str]:
        """Where people connect, and where the state lives, for the operator's first look."""
        lines = []
        for listener in self.listeners:
            if listener.port is None:
                continue
            bound = listener.port.getHost()
            host = getattr(bound, "host", None)
            port = getattr(bound, "port", None)
            if host is None or port is None:
                lines.append(f"{listener.kind}: {listener.description}")
                continue
            if host in ("0.0.0.0", "::"):
                host = self.public_host
            shown = f"[{host}]" if ":" in host else host
            tls = listener.uses_tls
            lines.append({
                "irc": f"IRC: {'ircs' if tls else 'irc'}://{shown}:{port}",
                "irc-tls": f"IRC over TLS: ircs://{shown}:{port}",
                "irc-trusted": f"IRC (trusted clients): irc://{shown}:{port}",
                "telnet": f"terminal: telnet {host} {port}",
                "http": f"web: {'https' if tls else 'http'}://{shown}:{port}/",
                "https": f"web over TLS: https://{shown}:{port}/",
                "metrics": f"metrics: http://{shown}:{port}/metrics",
            }.get(listener.kind, f"{listener.kind}: {shown}:{port}"))
        if self.state:
            lines.append(f"state: {self.state}")
        return lines

    def _wait(self) -> None:
        d = defer.gatherResults([listener.ready for listener in self.listeners], consumeErrors=True)

        def ready(_: object) -> None:
            Listener.log.info("chatd ready")
            for line in self.banner():
                Listener.log.info("  {line}", line=line)
            for callback in self.callbacks:
                callback()

        d.addCallbacks(ready, lambda _: None)
