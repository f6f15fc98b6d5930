"""``python -m chatd.migrate``: copy a network's Redis data to where the daemon is configured to keep it.

    python -m chatd.migrate --from redis://old-redis:6379/0 --redis-cluster redis://h1:7000,h2:7001,h3:7002
    python -m chatd.migrate --from redis://old-redis:6379/0 --redis redis://new-redis:6379/0
    python -m chatd.migrate --from redis://old-redis:6379/0 --config /etc/chatd/chatd.toml

Every key of the network (``chatd:NET:...`` on ``--from``) is copied to the
destination (the daemon's own ``--redis`` or ``--redis-cluster``, or its
config file) under the name chatd uses now: keys of earlier releases, which
had no hash tags, are renamed (:func:`chatd.cluster.keys.renamed`), so one
run both moves a network onto a Redis Cluster and brings its names up to
date.  History streams keep their entry ids (the times they were stored),
accounts, tokens, API keys, webhooks, read markers and push subscriptions
are copied as they are.  What the nodes say about themselves while they run
(nick claims, nodes, their users, room members, direct-message inboxes) is
left behind: nodes write it again when they start.  A key that already
exists at the destination is left as it is and named.

Stop every node first (a message said during the copy would be missing), run
this, point the nodes at the destination, start them.  The source is only
read.  docs/cluster.md, "Moving to a Redis Cluster".
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Optional, Sequence

from .cli import add_shared, prefix, redis_link, run_tool, started

CHUNK = 1000  # entries or members read and written per round trip
LIVE = ("{net}:nicks", "{net}:nodes", "{net}:users:", ":members", ":inbox")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chatd.migrate",
                                     description="copy a chatd network's Redis data to the configured Redis")
    add_shared(parser)
    parser.add_argument("--from", dest="source", required=True, metavar="URL",
                        help="the Redis to copy from: redis://[user:password@]host:6379/0")
    return parser


def destination(net_prefix: str, key: str) -> Optional[str]:
    """Where ``key`` goes, or None if it is left behind (not the network's, or live node state)."""
    from .cluster.keys import renamed

    if not key.startswith(net_prefix):
        return None
    name = renamed(net_prefix, key) or (key if key[len(net_prefix):].startswith("{") else None)
    if name is None or any(part in name for part in LIVE):
        return None
    return name


async def _keys(source: Any, pattern: str) -> list[str]:
    found: list[str] = []
    cursor = "0"
    while True:
        cursor, batch = await source.call("SCAN", cursor, "MATCH", pattern, "COUNT", CHUNK)
        found.extend(batch)
        if str(cursor) == "0":
            return sorted(set(found))


async def copy_key(source: Any, target: Any, key: str, name: str) -> int:
    """Copy one key whatever its type; how many entries, fields or members it had."""
    kind = await source.call("TYPE", key)
    if kind == "string":
        await target.call("SET", name, await source.call("GET", key))
        return 1
    if kind == "hash":
        flat = await source.call("HGETALL", key)
        for i in range(0, len(flat), 2 * CHUNK):
            await target.call("HSET", name, *flat[i:i + 2 * CHUNK])
        return len(flat) // 2
    if kind == "zset":
        flat = await source.call("ZRANGE", key, 0, -1, "WITHSCORES")
        pairs = [item for member, score in zip(flat[::2], flat[1::2], strict=True) for item in (score, member)]
        for i in range(0, len(pairs), 2 * CHUNK):
            await target.call("ZADD", name, *pairs[i:i + 2 * CHUNK])
        return len(pairs) // 2
    if kind == "set":
        members = await source.call("SMEMBERS", key)
        for i in range(0, len(members), CHUNK):
            await target.call("SADD", name, *members[i:i + CHUNK])
        return len(members)
    if kind == "list":
        items = await source.call("LRANGE", key, 0, -1)
        for i in range(0, len(items), CHUNK):
            await target.call("RPUSH", name, *items[i:i + CHUNK])
        return len(items)
    if kind == "stream":
        copied, start = 0, "-"
        while True:
            entries = await source.call("XRANGE", key, start, "+", "COUNT", CHUNK)
            for entry_id, fields in entries or []:
                await target.call("XADD", name, entry_id, *fields)  # the same id: the time it was stored
                start = "(" + entry_id
            copied += len(entries or [])
            if len(entries or []) < CHUNK:
                return copied
    raise ValueError(f"{key}: a {kind} is not something chatd keeps")


async def migrate(source: Any, target: Any, net_prefix: str, out: Any) -> int:
    copied = entries = 0
    left: list[str] = []
    there: list[str] = []
    for key in await _keys(source, net_prefix + "*"):
        name = destination(net_prefix, key)
        if name is None:
            left.append(key)
            continue
        if int(await target.call("EXISTS", name)):
            there.append(name)
            continue
        entries += await copy_key(source, target, key, name)
        copied += 1
    print(f"copied {copied} keys ({entries} entries, fields and members)", file=out)
    if left:
        print(f"left behind {len(left)} keys of live node state (nodes write it again when they start)", file=out)
    for name in there:
        print(f"already at the destination, left as it is: {name}", file=out)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)

    async def body(reactor: Any, options: Any) -> int:
        from .cluster.address import RedisAddress
        from .cluster.link import RedisLink

        if not options["redis"]:
            raise ValueError("no destination: give --redis or --redis-cluster (or a config file with one)")
        try:
            address = RedisAddress.parse(args.source)
        except ValueError as error:
            raise ValueError(f"--from: {error}") from None
        source = await started(reactor, lambda up: RedisLink(
            reactor, address, up, lambda: None, lambda channel, message: None, timeout=5.0), args.source)
        try:
            target = await started(reactor, lambda up: redis_link(reactor, options, up),
                                   options["redis-cluster"] or options["redis"])
            try:
                return await migrate(source, target, prefix(options), sys.stdout)
            finally:
                await target.stopService()
        finally:
            await source.stopService()

    return run_tool("chatd.migrate", args, body)


if __name__ == "__main__":
    raise SystemExit(main())
