"""Who may upload, how much, and what becomes of a file: the rules around :class:`.store.FileStore`.

An upload needs an account, proved as an IRC client proves it to the ``draft/FILEHOST`` URL
(HTTP Basic with the account's name and password, as for SASL PLAIN) or as the web client does
(``Authorization: Bearer`` with its session token).  With ``--upload-guests`` a web guest gets a
token of its own in ``welcome.upload`` that works while that guest is connected, under a smaller
quota counted per address.  Quotas are counted on disk (the owner's folder), so they hold across
restarts and across nodes sharing the folder.

A message whose text carries the URL of a file its sender uploaded is remembered with that
file (``Messaging.said``); when the message is deleted (``Redacted``), so are its files.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from pathlib import Path
from typing import IO, Any, Callable, Optional
from urllib.parse import quote

import attrs
from twisted.application import internet
from twisted.logger import Logger

from ..core import errors
from ..core.casemap import casefold
from ..core.events import Redacted
from ..core.throttle import Throttle
from ..files import write_private
from .sniff import allowed
from .store import FileRecord, FileStore

log = Logger()
FILE_URL = re.compile(r"/files/([0-9a-f]{32})/")
MAX_NAME = 200
MAX_REMEMBERED = 10000


class UploadRefused(Exception):
    """An upload answered with ``status`` (401, 413, 415, 429) and a JSON error."""

    def __init__(self, status: int, code: str, message: str, headers: Optional[dict[str, str]] = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


@attrs.define
class UploadSettings:
    max_size: int = 10 << 20  # bytes per file
    quota: int = 200 << 20  # bytes an account keeps
    guests: bool = False
    guest_quota: int = 20 << 20  # bytes one address keeps as a guest
    types: tuple[str, ...] = ("image/*",)
    days: float = 30.0  # 0: files stay until their message is deleted
    per_minute: int = 20  # uploads per owner, and per address


class Uploads:
    def __init__(self, network: Any, store: FileStore, settings: UploadSettings, clock: Any,
                 base: Callable[[], str]) -> None:
        self.network = network
        self.store = store
        self.settings = settings
        self.clock = clock
        self.base = base  # the web listener's URL: http://host:port or https://public-host
        self.guest_tokens: dict[str, Any] = {}  # token -> the guest User it was given to
        self.throttle = Throttle(clock, settings.per_minute, 60.0)
        self.carried: dict[str, list[str]] = {}  # msgid -> ids of its sender's files, said here lately
        self.gone: set[str] = set()  # files deleted here lately (their disk removal is under way)
        network.messaging.said.add(self.said)
        network.records.add(self.record)
        network.uploads = self

    @property
    def url(self) -> str:
        return self.base() + "/upload"

    def file_url(self, record: FileRecord) -> str:
        return f"{self.base()}/files/{record.id}/{quote(record.name, safe='')}"

    # -- what the web client is told -----------------------------------------------------

    def offer(self, user: Any) -> dict[str, Any]:
        """``welcome.upload``: where to upload and how much; a guest token if guests may."""
        offer: dict[str, Any] = {"url": "/upload", "max_size": self.settings.max_size,
                                 "types": list(self.settings.types)}
        if user.account is None and self.settings.guests:
            self._forget_gone()
            token = "g" + secrets.token_urlsafe(24)
            self.guest_tokens[token] = user
            offer["token"] = token
        return offer

    def _forget_gone(self) -> None:
        find = self.network.find_user
        self.guest_tokens = {t: u for t, u in self.guest_tokens.items()
                             if find(u.nick) is u and u.account is None}

    # -- an upload ------------------------------------------------------------------------

    async def owner(self, authorization: str, address: str) -> tuple[str, int]:
        """Who is uploading and their quota, from the Authorization header; raises UploadRefused."""
        scheme, _, credentials = authorization.partition(" ")
        scheme, credentials = scheme.lower(), credentials.strip()
        accounts = self.network.accounts
        try:
            if scheme == "basic" and accounts is not None:
                name, _, password = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")
                account = await accounts.login(name.partition("@")[0], password, address)
                return account_owner(account), self.settings.quota
            if scheme == "bearer" and credentials in self.guest_tokens:
                user = self.guest_tokens[credentials]
                if self.network.find_user(user.nick) is user and user.account is None:
                    return "guest:" + address, self.settings.guest_quota
                del self.guest_tokens[credentials]
            elif scheme == "bearer" and accounts is not None:
                account, _ = await accounts.login_token(credentials, address)
                return account_owner(account), self.settings.quota
        except (ValueError, UnicodeError):
            pass
        except errors.BadLogin as error:
            raise UploadRefused(401, "unauthorized", error.describe(), CHALLENGE) from None
        raise UploadRefused(401, "unauthorized", "Log in to upload: HTTP Basic with your account and password, "
                            "or Bearer with a web session token", CHALLENGE)

    def _rate(self, *keys: str) -> None:
        """Count an upload against each key (the owner, the address), or refuse it if one is spent."""
        if not all(self.throttle.allowed(key) for key in keys):
            raise UploadRefused(429, "rate_limited", "Too many uploads: try again in a minute", {"Retry-After": "60"})
        for key in keys:
            self.throttle.record(key)

    async def upload(self, authorization: str, address: str, name: str, length: int,
                     body: IO[bytes]) -> FileRecord:
        """Keep the file in ``body`` (``length`` bytes, named ``name``); raises UploadRefused."""
        owner, quota = await self.owner(authorization, address)
        self._rate("owner " + owner, "address " + address)
        if length == 0:
            raise UploadRefused(400, "empty", "The file is empty")
        if length > self.settings.max_size:
            raise UploadRefused(413, "too_large", f"Files may have at most {self.settings.max_size} bytes")
        used = await self.store.usage(owner)
        if used + length > quota:
            raise UploadRefused(413, "over_quota", f"Your files would take more than your {quota} bytes: "
                                "delete the messages that carry older ones, or wait for them to expire")
        now = self.clock()
        expires = now + self.settings.days * 86400 if self.settings.days else 0.0
        record: FileRecord = await self.store.save(owner, clean_name(name), body, now, expires)
        if not allowed(record.type, self.settings.types):
            await self.store.delete([record.id])
            raise UploadRefused(415, "unsupported_type", f"{record.type} files are not taken here",
                                {"Accept-Post": ", ".join(self.settings.types)})
        return record

    # -- files follow their messages -------------------------------------------------------

    def said(self, message: Any) -> None:
        """Note the files ``message`` carries that its sender uploaded: an id starts with its owner's
        key, so this needs no disk (only the note for other nodes is written, on a thread)."""
        if "/files/" not in message.text:
            return
        owner = self._owner_of(message.sender)
        key = self.store.owner_key(owner) if owner else ""
        mine = [i for i in dict.fromkeys(FILE_URL.findall(message.text)) if key and i.startswith(key)][:20]
        if mine:
            self.carried[message.id] = mine
            while len(self.carried) > MAX_REMEMBERED:
                del self.carried[next(iter(self.carried))]
            self.store.link(message.id, mine).addErrback(
                lambda f: log.failure("noting the files of message {id}", f, id=message.id))

    def _owner_of(self, sender: Any) -> str:
        if sender.account is not None:
            return account_owner(sender.account)
        user = self.network.find_user(sender.nick)
        return "guest:" + user.address if user is not None and user.address else ""

    def record(self, record: Any) -> None:
        """A deleted message takes its files: gone at once for readers here, then from the disk."""
        if not isinstance(record, Redacted):
            return
        carried = self.carried.pop(record.msgid, None)
        if carried:
            self.gone.update(carried)
            if len(self.gone) > MAX_REMEMBERED:
                self.gone = set(carried)
        self.store.unlink_message(record.msgid, carried or []).addErrback(
            lambda f: log.failure("deleting the files of message {id}", f, id=record.msgid))

    def expire(self) -> Any:
        return self.store.expire(self.clock()).addErrback(lambda f: log.failure("expiring uploads", f))


def account_owner(account: str) -> str:
    """How files of ``account`` are owned (a guest's are ``guest:<address>``)."""
    return "account:" + casefold(account)


CHALLENGE = {"WWW-Authenticate": 'Basic realm="chatd", charset="UTF-8"'}


def clean_name(name: str) -> str:
    """A file name fit to show and to put in a URL: no folders, no controls, not empty."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '"<>').strip(" .")
    return name[:MAX_NAME] or "file"


def start_uploads(network: Any, folder: Path, settings: UploadSettings, reactor: Any,
                  base: Callable[[], str], top: Any) -> Uploads:
    """Uploads kept in ``folder`` (made 0700 with its key at start: nodes sharing the folder
    share the key); expired files are swept every hour (and once at start)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_path = folder / "owners.key"
    if not key_path.exists():  # made whole under another name, then linked: the first node's key wins
        fresh = folder / f"owners.key.{secrets.token_hex(4)}"
        write_private(fresh, secrets.token_bytes(32))
        try:
            os.link(fresh, key_path)
        except FileExistsError:
            pass
        fresh.unlink()
    uploads = Uploads(network, FileStore(folder, reactor, key_path.read_bytes()), settings, reactor.seconds, base)
    sweeping = internet.TimerService(3600, uploads.expire)
    sweeping.clock = reactor
    sweeping.setServiceParent(top)
    return uploads


def uploads_from(options: Any, network: Any, reactor: Any, top: Any, base: Callable[[], str]) -> Optional[Uploads]:
    """Uploads as the ``upload-*`` options say; None when off (``--no-uploads``, or ``--no-history``
    without an ``--upload-dir``: nothing is written to the state directory then)."""
    if options["no-uploads"] or (options["no-history"] and not options["upload-dir"]):
        return None
    folder = Path(options["upload-dir"] or Path(options["state-dir"]) / "files")
    settings = UploadSettings(options["upload-max-size"], options["upload-quota"], bool(options["upload-guests"]),
                              options["upload-guest-quota"], options["upload-type-list"], options["upload-days"],
                              options["uploads-per-minute"])
    return start_uploads(network, folder, settings, reactor, base, top)
