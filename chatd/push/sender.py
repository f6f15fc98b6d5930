"""Sending pushes: encrypted off the reactor, posted without blocking, bounded per account.

Each push is encrypted for its subscription (RFC 8291, ``aes128gcm``) by ``pywebpush``'s
``WebPusher.encode`` on a thread (an ECDH key agreement per push is CPU work), signed with the
VAPID key (:mod:`.vapid`), and posted with ``treq`` through :mod:`chatd.net.outside` (public addresses
only unless configured otherwise).  pywebpush's own ``send`` is not used: it posts with
``requests``, which would block.  A push service answering 404 or 410 says the subscription is
gone: it is removed.  An account gets at most ``per_minute`` pushes a minute (the rest are
dropped and counted), and at most ``MAX_IN_FLIGHT`` pushes are under way at once.
"""

from __future__ import annotations

from typing import Any, Callable, Optional
from urllib.parse import urlsplit

import treq
from pywebpush import WebPusher
from treq.client import HTTPClient
from twisted.internet import threads
from twisted.logger import Logger

from ..core.throttle import Throttle
from ..net.tasks import spawn
from .store import PushStore, Subscription
from .vapid import VapidKey

MAX_IN_FLIGHT = 100
TTL_SECONDS = 24 * 3600  # a phone that is off gets it within a day, or not at all
USER_AGENT = b"chatd-push"


def encrypt(subscription: Subscription, payload: bytes) -> bytes:
    pusher = WebPusher({"endpoint": subscription.endpoint,
                        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}})
    body: bytes = pusher.encode(payload, "aes128gcm")["body"]
    return body


class PushSender:
    log = Logger()

    def __init__(self, reactor: Any, store: PushStore, key: VapidKey, agent: Any, per_minute: int,
                 timeout: float = 10.0, to_thread: Optional[Callable[..., Any]] = None) -> None:
        self.reactor = reactor
        self.store = store
        self.key = key
        self.http = HTTPClient(agent)
        self.timeout = timeout
        self.throttle = Throttle(reactor.seconds, per_minute, 60.0)
        self.to_thread = to_thread or threads.deferToThread
        self.in_flight = 0
        #: Counted for /metrics: sent (the push service took it), failed, dropped (over a bound), gone.
        self.counts = {"sent": 0, "failed": 0, "dropped": 0, "gone": 0}

    def notify(self, account: str, payload: Callable[[str], bytes]) -> None:
        if not self.throttle.allowed(account) or self.in_flight >= MAX_IN_FLIGHT:
            self.counts["dropped"] += 1
            return
        self.throttle.record(account)
        spawn(self._notify(account, payload), "sending a push")

    async def _notify(self, account: str, payload: Callable[[str], bytes]) -> None:
        self.in_flight += 1
        try:
            for subscription in await self.store.of(account):
                await self._send(account, subscription, payload(subscription.format))
        finally:
            self.in_flight -= 1

    async def _send(self, account: str, subscription: Subscription, payload: bytes) -> None:
        try:
            body = await self.to_thread(encrypt, subscription, payload)
            signed = self.key.authorization(subscription.endpoint, self.reactor.seconds())
            headers: dict[str | bytes, list[str | bytes]] = {"Authorization": [signed],
                       "Content-Encoding": ["aes128gcm"], "Content-Type": ["application/octet-stream"],
                       "TTL": [str(TTL_SECONDS)], "Urgency": ["high"], "User-Agent": [USER_AGENT]}
            response = await self.http.post(subscription.endpoint, data=body, headers=headers,
                                            timeout=self.timeout)
            await treq.collect(response, lambda _: None)  # read (and drop) the answer: the connection is reused
        except Exception as error:
            self.counts["failed"] += 1
            self.log.info("push to {host} failed: {error}", host=_host(subscription.endpoint), error=error)
            return
        if response.code in (404, 410):
            self.counts["gone"] += 1
            await self.store.remove(account, subscription.endpoint)
        elif 200 <= response.code < 300:
            self.counts["sent"] += 1
        else:
            self.counts["failed"] += 1
            self.log.info("push service {host} answered {code}", host=_host(subscription.endpoint),
                          code=response.code)


def _host(endpoint: str) -> str:
    """Logged instead of the endpoint, whose path is the subscription's secret name."""
    return urlsplit(endpoint).netloc
