"""Plain counters the core keeps as it works, read by /metrics when scraped.

Counting is an integer addition on the hot path; turning the figures into
Prometheus text happens only when someone asks.
"""

from __future__ import annotations

from collections import Counter

import attrs


@attrs.define
class Stats:
    messages: Counter[str] = attrs.field(factory=Counter)  # by sender protocol
    deliveries: int = 0
    disconnects: Counter[str] = attrs.field(factory=Counter)  # by reason kind


def reason_kind(reason: str) -> str:
    """Group free-text close reasons into a few labels for metrics."""
    lowered = reason.lower()
    for needle, kind in (("ping timeout", "ping_timeout"), ("excess flood", "flood"), ("sendq", "sendq"),
                         ("quit", "quit"), ("shutting down", "shutdown"), ("too many", "too_many"),
                         ("node lost", "node_lost")):
        if needle in lowered:
            return kind
    return "closed"
