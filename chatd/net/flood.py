"""Flood control: a token bucket per connection.

Each command costs one token.  Tokens refill at ``rate`` per second up to
``burst``.  A command that finds the bucket empty waits in a queue and runs
when a token is back, so a pasted block of text arrives a little slower
instead of being dropped; a client whose queue passes ``max_queue`` is
flooding on purpose or by mistake and is cut off ("Excess Flood").
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Generic, Optional, TypeVar

import attrs
from twisted.internet.interfaces import IDelayedCall, IReactorTime

T = TypeVar("T")


@attrs.frozen
class FloodPolicy:
    rate: float = 4.0  # tokens per second; 0 turns flood control off
    burst: int = 20
    max_queue: int = 60

    @property
    def enabled(self) -> bool:
        return self.rate > 0


UNLIMITED = FloodPolicy(rate=0)


class FloodGate(Generic[T]):
    # One per connection, idle nearly always: no __dict__, and no queue until one is needed.
    __slots__ = ("clock", "policy", "handle", "on_flood", "tokens", "stamp", "queue", "timer", "closed")

    def __init__(
        self,
        clock: IReactorTime,
        policy: FloodPolicy,
        handle: Callable[[T], None],
        on_flood: Callable[[], None],
    ) -> None:
        self.clock = clock
        self.policy = policy
        self.handle = handle
        self.on_flood = on_flood
        self.tokens = float(policy.burst)
        self.stamp = clock.seconds()
        self.queue: Optional[deque[T]] = None
        self.timer: Optional[IDelayedCall] = None
        self.closed = False

    def _refill(self) -> None:
        now = self.clock.seconds()
        self.tokens = min(self.policy.burst, self.tokens + (now - self.stamp) * self.policy.rate)
        self.stamp = now

    def submit(self, item: T) -> None:
        if self.closed:
            return
        if not self.policy.enabled:
            self.handle(item)
            return
        if not self.queue:
            self._refill()
            if self.tokens >= 1:
                self.tokens -= 1
                self.handle(item)
                return
        if self.queue is None:
            self.queue = deque()
        self.queue.append(item)
        if len(self.queue) > self.policy.max_queue:
            self.close()
            self.on_flood()
            return
        self._schedule()

    def _schedule(self) -> None:
        if self.timer is None and self.queue:
            wait = max(0.0, (1 - self.tokens) / self.policy.rate)
            self.timer = self.clock.callLater(wait, self._drain)

    def _drain(self) -> None:
        self.timer = None
        self._refill()
        while self.queue and self.tokens >= 1 and not self.closed:
            self.tokens -= 1
            self.handle(self.queue.popleft())
        if not self.closed:
            self._schedule()

    def close(self) -> None:
        self.closed = True
        self.queue = None
        if self.timer is not None and self.timer.active():
            self.timer.cancel()
        self.timer = None
