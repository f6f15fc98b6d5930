"""Push subscriptions in Redis, for every node of a cluster: one hash per account, endpoint -> JSON.

A push leaves from the node a message was said on, whichever node the subscription was made on."""

from __future__ import annotations

from typing import Any

from twisted.internet import defer

from ..core.casemap import casefold
from ..push.store import Subscription
from .keys import Keys

# Replace or add one endpoint unless the account already has as many others as it may.
ADD = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
    return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


class RedisPushStore:
    def __init__(self, link: Any, keys: Keys) -> None:
        self.link = link
        self.keys = keys

    def key(self, account: str) -> str:
        return self.keys.push(casefold(account))

    def add(self, account: str, subscription: Subscription, limit: int) -> defer.Deferred[bool]:
        d = self.link.script(ADD, [self.key(account)], [subscription.endpoint, subscription.as_json(), limit])
        return d.addCallback(lambda done: bool(int(done)))

    def remove(self, account: str, endpoint: str) -> defer.Deferred[bool]:
        return self.link.call("HDEL", self.key(account), endpoint).addCallback(lambda n: bool(int(n)))

    def agreed_key(self, pem: bytes) -> defer.Deferred[bytes]:
        """The VAPID key every node uses: the first node's (``pem`` if this is the first)."""
        key = self.keys.vapid_key
        d = self.link.call("SET", key, pem, "NX").addCallback(lambda _: self.link.call("GET", key))
        return d.addCallback(lambda value: value if isinstance(value, bytes) else str(value).encode())

    def of(self, account: str) -> defer.Deferred[list[Subscription]]:
        def parse(values: Any) -> list[Subscription]:
            subs = [Subscription.from_json(v.decode() if isinstance(v, bytes) else v) for v in values or ()]
            return sorted((s for s in subs if s is not None), key=lambda s: s.created)

        return self.link.call("HVALS", self.key(account)).addCallback(parse)
