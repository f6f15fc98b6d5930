"""Where the network's records go besides the local fan-out: the sinks.

A sink is a callable given each record (a change of :mod:`.events`) once it
is applied here.  The network has two sets: ``seen`` gets every change this
node applied, whoever made it (MONITOR watchers follow people on every node),
and ``records`` the changes made here, on the node where they happened (the
cluster publisher and outgoing webhooks: each change is told once, by its
own node).  A sink that raises is logged and the others still run: a broken
subscriber never stops a message.
"""

from __future__ import annotations

import logging
from typing import Callable

from .events import Event

log = logging.getLogger("chatd.core")

Sink = Callable[[Event], None]


class Sinks:
    def __init__(self) -> None:
        self.sinks: list[Sink] = []

    def add(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def discard(self, sink: Sink) -> None:
        if sink in self.sinks:
            self.sinks.remove(sink)

    def emit(self, record: Event) -> None:
        for sink in self.sinks:
            try:
                sink(record)
            except Exception:
                log.exception("a record sink failed on %s", type(record).__name__)
