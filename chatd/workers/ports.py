"""Listeners that several worker processes bind at once: ``SO_REUSEPORT``.

Why not the other way (the supervisor accepts and hands sockets over, or workers share one
inherited listening socket): with ``SO_REUSEPORT`` each worker has its own accept queue and the
kernel spreads new connections over them by a hash of the addresses, so no process sits in the
data path, no descriptor crosses a process boundary, a busy worker does not starve on a shared
queue's wake-ups, and a restarted worker simply binds again.  What it costs: connections still in
a dying worker's accept queue are reset (the client reconnects), and the port must be fixed
(port 0 would give every worker a different one).  Linux and the BSDs have it; only processes of
the same user may share a port.

:class:`SharedPorts` stands in for the reactor when Twisted's endpoints (``tcp:``, ``tcp6:``,
``ssl:``) call ``listenTCP`` or ``listenSSL``; everything else goes to the real reactor.  (``unix:``
and port 0 never get here: the options refuse them with ``--workers``, chatd/checks.py.)
"""

from __future__ import annotations

import socket
from typing import Any

from twisted.internet import tcp
from twisted.protocols.tls import TLSMemoryBIOFactory


class ReusePort(tcp.Port):
    """A TCP listening port whose socket has ``SO_REUSEPORT`` set before it is bound."""

    def createInternetSocket(self) -> socket.socket:
        sock = super().createInternetSocket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        return sock


class SharedPorts:
    """The reactor, as the endpoints see it in a worker: TCP and TLS listeners share their port."""

    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reactor, name)

    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> ReusePort:  # noqa: N802
        listening = ReusePort(port, factory, backlog, interface, self._reactor)
        listening.startListening()
        return listening

    def listenSSL(self, port: int, factory: Any, contextFactory: Any, backlog: int = 50,  # noqa: N802, N803
                  interface: str = "") -> ReusePort:
        # What Twisted's own listenSSL does: TLS in memory over a TCP port (here a shared one).
        return self.listenTCP(port, TLSMemoryBIOFactory(contextFactory, False, factory), backlog, interface)
