"""At most so many events per key within a window: failed logins, new rooms, pushes, previews.

A sliding window of event times per key, forgotten once the window has passed
(and, past ``MAX_THROTTLED`` keys, those nobody asked about since).
"""

from __future__ import annotations

from collections import deque
from typing import Callable

#: Keys a Throttle holds before it forgets those whose window has passed.
MAX_THROTTLED = 10000


class Throttle:
    """At most ``attempts`` events per key within ``window`` seconds (failed logins, new rooms)."""

    def __init__(self, clock: Callable[[], float], attempts: int, window: float) -> None:
        self.clock = clock
        self.attempts = attempts
        self.window = window
        self.failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        times = self.failures.get(key)
        if times is None:
            return deque()
        cutoff = self.clock() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            del self.failures[key]
        return times

    def allowed(self, key: str) -> bool:
        return self.attempts <= 0 or len(self._recent(key)) < self.attempts

    def record(self, key: str) -> None:
        self._recent(key)
        self.failures.setdefault(key, deque()).append(self.clock())
        if len(self.failures) > MAX_THROTTLED:  # keys never asked about again would stay forever
            cutoff = self.clock() - self.window
            self.failures = {k: t for k, t in self.failures.items() if t and t[-1] > cutoff}
