"""Refused connections, told to the log in aggregate.

A storm of connections from one address (or a botnet's from many) would
otherwise write one line per refusal: thousands a second, burying what the
operator needs and costing the reactor a write each.  So the first refusal
after a quiet spell is logged at once, as it happens; those that follow
within ``window`` seconds are counted, per reason and address, and told in
one warning per window while they go on ("refused 5,212 more irc
connections in the last 10 s (too many from that address); most from
203.0.113.9 (5,200)").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Optional

from twisted.logger import Logger

log = Logger()


class Refusals:
    def __init__(self, clock: Any, window: float = 10.0) -> None:
        self.clock = clock
        self.window = window
        self.pending: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        self.timer: Optional[Any] = None
        self.total = 0  # since start, for whoever wants the figure

    def refused(self, kind: str, why: str, address: str) -> None:
        """A ``kind`` connection (``irc``, ``HTTP``) from ``address`` was refused, for ``why``."""
        self.total += 1
        if self.timer is None:
            log.info("{kind} connection from {address} refused: {why}", kind=kind, address=address, why=why)
            self.timer = self.clock.callLater(self.window, self._tell)
        else:
            self.pending[kind, why][address] += 1

    def _tell(self) -> None:
        self.timer = None
        if not self.pending:
            return  # a quiet window: the next refusal is logged as it happens
        for (kind, why), by_address in self.pending.items():
            most = ", ".join(f"{address} ({count:,})" for address, count in by_address.most_common(3))
            log.warn("refused {count} more {kind} connections in the last {window:.0f} s ({why}); most from {most}",
                     count=f"{sum(by_address.values()):,}", kind=kind, why=why, window=self.window, most=most)
        self.pending.clear()
        self.timer = self.clock.callLater(self.window, self._tell)
