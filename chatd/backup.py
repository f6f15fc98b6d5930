"""``python -m chatd.backup``: a consistent copy of chatd's state while it runs, and exports.

    python -m chatd.backup --state-dir ./chatd-data copy /var/backups/chatd/2026-12-05
    python -m chatd.backup --state-dir ./chatd-data export --room '#ops' > ops.jsonl
    python -m chatd.backup --state-dir ./chatd-data export --account alice --format text

``copy`` takes every SQLite store of the state directory (history, accounts and
bans, API keys, the webhook queue, the cluster outbox) with SQLite's online
backup API: each copy is one consistent snapshot even while the daemon writes,
so no stop is needed and nothing half-written is copied. The copies are plain
SQLite files, 0600 in a 0700 folder. To restore, stop the daemon, put the files
back into the (empty) state directory, and start it (docs/operations.md).

``export`` writes a room's messages, or an account's (its direct conversations
and what it said in rooms), oldest first, as JSON lines (one object a message,
the web protocol's fields) or as text lines (``[time] <nick> text``), for people
who leave. It reads a snapshot of the history too. Both take the daemon's
``--state-dir`` or ``--config`` (:mod:`chatd.cli`); in cluster mode history
lives in Redis, which has its own persistence.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence, TextIO

from .cli import add_shared, options_or_none
from .core.casemap import casefold


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chatd.backup",
                                     description="chatd's state: an online copy, and exports of history")
    add_shared(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    copy = commands.add_parser("copy", help="copy every store of the state directory into DIR (while chatd runs)")
    copy.add_argument("dir")
    export = commands.add_parser("export", help="a room's or an account's messages, oldest first")
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--room")
    which.add_argument("--account")
    export.add_argument("--format", choices=("json", "text"), default="json")
    export.add_argument("output", nargs="?", help="a file (default: standard output)")
    return parser


def stores(state: Path) -> list[Path]:
    return sorted(p for p in state.glob("*.sqlite3") if p.is_file())


def copy(state: Path, target: Path) -> list[tuple[str, int]]:
    """Back every store up into ``target``; the name and size of each copy."""
    found = stores(state)
    if not found:
        raise ValueError(f"no chatd stores in {state}")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    if any(target.glob("*.sqlite3")):
        raise ValueError(f"{target} already holds a backup; give an empty folder")
    done = []
    for path in found:
        destination = target / path.name
        os.close(os.open(destination, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
        source = sqlite3.connect(path, timeout=30)  # read only; SQLite's WAL files keep the file's mode
        copied = sqlite3.connect(destination)
        try:
            source.backup(copied, pages=1024)  # in steps: the daemon's writes go on meanwhile
            copied.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copied.close()
            source.close()
        done.append((path.name, destination.stat().st_size))
    # Who stays while disconnected (written whole, renamed into place), and the Web Push key
    # (browsers' subscriptions are tied to it: a restore without it would silence them all).
    for kept in (state / "always-on.json", state / "vapid.pem"):
        if kept.is_file():
            data = kept.read_bytes()
            fd = os.open(target / kept.name, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            done.append((kept.name, len(data)))
    return done


_COLUMNS = "id, time, room, recipient, sender_nick, sender_account, kind, text"


def messages(db: sqlite3.Connection, room: Optional[str], account: Optional[str]) -> Iterator[dict[str, Any]]:
    if room is not None:
        rows = db.execute(f"SELECT {_COLUMNS} FROM messages WHERE target=? ORDER BY id", (casefold(room),))
    else:
        name = account or ""
        person = "a:" + casefold(name)
        # Its conversations by the persons filed with them (never a LIKE on the key: "_" in a name
        # would match other accounts'), and its room lines: accounts fold by rfc1459, which SQL
        # cannot, so rows of names of that length are read and compared here.
        rows = db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE (room IS NULL AND (peer_a = ? OR peer_b = ?)) "
            "OR (room IS NOT NULL AND length(sender_account) = ?) ORDER BY id", (person, person, len(name)))
    for id_, stamp, in_room, recipient, nick, sender_account, kind, text in rows:
        if in_room and (room is None and casefold(sender_account) != casefold(account or "")):
            continue  # what others said in rooms is theirs
        frame = {"id": id_, "time": stamp, "from": nick, "account": sender_account, "kind": kind, "text": text}
        frame.update({"room": in_room} if in_room else {"to": recipient})
        yield frame


def _text(frame: dict[str, Any]) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(frame["time"]))
    where = frame.get("room") or f"-> {frame.get('to')}"
    text = frame["text"].replace("\n", "\n    ")
    if frame["kind"] == "action":
        return f"[{when}] {where} * {frame['from']} {text}"
    return f"[{when}] {where} <{frame['from']}> {text}"


def export(state: Path, room: Optional[str], account: Optional[str], form: str, out: TextIO) -> int:
    path = state / "history.sqlite3"
    if not path.exists():
        raise ValueError(f"no history in {state}")
    db = sqlite3.connect(path, timeout=30)
    count = 0
    try:
        db.execute("BEGIN")  # one snapshot, whatever the daemon writes meanwhile
        for frame in messages(db, room, account):
            out.write((json.dumps(frame, ensure_ascii=False) if form == "json" else _text(frame)) + "\n")
            count += 1
    finally:
        db.close()
    return count


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    prog = "chatd.backup"
    options = options_or_none(prog, args)
    if options is None:
        return 2
    if options["redis"]:
        print(f"{prog}: in cluster mode history and accounts live in Redis: back up Redis "
              "(its AOF or RDB files); only the outbox is in the state directory", file=sys.stderr)
    state = Path(options["state-dir"])
    try:
        if args.command == "copy":
            for name, size in copy(state, Path(args.dir)):
                print(f"{name}: {size} bytes")
            return 0
        # Private history: the file is the owner's alone, as the state files are.
        out: TextIO = os.fdopen(os.open(args.output, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600), "w",
                                encoding="utf-8") if args.output else sys.stdout
        try:
            count = export(state, args.room, args.account, args.format, out)
        finally:
            if args.output:
                out.close()
        print(f"{count} messages", file=sys.stderr)
        return 0
    except (ValueError, sqlite3.Error, OSError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
