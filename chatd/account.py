"""``python -m chatd.account``: an operator's way back into an account, and out of its sessions.

    python -m chatd.account --state-dir DIR passwd alice        # the new password from standard input
    python -m chatd.account --state-dir DIR passwd alice --generate
    python -m chatd.account --state-dir DIR sessions alice
    python -m chatd.account --state-dir DIR revoke alice        # every session (token) ends

``passwd`` sets a new password (at a terminal it is asked twice and never
echoed; from a pipe, the first line; ``--generate`` makes a random one and
prints it alone on the last line) and revokes every session token of the
account, as a person's own password change does.  It takes the daemon's
``--state-dir``, ``--config`` and ``--redis`` (:mod:`chatd.cli`); each sign-in
asks the store, so a revocation holds at once, on every node.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
import time
from pathlib import Path
from typing import Any, Optional, Sequence

from .cli import add_shared, prefix, run_tool, with_redis
from .core import errors
from .core.accounts import Accounts, AccountStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chatd.account", description="chatd's accounts, for operators")
    add_shared(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    passwd = commands.add_parser("passwd", help="a new password; every session of the account ends")
    passwd.add_argument("name")
    passwd.add_argument("--generate", action="store_true", help="make a random password and print it")
    sessions = commands.add_parser("sessions", help="the account's signed-in sessions")
    sessions.add_argument("name")
    revoke = commands.add_parser("revoke", help="end every session of the account (it signs in again)")
    revoke.add_argument("name")
    return parser


def new_password(generate: bool) -> str:
    if generate:
        return secrets.token_urlsafe(15)
    if sys.stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _day(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(stamp))


async def run(accounts: Accounts, args: argparse.Namespace, out: Any) -> int:
    record = await accounts.store.get(args.name)
    if record is None:
        raise ValueError(f"no account is named {args.name!r}")
    name = record.name
    try:
        if args.command == "passwd":
            password = new_password(args.generate)
            revoked = await accounts.set_password(name, password)
            print(f"Password of {name} changed; {revoked} session(s) ended", file=out)
            if args.generate:
                print(password, file=out)
        elif args.command == "sessions":
            for token in await accounts.sessions(name):
                print(f"{token.id}\tsigned in {_day(token.created)}\tuntil {_day(token.expires)}", file=out)
        else:
            print(f"{await accounts.revoke_tokens(name)} session(s) of {name} ended", file=out)
    except errors.ChatError as error:
        raise ValueError(error.describe()) from None
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)

    async def body(reactor: Any, options: Any) -> int:
        from .accounts.passwords import ScryptHasher

        def accounts(store: AccountStore) -> Accounts:
            return Accounts(store, ScryptHasher(reactor), reactor.seconds)

        if options["redis"]:
            from .cluster.accounts import RedisAccounts
            from .cluster.keys import Keys

            return await with_redis(reactor, options, lambda link: run(
                accounts(RedisAccounts(link, Keys(prefix(options)))), args, sys.stdout))
        from .accounts.sqlite import SQLiteAccounts

        path = Path(options["state-dir"]) / "accounts.sqlite3"
        if not path.exists():
            raise ValueError(f"--state-dir {options['state-dir']}: no accounts here")
        store = SQLiteAccounts(path)  # inline, no thread
        try:
            return await run(accounts(store), args, sys.stdout)
        finally:
            store.db.close()

    return run_tool("chatd.account", args, body)


if __name__ == "__main__":
    raise SystemExit(main())
