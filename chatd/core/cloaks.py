"""Cloaked addresses: what others see of where someone connects from.

Everyone's address used to be shown to everyone (WHOIS, JOIN prefixes, NAMES,
WHO, the web's member list, history). With cloaks, a person's host is a keyed
hash of their address instead: stable (the same address gives the same cloak
on every node and after restarts, so bans and ignores keep working), and secret
(the key is the store's secret key, shared by the cluster, never shown; without
it nobody can go back from a cloak to an address).

A cloak has two parts, ``<address>.<network>.<suffix>``: the first hashes the
whole address, the second its network (an IPv4 /24, an IPv6 /64), so a room
operator can still ban a range (``*!*@*.k3q9x2mf.cloak``) without knowing it.
Server operators see the real address (IRC WHOIS 378, the web's whois), and
bans match either the cloak or the real address. Hosts that are not addresses
(the API's bots, services) are shown as they are.  With account cloaks someone
logged in is shown as ``account/<name>`` (Libera's ``user/<name>``), which says
who they are and nothing of where they are; their host changes as they log in
or out (IRCv3 ``chghost``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import os
from typing import Awaitable, Callable, Optional

DEFAULT_SUFFIX = "cloak"
log = logging.getLogger("chatd.core")


def _hash(key: bytes, text: str) -> str:
    digest = hmac.new(key, ("cloak\0" + text).encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode("ascii").lower()  # 8 characters


class Cloaks:
    def __init__(self, enabled: bool = False, suffix: str = DEFAULT_SUFFIX,
                 key: Optional[Callable[[], Awaitable[bytes]]] = None, accounts: bool = False) -> None:
        self.enabled = enabled
        #: Someone logged in is shown as ``account/<name>`` instead (--account-cloaks).
        self.accounts = accounts
        self.suffix = suffix
        self.key_source = key
        self.key: Optional[bytes] = None
        self.fallback: Optional[bytes] = None  # this process's own key while the store's is out of reach

    async def ready(self) -> None:
        """Read the key once (from the account store), before the first cloak is made. A store that
        cannot be reached (Redis down) must not keep people out, nor show their address: this
        process then cloaks with a key of its own (hidden still, but not the cluster's cloak) and
        asks the store again at the next connection."""
        if not self.enabled or self.key is not None or self.key_source is None:
            return
        try:
            self.key = await self.key_source()
        except Exception as error:
            if self.fallback is None:
                log.warning("cloaks: the shared key cannot be read (%s); cloaking with this process's "
                            "own key until it can", error)
                self.fallback = os.urandom(32)

    def host(self, address: str, account: Optional[str]) -> str:
        """The host others see of someone at ``address`` logged in to ``account`` (None: a guest)."""
        if self.accounts and account:
            return f"account/{account}"
        return self.cloak(address)

    def cloak(self, address: str) -> str:
        """The host others see for ``address`` (the address itself when cloaks are off)."""
        key = self.key or self.fallback
        if not self.enabled or key is None:
            return address
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return address  # not an address: a name the server gave (api, services)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        prefix = 24 if ip.version == 4 else 64
        network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
        return f"{_hash(key, str(ip))}.{_hash(key, str(network))}.{self.suffix}"
