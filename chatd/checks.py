"""Start-up checks: what can be known to fail before anything starts.

Each check raises ``usage.UsageError`` with one line that names the option and
the reason, so a mistake in a unit file or a TOML file is reported as
``chatd: --irc: ...`` instead of a traceback from deep inside Twisted or SQLite.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path

from twisted.internet import endpoints
from twisted.python import usage

#: Options that are listener endpoint strings.
LISTENERS = ("irc", "irc-trusted", "irc-tls", "telnet", "http", "https", "metrics", "api")


def check_endpoint(option: str, description: str, shared: bool = False) -> None:
    """Parse an endpoint the way the listener will (TLS files are read now).  ``shared``: every
    worker of ``--workers`` binds it, so it must be TCP on a fixed port."""
    try:
        # Parsing builds the endpoint (and loads TLS keys); only listening needs a reactor.
        endpoint = endpoints.serverFromString(None, description)
    except OSError as error:
        raise usage.UsageError(f"--{option}: {description!r}: {error.strerror or error}: "
                               f"{error.filename or ''}".rstrip(": ")) from None
    except Exception as error:  # ValueError, KeyError, SSL errors: whatever the parser says
        raise usage.UsageError(f"--{option}: {description!r} is not a usable endpoint: {error}") from None
    if shared and getattr(endpoint, "_port", None) == 0:
        raise usage.UsageError(f"--{option}: {description!r}: with --workers every worker binds the same port; "
                               "give a fixed one, not 0")
    if shared and isinstance(endpoint, endpoints.UNIXServerEndpoint):
        raise usage.UsageError(f"--{option}: {description!r}: a unix: socket cannot be shared by --workers; "
                               "listen on tcp:")


def check_state_dir(path: str, option: str = "state-dir") -> None:
    """The state folder (or another of chatd's folders, named by ``option``) exists or can be made,
    is a folder, is writable, and (the state folder's) database opens."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise usage.UsageError(f"--{option}: {path} is a file, not a folder")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        probe = folder / f".chatd-write-test-{os.getpid()}"  # its own: workers check one folder at once
        probe.write_bytes(b"")
        probe.unlink(missing_ok=True)
    except OSError as error:
        raise usage.UsageError(f"--{option}: {path} is not a writable folder: {error.strerror}") from None
    if option != "state-dir":
        return
    database = folder / "history.sqlite3"
    if not database.exists():
        return
    if not database.is_file():
        raise usage.UsageError(f"--state-dir: {database} is not a file")
    try:
        with sqlite3.connect(f"file:{database}?mode=rw", uri=True) as db:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        db.close()
    except sqlite3.Error as error:
        raise usage.UsageError(f"--state-dir: {database} cannot be used: {error}") from None


def check_readable(option: str, path: str) -> None:
    if not Path(path).is_file():
        raise usage.UsageError(f"--{option}: no such file: {path}")
    if not os.access(path, os.R_OK):
        raise usage.UsageError(f"--{option}: {path} is not readable")


def worker_count(value: object) -> int:
    """``--workers``: a number from 1 to 256, or ``auto`` (one per core); a command-line string or a
    configuration file's number or string."""
    text = str(value).strip().lower()
    if text == "auto":
        return os.cpu_count() or 1
    if text.isdigit() and 1 <= int(text) <= 256:
        return int(text)
    raise usage.UsageError(f"--workers must be a number from 1 to 256, or auto, not {value!r}")


def check_workers(count: int, redis: bool) -> None:
    """More than one worker only with Redis, through which the workers join into one network, and
    where processes can share a port."""
    if count > 1 and not redis:
        raise usage.UsageError("--workers: more than one worker needs --redis (the workers join into one "
                               "network through it)")
    if count > 1 and not hasattr(socket, "SO_REUSEPORT"):
        raise usage.UsageError("--workers: this system cannot share a port between processes (no SO_REUSEPORT)")
