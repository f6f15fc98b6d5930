"""Where Redis is: parsed from a redis:// or rediss:// URL.

Kept apart from the link so that checking ``--redis`` loads no Redis client.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import unquote, urlsplit

import attrs
from twisted.internet import endpoints, ssl


@attrs.frozen
class RedisAddress:
    host: str
    port: int
    db: Optional[int]
    username: Optional[str]
    password: Optional[str]
    tls: bool

    @classmethod
    def parse(cls, url: str) -> RedisAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError("a Redis URL starts with redis:// or rediss://")
        if not parts.hostname:
            raise ValueError("the Redis URL names no host")
        path = parts.path.strip("/")
        if path and not path.isdigit():
            raise ValueError("the Redis database must be a number (redis://host:6379/0)")
        return cls(
            host=parts.hostname,
            port=parts.port or 6379,
            db=int(path) if path else None,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=parts.scheme == "rediss",
        )

    def endpoint(self, reactor: Any) -> Any:
        plain = endpoints.HostnameEndpoint(reactor, self.host, self.port, timeout=5)
        if not self.tls:
            return plain
        # Certificate and host name checked (service-identity), like any TLS client.
        return endpoints.wrapClientTLS(ssl.optionsForClientTLS(self.host), plain)


def parse_sentinels(text: str) -> list[tuple[str, int]]:
    """``--redis-sentinel``: ``host:port,host:port`` (port 26379 when left out)."""
    found = []
    for item in (part.strip() for part in text.split(",")):
        host, _, port = item.rpartition(":") if ":" in item else (item, "", "26379")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{item!r} is not host:port")
        found.append((host.strip("[]"), int(port)))
    return found


def parse_cluster(text: str) -> list[RedisAddress]:
    """``--redis-cluster``: seed nodes ``redis://[user:password@]host:7000,host:7001,...``.

    The first names the scheme (rediss:// for TLS) and the ACL user for all; later ones may be
    ``host:port`` alone.  A cluster has only database 0."""
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise ValueError("name at least one seed node: redis://host:7000,host:7001")
    first = RedisAddress.parse(items[0])
    if first.db not in (None, 0):
        raise ValueError("a Redis Cluster has only database 0")
    seeds = [attrs.evolve(first, db=None)]
    for item in items[1:]:
        if "://" in item:
            seeds.append(attrs.evolve(RedisAddress.parse(item), db=None))
            continue
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{item!r} is not host:port")
        seeds.append(attrs.evolve(first, host=host.strip("[]"), port=int(port)))
    return seeds
