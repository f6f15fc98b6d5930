"""Redis behind Sentinel: find the current master before every connection.

With ``--redis-sentinel host:port,...`` and ``--redis-master NAME``, the link
does not connect to a fixed address: this endpoint asks the Sentinels (with
txredisapi's :class:`~txredisapi.Sentinel`) where the master of ``NAME`` is,
then connects there.  When the master fails and Sentinel promotes a replica,
the link's connections drop (or time out), the link reconnects, and the next
discovery names the new master; messages accepted meanwhile wait in the
outbox.  A server that answers but is not (or no longer) a master is left
at once (the link checks ROLE on connect; a READONLY reply drops it too).
"""

from __future__ import annotations

from typing import Any

import attrs
import txredisapi
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.logger import Logger
from zope.interface import implementer

from .address import RedisAddress

log = Logger()


@implementer(IStreamClientEndpoint)
class SentinelEndpoint:
    def __init__(self, reactor: Any, sentinels: list[tuple[str, int]], master: str, address: RedisAddress,
                 timeout: float) -> None:
        self.reactor = reactor
        self.master = master
        self.address = address
        self.sentinel = txredisapi.Sentinel(sentinels, replyTimeout=timeout, convertNumbers=False)
        self.sentinel.discovery_timeout = max(2 * timeout, 1.0)
        self.current: Any = None

    def connect(self, factory: Any) -> Any:
        d = self.sentinel.discover_master(self.master)
        return d.addCallback(self._connect, factory)

    def _connect(self, where: tuple[str, int], factory: Any) -> Any:
        if where != self.current:
            log.info("Redis Sentinel: master {name} is at {host}:{port}", name=self.master, host=where[0],
                     port=where[1])
            self.current = where
        host, port = where
        # The master's address, with everything else (TLS, and its checks) as --redis says.
        return attrs.evolve(self.address, host=host, port=port).endpoint(self.reactor).connect(factory)
