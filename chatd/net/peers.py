"""Count connections per remote address, across every listener."""

from __future__ import annotations

from collections import Counter
from typing import Optional

from twisted.logger import Logger

from .refusals import Refusals

log = Logger()


class ConnectionCounter:
    def __init__(self, max_per_address: int, refusals: Optional[Refusals] = None) -> None:
        self.max_per_address = max_per_address
        self.counts: Counter[str] = Counter()
        self.refusals = refusals  # None: each refusal is a line of its own

    def refused(self, kind: str, address: str, why: str = "too many from that address") -> None:
        """Tell the log a connection was refused (in aggregate, given :class:`Refusals`)."""
        if self.refusals is not None:
            self.refusals.refused(kind, why, address)
        else:
            log.info("{kind} connection from {address} refused: {why}", kind=kind, address=address, why=why)

    def acquire(self, address: str) -> bool:
        """Take a slot for ``address``; False when it already has its maximum."""
        if self.max_per_address > 0 and self.counts[address] >= self.max_per_address:
            return False
        self.counts[address] += 1
        return True

    def release(self, address: str) -> None:
        self.counts[address] -= 1
        if self.counts[address] <= 0:
            del self.counts[address]
