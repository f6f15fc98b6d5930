"""Count connections per remote address, across every listener."""

from __future__ import annotations

from collections import Counter


class ConnectionCounter:
    def __init__(self, max_per_address: int) -> None:
        self.max_per_address = max_per_address
        self.counts: Counter[str] = Counter()

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
