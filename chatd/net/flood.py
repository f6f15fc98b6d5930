"""Flood control: a token bucket per connection.

Each command costs one token.  Tokens refill at ``rate`` per second up to
``burst``.  A command that finds the bucket empty waits in a queue and runs
when a token is back, so a pasted block of text arrives a little slower
instead of being dropped; a client whose queue passes ``max_queue`` is
flooding on purpose or by mistake and is cut off ("Excess Flood").
"""

from __future__ import annotations

from collections import deque
from typing import Generic, Optional, Protocol, TypeVar

import attrs
from twisted.internet.interfaces import IDelayedCall, IReactorTime

T = TypeVar("T")
T_in = TypeVar("T_in", contravariant=True)


@attrs.frozen
class FloodPolicy:
    rate: float = 4.0  # tokens per second; 0 turns flood control off
    burst: int = 20
    max_queue: int = 60

    @property
    def enabled(self) -> bool:
        return self.rate > 0


UNLIMITED = FloodPolicy(rate=0)


class Gated(Protocol[T_in]):
    """Who a gate serves: it gets what passed, and hears of a flood."""

    def passed(self, item: T_in) -> None: ...

    def flooded(self) -> None: ...


class FloodGate(Generic[T]):
    # One per connection, idle nearly always: no __dict__, no queue until one is needed, and its
    # owner held once rather than as two bound methods (idle memory, docs/benchmarks.md).
    __slots__ = ("clock", "policy", "owner", "tokens", "stamp", "queue", "timer", "closed")

    def __init__(self, clock: IReactorTime, policy: FloodPolicy, owner: Gated[T]) -> None:
        # Without flood control a connection has no gate at all (ConnectionGuard.start).
        if not policy.enabled:
            raise ValueError("a flood gate needs a rate above 0")
        self.clock = clock
        self.policy = policy
        self.owner = owner
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
        if not self.queue:
            self._refill()
            if self.tokens >= 1:
                self.tokens -= 1
                self.owner.passed(item)
                return
        if self.queue is None:
            self.queue = deque()
        self.queue.append(item)
        if len(self.queue) > self.policy.max_queue:
            self.close()
            self.owner.flooded()
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
            self.owner.passed(self.queue.popleft())
        if not self.closed:
            self._schedule()

    def close(self) -> None:
        self.closed = True
        self.queue = None
        if self.timer is not None and self.timer.active():
            self.timer.cancel()
        self.timer = None
