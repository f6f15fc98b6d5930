"""Where the network's changes go besides its local fan-out: the record sinks.

A sink is a callable given each record (an event of :mod:`.events`) once, on
the node where the change happened: a message sent by someone connected
here, a join, a part.  What the rest of the daemon builds on the network's
changes (outgoing webhooks today) subscribes here instead of wrapping the
rules that make them.  A sink that raises is logged and the others still run:
a broken subscriber never stops a message.
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

    def emit(self, record: Event) -> None:
        for sink in self.sinks:
            try:
                sink(record)
            except Exception:
                log.exception("a record sink failed on %s", type(record).__name__)
