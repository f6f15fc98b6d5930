"""Bound the output waiting for a client that does not read.

The guard registers as a streaming producer on the transport, so Twisted
tells it (``pauseProducing``) when the socket's own buffer is full.  From then
on every byte written is counted; past ``limit`` the client is cut off with
"SendQ exceeded" instead of growing the daemon's memory without end, and
everyone else keeps receiving at full speed.
"""

from __future__ import annotations

from typing import Protocol

from twisted.internet.interfaces import IConsumer, IPushProducer
from zope.interface import implementer


class Bounded(Protocol):
    def sendq_exceeded(self) -> None: ...


@implementer(IPushProducer)
class SendQueueGuard:
    __slots__ = ("limit", "owner", "paused", "pending", "tripped", "__provides__")

    def __init__(self, transport: IConsumer, limit: int, owner: Bounded) -> None:
        self.limit = limit
        self.owner = owner  # told once the bound is passed
        self.paused = False
        self.pending = 0
        self.tripped = False
        transport.registerProducer(self, True)

    def pauseProducing(self) -> None:
        self.paused = True

    def resumeProducing(self) -> None:
        self.paused = False
        self.pending = 0

    def stopProducing(self) -> None:
        self.paused = True

    def wrote(self, size: int) -> None:
        if self.paused and not self.tripped:
            self.pending += size
            if self.pending > self.limit:
                self.tripped = True
                self.owner.sendq_exceeded()
