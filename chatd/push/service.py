"""Web Push for the network: the key, the store, the rules and the sender, and what adapters call.

The IRC adapter (``WEBPUSH``, ``draft/webpush``) and the web client (``push_*`` frames) reach
it as ``network.push``: the public key to hand to browsers, and an account's subscriptions to
add, list and remove.  It hears the messages delivered on this node (``Messaging.delivered``), and
the read markers moved on any node (``network.seen``), through :class:`~.rules.PushRules`.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..core import errors
from ..net.outside import agent, endpoint_problem
from .rules import PushRules
from .sender import PushSender
from .store import PushStore, Subscription
from .vapid import VapidKey

#: Longest base64url key fields accepted (a P-256 point is 87 characters, an auth secret 22).
MAX_KEY = 200


class Push:
    def __init__(self, network: Any, store: PushStore, key: VapidKey, sender: PushSender, per_account: int,
                 private_endpoints: bool) -> None:
        self.network = network
        self.store = store
        self.key = key
        self.sender = sender
        self.per_account = per_account
        self.private_endpoints = private_endpoints
        self.rules = PushRules(network.directory, sender.notify)
        network.messaging.delivered.add(self.rules.delivered)
        network.seen.add(self.rules.read)  # read markers, from every node: dismiss what was read
        network.push = self

    @property
    def public_key(self) -> str:
        return self.key.public

    async def subscribe(self, account: str, endpoint: str, p256dh: str, auth: str, format: str,
                        device: str = "") -> None:
        """Keep a subscription for ``account``; a bad one raises :class:`~chatd.core.errors.PushRefused`."""
        problem = endpoint_problem(endpoint, self.private_endpoints)
        if problem:
            raise errors.PushRefused(message=f"Push endpoint {problem}")
        if not (_b64url(p256dh) and _b64url(auth)):
            raise errors.PushRefused(message="Push keys must be p256dh and auth, URL-safe base64")
        subscription = Subscription(endpoint, p256dh, auth, format, device[:64], self.network.clock())
        if not await self.store.add(account, subscription, self.per_account):
            raise errors.PushRefused(message=f"At most {self.per_account} push subscriptions per account")

    async def unsubscribe(self, account: str, endpoint: str) -> bool:
        return bool(await self.store.remove(account, endpoint))

    async def subscriptions(self, account: str) -> list[Subscription]:
        return list(await self.store.of(account))


def _b64url(value: str) -> bool:
    return 0 < len(value) <= MAX_KEY and all(c.isalnum() or c in "-_=" for c in value) and value.isascii()


def start_push(network: Any, store: Any, key_path: Any, options: Mapping[str, Any], reactor: Any,
               bridge: Any = None) -> Push:
    """Web Push on ``network`` as the ``push-*`` options say: the key made or read at ``key_path``,
    pushes posted from ``reactor``; in a cluster (``bridge``) the nodes agree on one key in Redis
    as each syncs (``store`` is then :class:`chatd.cluster.push.RedisPushStore`)."""
    contact = options["push-contact"] or f"mailto:postmaster@{network.server_name}"
    private = bool(options["push-private-endpoints"])
    key = VapidKey.load_or_create(key_path, contact)
    sender = PushSender(reactor, store, key, agent(reactor, private, 10.0), options["push-per-minute"])
    if bridge is not None:
        bridge.on_sync.append(lambda: store.agreed_key(key.pem).addCallback(key.adopt))
    return Push(network, store, key, sender, options["push-subscriptions"], private)
