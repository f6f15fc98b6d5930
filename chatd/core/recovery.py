"""Getting back into an account by e-mail: verified addresses and password reset links.

Only when the server sends mail (``--smtp``). An address given at registration
(or set later) gets a short code by mail; entering it (IRC ``VERIFY``, NickServ
``VERIFY``, the link in the mail for a browser) marks the address verified.
Reset links go only to a verified address, so nobody can have another person's
password reset sent to an address they typed in.

Codes and links keep no state: each is an HMAC under the store's secret key
(the one that signs session tokens, shared by every node). A verification
code is bound to the account and the address, so changing the address makes
the old code worthless. A reset link is bound to the account, its expiry and
the current password hash, so it works once: the reset changes the hash, and
every link sent before stops working with it. Wrong codes count as failed
logins (the same per-address throttle), and reset requests are limited per
account and per address, so the server cannot be made to flood a mailbox.
Whether an account exists or has an address is never told: a reset request
always gets the same answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from typing import Callable, Optional, Protocol
from urllib.parse import quote

from . import errors
from .accounts import AccountRecord, Accounts, Throttle
from .casemap import casefold

log = logging.getLogger("chatd.accounts")

RESET_MINUTES = 60
#: Reset requests per hour for one account, and (four times as many) from one address.
RESET_REQUESTS = 3
MAX_EMAIL = 254
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f<>,;]+@[^@\s\x00-\x1f\x7f<>,;]+\.[^@\s\x00-\x1f\x7f<>,;.]+$")


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None:
        """Send one plain-text mail; returns at once (the sender logs what fails, and retries nothing)."""


def valid_email(email: str) -> str:
    """An address as given, checked: one ``@``, a dot in the domain, no spaces or control characters
    (nothing that could add a header to a mail)."""
    email = email.strip()
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise errors.BadEmail(email[:60])
    return email


def _mac(key: bytes, *parts: str, size: int) -> str:
    digest = hmac.new(key, "\0".join(parts).encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest[:size]).decode("ascii").rstrip("=")


class Recovery:
    """Verification codes and reset links for :class:`~chatd.core.accounts.Accounts`, by mail."""

    def __init__(self, accounts: Accounts, mailer: Mailer, clock: Callable[[], float],
                 link: Callable[[], str], network_name: str) -> None:
        self.accounts = accounts
        self.mailer = mailer
        self.clock = clock
        self.web = link  # the web client's address, for links in mails (known once it listens)
        self.network_name = network_name
        self.requests = Throttle(clock, RESET_REQUESTS, 3600.0)
        self.address_requests = Throttle(clock, RESET_REQUESTS * 4, 3600.0)

    @property
    def link(self) -> str:
        return self.web().rstrip("/") + "/"

    # -- verification -----------------------------------------------------------------------

    async def verification_code(self, record: AccountRecord) -> str:
        key = await self.accounts.signing_key()
        return _mac(key, "verify", casefold(record.name), record.email, size=5)  # 8 characters

    async def send_verification(self, name: str) -> None:
        """Mail ``name``'s address its code (nothing when it has none, or it is verified)."""
        record = await self.accounts.info(name)
        if not record.email or record.email_verified:
            return
        code = await self.verification_code(record)
        link = f"{self.link}#verify={quote(record.name, safe='')}.{code}"
        self.mailer.send(record.email, f"Verify your address on {self.network_name}", (
            f"Someone (hopefully you) gave this address to the account {record.name} on {self.network_name}.\n\n"
            f"To confirm it, open {link}\n"
            f"or, on IRC, type: /msg NickServ VERIFY {record.name} {code}\n\n"
            "A verified address lets you reset a forgotten password. If this was not you, ignore this mail."))

    async def verify(self, name: str, code: str, address: str) -> str:
        """Enter ``name``'s code: its address is verified. Wrong codes count as failed logins."""
        self.accounts.refuse_if_throttled(address, name)
        try:
            record = await self.accounts.info(name)
        except errors.NoSuchAccount:
            record = None
        if record is None or not record.email:
            self.accounts.count_failure(address, name)
            raise errors.BadCode(name)
        expected = await self.verification_code(record)
        if not hmac.compare_digest(expected, code.strip().upper()):
            self.accounts.count_failure(address, name)
            raise errors.BadCode(name)
        if not await self.accounts.verify_email(record.name, record.email):
            raise errors.BadCode(name)  # the address changed meanwhile
        log.info("account %s verified its address", record.name)
        return record.name

    async def set_email(self, name: str, email: str) -> str:
        """A new address for ``name`` (unverified until its code is entered); "" removes it."""
        email = valid_email(email) if email else ""
        await self.accounts.set_email(name, email)
        if email:
            await self.send_verification(name)
        return email

    # -- reset ----------------------------------------------------------------------------

    async def _reset_mac(self, record: AccountRecord, expires: int) -> str:
        key = await self.accounts.signing_key()
        return _mac(key, "reset", casefold(record.name), str(expires), record.password, size=10)

    async def request_reset(self, name: str, address: str) -> None:
        """Mail a reset link to ``name``'s verified address. The caller always answers the same,
        whether or not the account exists or has an address."""
        if not (self.requests.allowed(casefold(name)) and self.address_requests.allowed(address)):
            log.warning("password reset requests from %s for %s held back", address, name)
            return
        self.requests.record(casefold(name))
        self.address_requests.record(address)
        try:
            record = await self.accounts.info(name)
        except errors.NoSuchAccount:
            return
        if not record.email_verified:
            return
        expires = int(self.clock()) + RESET_MINUTES * 60
        token = f"{record.name}.{expires}.{await self._reset_mac(record, expires)}"
        link = f"{self.link}#reset={quote(token, safe='')}"
        self.mailer.send(record.email, f"Reset your password on {self.network_name}", (
            f"Someone (hopefully you) asked to reset the password of {record.name} on {self.network_name}.\n\n"
            f"To choose a new password, open {link}\n"
            f"or, on IRC, type: /msg NickServ RESETPASS {record.name} {token} <new password>\n\n"
            f"The link works once, for {RESET_MINUTES} minutes. Signing in with a new password ends every "
            "other session. If this was not you, ignore this mail: your password stays as it is."))
        log.info("password reset link sent for account %s (asked from %s)", record.name, address)

    async def reset(self, token: str, password: str, address: str) -> tuple[str, int]:
        """Set a new password with a reset link's token; returns the account and how many sessions
        ended. Wrong or used tokens count as failed logins."""
        name, expires_text, mac = _parts(token)
        self.accounts.refuse_if_throttled(address, name or "-")
        record: Optional[AccountRecord] = None
        if name and expires_text.isdigit() and int(expires_text) >= self.clock():
            try:
                record = await self.accounts.info(name)
            except errors.NoSuchAccount:
                record = None
        if record is None or not hmac.compare_digest(await self._reset_mac(record, int(expires_text)), mac):
            self.accounts.count_failure(address, name or "-")
            raise errors.BadCode(name, "That reset link is wrong, used or expired: ask for a new one")
        ended = await self.accounts.set_password(record.name, password)
        log.info("account %s reset its password by mail link (from %s); %d session(s) ended",
                 record.name, address, ended)
        return record.name, ended


def _parts(token: str) -> tuple[str, str, str]:
    name, _, rest = token.strip().rpartition(".")
    account, _, expires = name.rpartition(".")
    return account, expires, rest
