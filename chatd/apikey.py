"""``python -m chatd.apikey``: create, list and revoke API keys, and incoming webhooks.

It takes the daemon's own ``--state-dir``, ``--config`` and ``--redis``
options (parsed by :mod:`chatd.options`, so a config file means the same
here), and writes where the daemon reads on every request: the change holds
at once, while the daemon runs, on every node of a cluster.  A new key or
hook secret is printed once, alone on the last line; only its hash is kept.

    python -m chatd.apikey --state-dir DIR create ci --scope post,read [--rooms '#ops,#ci']
    python -m chatd.apikey --state-dir DIR list
    python -m chatd.apikey --state-dir DIR revoke ci
    python -m chatd.apikey --state-dir DIR hook create '#ops' alerts
    python -m chatd.apikey --state-dir DIR hook list
    python -m chatd.apikey --state-dir DIR hook remove ID
    python -m chatd.apikey --state-dir DIR webhook create '#ops' https://bot.example/chatd \
        --events message --trigger '!deploy' --nick deploy-bot
    python -m chatd.apikey --state-dir DIR webhook list
    python -m chatd.apikey --state-dir DIR webhook remove ID

A running daemon picks up new and removed webhooks within ten seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Optional, Sequence

from .api.hooks import new_hook, url_base
from .api.keys import NAME, KeyRecord, digest, new_key, parse_rooms, parse_scopes
from .api.store import KeyStore, SQLiteKeys
from .api.subscriptions import new_subscription
from .cli import add_shared, prefix, run_tool, with_redis


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chatd.apikey", description="chatd's API keys and webhooks")
    add_shared(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="a new key, printed once")
    create.add_argument("name")
    create.add_argument("--scope", required=True, help="post, read, moderate, admin (comma-separated)")
    create.add_argument("--rooms", default="", help="only these rooms (comma-separated; default: all)")
    commands.add_parser("list", help="the keys (never the keys themselves)")
    revoke = commands.add_parser("revoke", help="a key stops working at once")
    revoke.add_argument("name")
    hook = commands.add_parser("hook", help="incoming webhooks").add_subparsers(dest="hook", required=True)
    hook_create = hook.add_parser("create", help="a new hook URL for a room, printed once")
    hook_create.add_argument("room")
    hook_create.add_argument("name", help="the nick its posts come from")
    hook.add_parser("list")
    hook_remove = hook.add_parser("remove")
    hook_remove.add_argument("id")
    webhook = commands.add_parser("webhook", help="outgoing webhooks").add_subparsers(dest="webhook", required=True)
    webhook_create = webhook.add_parser("create", help="POST a room's events to a URL; prints the signing secret")
    webhook_create.add_argument("room")
    webhook_create.add_argument("url")
    webhook_create.add_argument("--events", default="message", help="message, mention, join, part")
    webhook_create.add_argument("--trigger", default="", help="only messages starting with one of these words")
    webhook_create.add_argument("--nick", default="webhook", help="the nick mentions name and replies come from")
    webhook.add_parser("list")
    webhook_remove = webhook.add_parser("remove")
    webhook_remove.add_argument("id")
    return parser


def hook_base(options: Any) -> str:
    """Where the hook URLs point (the daemon's own choice: :func:`chatd.api.hooks.url_base`)."""
    return url_base(options["public-host"], options["api"] or options["http"])


def _day(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(stamp))


async def run(store: KeyStore, args: argparse.Namespace, options: Any, out: Any) -> int:
    if args.command == "create":
        if not NAME.fullmatch(args.name):
            raise ValueError(f"{args.name!r} is not a key name (a letter, then letters, digits, -_[]{{}}|^`, "
                             "at most 30; posts use it as their nick by default)")
        key = new_key()
        record = KeyRecord(args.name, digest(key), parse_scopes(args.scope), parse_rooms(args.rooms), time.time())
        if not await store.add_key(record):
            raise ValueError(f"there is already a key named {args.name!r} (revoke it first)")
        where = ", ".join(record.rooms) or "all rooms"
        print(f"API key {record.name}: {', '.join(record.scopes)} in {where}. Send it as "
              "'Authorization: Bearer KEY'; it is shown only now:", file=out)
        print(key, file=out)
    elif args.command == "list":
        for record in await store.keys():
            print(f"{record.name}\t{','.join(record.scopes)}\t{','.join(record.rooms) or '*'}\t{_day(record.created)}",
                  file=out)
    elif args.command == "revoke":
        if not await store.revoke_key(args.name):
            raise ValueError(f"no key is named {args.name!r}")
        print(f"API key {args.name} revoked", file=out)
    elif args.command == "webhook":
        await _webhook(store, args, out)
    elif args.hook == "create":
        rooms = parse_rooms(args.room)
        if len(rooms) != 1 or not NAME.fullmatch(args.name):
            raise ValueError("give one room (#name) and a nick for the hook's posts")
        hook, secret = new_hook(rooms[0], args.name, "operator")
        await store.add_hook(hook)
        print(f"Hook {hook.id} posts to {hook.room} as {hook.name}. POST JSON {{\"text\": ...}} to this URL "
              "(shown only now):", file=out)
        print(f"{hook_base(options)}/hooks/{hook.id}/{secret}", file=out)
    elif args.hook == "list":
        for hook in await store.hooks():
            print(f"{hook.id}\t{hook.room}\t{hook.name}\t{hook.created_by}\t{_day(hook.created)}", file=out)
    elif args.hook == "remove":
        if not await store.remove_hook(args.id):
            raise ValueError(f"no hook has the id {args.id!r}")
        print(f"Hook {args.id} removed", file=out)
    return 0


async def _webhook(store: KeyStore, args: argparse.Namespace, out: Any) -> None:
    if args.webhook == "create":
        sub = new_subscription(args.room, args.url, args.events, args.trigger, args.nick, "operator")
        await store.add_subscription(sub)
        what = ", ".join(sub.events) + (f" (starting with {', '.join(sub.triggers)})" if sub.triggers else "")
        print(f"Webhook {sub.id}: {what} in {sub.room} go to {sub.url}; replies come from {sub.nick}. "
              "Requests are signed with this secret (X-Chatd-Signature):", file=out)
        print(sub.secret, file=out)
    elif args.webhook == "list":
        for sub in await store.subscriptions():
            print(f"{sub.id}\t{sub.room}\t{sub.url}\t{','.join(sub.events)}\t{','.join(sub.triggers) or '*'}\t"
                  f"{sub.nick}\t{sub.created_by}\t{_day(sub.created)}", file=out)
    elif not await store.remove_subscription(args.id):
        raise ValueError(f"no webhook has the id {args.id!r}")
    else:
        print(f"Webhook {args.id} removed", file=out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)

    async def body(reactor: Any, options: Any) -> int:
        if options["redis"]:
            from .api.store import RedisKeys
            from .cluster.keys import Keys

            return await with_redis(reactor, options, lambda link: run(
                RedisKeys(link, Keys(prefix(options)).api), args, options, sys.stdout))
        store = SQLiteKeys(Path(options["state-dir"]) / "apikeys.sqlite3")  # inline, no thread
        try:
            return await run(store, args, options, sys.stdout)
        finally:
            store.db.close()

    return run_tool("chatd.apikey", args, body)


if __name__ == "__main__":
    raise SystemExit(main())
