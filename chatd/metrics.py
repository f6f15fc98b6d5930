"""``/metrics`` in Prometheus text format, read from live state when scraped.

Nothing on the message path talks to Prometheus: the core, the listeners and
the history store keep plain counters, and this collector turns them into
metric families only when a scrape arrives.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Optional

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector
from twisted.web import resource, server


class ChatCollector(Collector):
    def __init__(
        self,
        network: Any,
        listeners: Callable[[], Iterable[tuple[str, Any]]],
        history: Optional[Any] = None,
        bridge: Optional[Any] = None,
        outgoing: Optional[Any] = None,
    ) -> None:
        self.network = network
        self.listeners = listeners
        self.history = history
        self.bridge = bridge
        self.outgoing = outgoing

    def collect(self) -> Iterator[Any]:
        network = self.network
        stats = network.stats
        clients = GaugeMetricFamily("chatd_clients", "Open client connections by protocol", labels=["protocol"])
        sent = CounterMetricFamily("chatd_bytes_sent", "Bytes written to clients", labels=["protocol"])
        received = CounterMetricFamily("chatd_bytes_received", "Bytes read from clients", labels=["protocol"])
        totals: dict[str, list[int]] = {}
        for protocol, factory in self.listeners():
            entry = totals.setdefault(protocol, [0, 0, 0])
            entry[0] += len(factory.connections)
            entry[1] += factory.bytes_out
            entry[2] += factory.bytes_in
        for protocol, (count, out, into) in sorted(totals.items()):
            clients.add_metric([protocol], count)
            sent.add_metric([protocol], out)
            received.add_metric([protocol], into)
        yield clients
        yield sent
        yield received
        yield GaugeMetricFamily("chatd_users", "Registered users (nicks in use) on this node", value=len(network.users))
        yield GaugeMetricFamily("chatd_rooms", "Rooms that exist", value=len(network.rooms))
        messages = CounterMetricFamily("chatd_messages_received", "Messages accepted, by sender protocol",
                                       labels=["protocol"])
        for protocol, count in sorted(stats.messages.items()):
            messages.add_metric([protocol], count)
        yield messages
        yield CounterMetricFamily("chatd_deliveries", "Messages written to recipients", value=stats.deliveries)
        disconnects = CounterMetricFamily("chatd_disconnects", "Users gone, by reason", labels=["reason"])
        for reason, count in sorted(stats.disconnects.items()):
            disconnects.add_metric([reason], count)
        yield disconnects
        if self.history is not None:
            h = self.history
            yield SummaryMetricFamily("chatd_history_batch_size", "Messages per history commit",
                                      count_value=h.batches, sum_value=h.messages_written)
            yield SummaryMetricFamily("chatd_history_batch_seconds", "Time to commit one history batch",
                                      count_value=h.batches, sum_value=h.batch_seconds_total)
            yield GaugeMetricFamily("chatd_history_pending", "Messages waiting for the next commit",
                                    value=len(h.pending))
            yield GaugeMetricFamily("chatd_history_lag_seconds", "Last commit: from its oldest message's "
                                    "acceptance to the commit (what a crash could lose)", value=h.last_lag)
            yield GaugeMetricFamily("chatd_history_lag_max_seconds", "Largest history lag since start",
                                    value=h.max_lag)
        if self.bridge is not None:
            yield GaugeMetricFamily("chatd_redis_link_up", "1 when the Redis link is up",
                                    value=1 if self.bridge.connected else 0)
            yield GaugeMetricFamily("chatd_outbox_messages", "Accepted messages waiting in the outbox for Redis",
                                    value=self.bridge.messages.waiting)
        if self.outgoing is not None:
            events = CounterMetricFamily(
                "chatd_webhook_events", "Outgoing webhook events: delivered, failed (an attempt, retried), "
                "dropped (out of attempts), overflow (queue full), replies posted", labels=["result"])
            for result in ("delivered", "failed", "dropped", "overflow", "replies"):
                events.add_metric([result], self.outgoing.counts[result])
            yield events
            yield GaugeMetricFamily("chatd_webhook_waiting", "Outgoing webhook events queued for delivery",
                                    value=max(0, self.outgoing.waiting))
        push = self.network.push
        if push is not None:
            pushes = CounterMetricFamily(
                "chatd_push_notifications", "Web Push notifications: sent (taken by the push service), failed, "
                "gone (subscription removed), dropped (over a per-account or in-flight bound)", labels=["result"])
            for result, count in push.sender.counts.items():
                pushes.add_metric([result], count)
            yield pushes


def make_registry(collector: ChatCollector) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(collector)
    ProcessCollector(registry=registry)
    return registry


class MetricsResource(resource.Resource):
    isLeaf = True

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__()
        self.registry = registry

    def render_GET(self, request: server.Request) -> bytes:
        request.setHeader(b"content-type", CONTENT_TYPE_LATEST.encode())
        return generate_latest(self.registry)
