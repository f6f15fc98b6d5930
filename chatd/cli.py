"""What the operator's command-line tools (``python -m chatd.apikey``, ``chatd.account``, ``chatd.migrate``)
share: the daemon's own ``--state-dir``/``--config``/``--redis`` options, parsed and validated
as the daemon does (a config file means the same here), a connected Redis link in cluster
mode, and a reactor run that ends with the tool's exit status.

The tools write where the daemon reads on every request or sign-in, so a change holds at once,
while the daemon runs, on every node.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Awaitable, Callable

from twisted.internet import defer, task
from twisted.python import usage

SHARED = ("state-dir", "config", "redis", "redis-cluster", "network-name", "public-host", "http")


def add_shared(parser: argparse.ArgumentParser) -> None:
    for name in SHARED:
        parser.add_argument(f"--{name}", dest=name.replace("-", "_"))


def daemon_options(args: argparse.Namespace) -> Any:
    """The daemon's options from the shared flags (and the config file), validated as it does."""
    from .options import Options

    argv = []
    for name in SHARED:
        value = getattr(args, name.replace("-", "_"))
        if value is not None:
            argv += [f"--{name}", value]
    options = Options()
    options.parseOptions(argv)
    return options


def prefix(options: Any) -> str:
    """The network's Redis key prefix (as the daemon's bridge names its keys)."""
    return f"chatd:{options['network-name']}:"


def redis_link(reactor: Any, options: Any, up: Callable[[], None]) -> Any:
    """A link to the daemon's Redis or Redis Cluster, not yet started; ``up`` runs when it is."""
    from .cluster.address import RedisAddress, parse_cluster
    from .cluster.link import RedisLink
    from .cluster.shards import ClusterLink

    timeout = options["redis-timeout"] * 5  # a tool may wait longer than the daemon's chat path
    if options["redis-cluster"]:
        return ClusterLink(reactor, parse_cluster(options["redis-cluster"]), up, lambda: None,
                           lambda channel, message: None, timeout=timeout)
    return RedisLink(reactor, RedisAddress.parse(options["redis"]), up, lambda: None,
                     lambda channel, message: None, timeout=timeout)


async def started(reactor: Any, make: Callable[[Callable[[], None]], Any], where: str) -> Any:
    """A link from ``make(up)``, started and up within ten seconds (else a ValueError naming ``where``)."""
    up: defer.Deferred[None] = defer.Deferred()

    def link_up() -> None:
        if not up.called:
            up.callback(None)

    link = make(link_up)
    link.startService()
    up.addTimeout(10, reactor)
    try:
        await up
    except defer.TimeoutError:
        await link.stopService()
        raise ValueError(f"cannot reach Redis at {where.split('@')[-1]}") from None
    return link


async def with_redis(reactor: Any, options: Any, use: Callable[[Any], Awaitable[int]]) -> int:
    """``use`` a link to the daemon's Redis, connected (within ten seconds), closed after."""
    link = await started(reactor, lambda up: redis_link(reactor, options, up),
                         options["redis-cluster"] or options["redis"])
    try:
        return await use(link)
    finally:
        await link.stopService()


def options_or_none(prog: str, args: argparse.Namespace) -> Any:
    """The daemon's options, or None after one line on stderr naming what is wrong."""
    try:
        return daemon_options(args)
    except usage.UsageError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return None


def run_tool(prog: str, args: argparse.Namespace, body: Callable[[Any, Any], Awaitable[int]]) -> int:
    """Parse the daemon's options, run ``body(reactor, options)``; a ValueError is one line on stderr
    and status 1, a bad option status 2."""
    options = options_or_none(prog, args)
    if options is None:
        return 2
    if options["redis-sentinel"]:
        print(f"{prog}: give --redis (the master) rather than Sentinels", file=sys.stderr)
        return 2

    async def main(reactor: Any) -> None:
        try:
            status = await body(reactor, options)
        except ValueError as error:
            print(f"{prog}: {error}", file=sys.stderr)
            status = 1
        if status:
            raise SystemExit(status)

    task.react(lambda reactor: defer.ensureDeferred(main(reactor)))  # exits with main's status
    return 0
