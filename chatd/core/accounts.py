"""People, not just nicks: accounts, the nicks they own, and proving who one is.

An account is a name (itself a nick the account owns), a password kept only
as a slow salted hash, SCRAM-SHA-256 credentials derived from the same
password, optional TLS certificate fingerprints (SASL EXTERNAL), and more
nicks grouped under it.  The core decides what may happen (who may register
which name, how often someone may guess a password); where records live (SQLite
on one node, Redis shared by a cluster) and how passwords are hashed (a thread,
never the reactor) sit behind :class:`AccountStore` and
:class:`PasswordHasher`, which the core owns and the outside implements.

Failed logins are counted per address and per account name in a sliding
window; past the bound every attempt is refused unseen, with the same answer
as a wrong password, so nobody learns whether an account exists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from typing import Awaitable, Callable, Optional, Protocol, TypeVar

import attrs

from . import errors
from .casemap import casefold
from .throttle import Throttle

T = TypeVar("T")
TOKEN_DAYS = 30
#: One address may fail this many times the per-account allowance, over all accounts, per window.
ADDRESS_FACTOR = 4

log = logging.getLogger("chatd.accounts")
MIN_PASSWORD = 8
MAX_HIGHLIGHTS = 20  # words an account may be notified for besides its nick
MAX_PASSWORD = 300  # bytes: a hash of more is work for an attacker to hand us


@attrs.frozen
class ScramInfo:
    """What a server keeps to check SCRAM-SHA-256 (RFC 5802/7677) without the password."""

    salt: bytes
    stored_key: bytes
    server_key: bytes
    iterations: int


@attrs.frozen
class TokenRecord:
    """One session token an account holds (a signed-in browser): revocable by its id."""

    id: str
    created: float
    expires: float


@attrs.frozen
class AccountRecord:
    name: str  # as registered; also a nick the account owns
    password: str  # the hasher's encoding of a slow salted hash
    scram: Optional[ScramInfo]
    created: float
    email: str = ""
    nicks: tuple[str, ...] = ()  # nicks grouped under the account, besides its name
    certfps: tuple[str, ...] = ()  # lowercase hex SHA-256 of client certificates
    verified_email: str = ""  # the address whose code was entered (reset links go only there)
    always_on: Optional[bool] = None  # stays present while disconnected (None: the server's default)
    highlights: tuple[str, ...] = ()  # words that notify (push) as the account's nick does

    @property
    def email_verified(self) -> bool:
        return bool(self.email) and self.email == self.verified_email

    def owns(self, nick: str) -> bool:
        folded = casefold(nick)
        return folded == casefold(self.name) or folded in {casefold(n) for n in self.nicks}


class AccountStore(Protocol):
    """Where accounts live. Every method returns an awaitable; none blocks the caller."""

    def create(self, record: AccountRecord) -> Awaitable[bool]:
        """Store a new account and claim its name as a nick; False if the name or nick is taken."""

    def get(self, name: str) -> Awaitable[Optional[AccountRecord]]:
        """The account called ``name`` (any case), or None."""

    def nick_owner(self, nick: str) -> Awaitable[Optional[str]]:
        """The account that owns ``nick``, or None."""

    def claim_nick(self, nick: str, account: str) -> Awaitable[bool]:
        """Group ``nick`` under ``account``; False if another account owns it."""

    def release_nick(self, nick: str, account: str) -> Awaitable[bool]:
        """Ungroup ``nick`` from ``account`` (never the account's own name)."""

    def add_certfp(self, account: str, fingerprint: str) -> Awaitable[bool]:
        """Let a client certificate log in to ``account``; False if another account has it."""

    def certfp_owner(self, fingerprint: str) -> Awaitable[Optional[str]]:
        """The account a certificate fingerprint logs in to, or None."""

    def nick_owners(self) -> dict[str, str]:
        """Every owned nick (folded) and its account, read once at start-up."""

    def secret(self) -> Awaitable[bytes]:
        """A random key made once and kept (shared by every node): it signs session tokens."""

    def set_password(self, account: str, password: str, scram: Optional[ScramInfo]) -> Awaitable[bool]:
        """Replace ``account``'s password hash and SCRAM credentials; False if there is no such account."""

    def set_email(self, account: str, email: str) -> Awaitable[bool]:
        """Give ``account`` a new (unverified) address, or none with ""; False if there is no such account."""

    def verify_email(self, account: str, email: str) -> Awaitable[bool]:
        """Mark ``email`` verified for ``account``, if it is still the account's address."""

    def set_highlights(self, account: str, words: tuple[str, ...]) -> Awaitable[bool]:
        """The words that notify ``account`` besides its nick; False if there is no such account."""

    def set_always_on(self, account: str, value: Optional[bool]) -> Awaitable[bool]:
        """Whether ``account`` stays present while disconnected (None: as the server says); False if there
        is no such account."""

    def add_token(self, account: str, token: TokenRecord) -> Awaitable[None]:
        """Remember a token issued to ``account`` (folded): it logs in until revoked or expired."""

    def token_valid(self, account: str, token_id: str) -> Awaitable[bool]:
        """Whether ``account`` (folded) still holds the token ``token_id``."""

    def revoke_tokens(self, account: str, token_id: Optional[str] = None) -> Awaitable[int]:
        """Forget one token of ``account`` (folded), or with None all of them; how many went."""

    def tokens(self, account: str) -> Awaitable[list[TokenRecord]]:
        """The tokens ``account`` (folded) holds, oldest first."""

    #: True when :meth:`nick_owners` is the whole truth and nobody else changes it (one node):
    #: nick ownership is then decided from memory, with no wait.
    complete_index: bool


class PasswordHasher(Protocol):
    def hash(self, password: str) -> Awaitable[tuple[str, ScramInfo]]:
        """A slow salted hash of ``password`` and SCRAM credentials for it (off the event loop)."""

    def verify(self, stored: Optional[str], password: str) -> Awaitable[bool]:
        """Whether ``password`` matches ``stored``; with None it does the same work and says False."""


class Accounts:
    """Registration, login and nick ownership, over a store and a hasher."""

    def __init__(self, store: AccountStore, hasher: PasswordHasher, clock: Callable[[], float],
                 attempts: int = 5, window: float = 60.0) -> None:
        self.store = store
        self.hasher = hasher
        self.clock = clock
        # Failed logins are counted per (account, address) and per address, never per account alone:
        # an attacker's wrong passwords slow the attacker down, and the owner, from their own
        # address, still gets in (a count per account let anyone lock anyone out).
        self.throttle = Throttle(clock, attempts, window)
        self.address_throttle = Throttle(clock, attempts * ADDRESS_FACTOR, window)
        #: Folded nick -> account, for decisions that cannot wait (whose DM history a nick is).
        self.owners: dict[str, str] = dict(store.nick_owners())
        #: Told of each ownership change made here (nick, account or None): a cluster tells every node.
        self.owner_changed: list[Callable[[str, Optional[str]], None]] = []
        self.complete = getattr(store, "complete_index", False)
        self.token_key: Optional[bytes] = None  # the store's token key, once read

    def set_attempts(self, attempts: int) -> None:
        """New login limits (a reload): failures already counted stay counted."""
        self.throttle.attempts = attempts
        self.address_throttle.attempts = attempts * ADDRESS_FACTOR

    @staticmethod
    async def _ask(request: Awaitable[T]) -> T:
        """A store request; a store that cannot be reached (Redis down) is a clear refusal, not a crash."""
        try:
            return await request
        except errors.ChatError:
            raise
        except Exception as error:
            raise errors.AccountsUnavailable("", f"Accounts cannot be reached right now ({error})") from None

    def owner(self, nick: str) -> Optional[str]:
        """The account known to own ``nick`` (from what this node has seen)."""
        return self.owners.get(casefold(nick))

    async def owner_of(self, nick: str) -> Optional[str]:
        """The account that owns ``nick``, asking the store (other nodes may have registered it)."""
        if self.complete:
            return self.owner(nick)
        try:
            owner = await self.store.nick_owner(nick)
        except Exception:
            return self.owner(nick)  # the store is unreachable: chat goes on with what this node knows
        if owner is None:
            self.owners.pop(casefold(nick), None)
        else:
            self.owners[casefold(nick)] = owner
        return owner

    @staticmethod
    def check_password(password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise errors.WeakPassword("")
        if len(password.encode("utf-8")) > MAX_PASSWORD:
            raise errors.WeakPassword("", f"Passwords may have at most {MAX_PASSWORD} bytes")

    async def register(self, name: str, password: str, email: str = "") -> AccountRecord:
        """Create account ``name`` (a valid nick, checked by the session); raises if taken."""
        self.check_password(password)
        if await self.owner_of(name) is not None:
            raise errors.AccountExists(name)
        hashed, scram = await self.hasher.hash(password)
        record = AccountRecord(name, hashed, scram, self.clock(), email)
        if not await self._ask(self.store.create(record)):
            raise errors.AccountExists(name)
        self.learn(name, name, decided_here=True)
        return record

    def _held_back(self, address: str, name: Optional[str]) -> bool:
        """Whether logins from ``address`` (to ``name``; None: a token, counted per address only)
        have failed too often within the window."""
        return not self.address_throttle.allowed(address) or (
            name is not None and not self.throttle.allowed(f"{casefold(name)} {address}"))

    def _check_throttle(self, address: str, name: Optional[str]) -> None:
        if self._held_back(address, name):
            raise errors.BadLogin("", "Too many failed logins: try again later")

    def _failed(self, address: str, name: Optional[str]) -> None:
        self.address_throttle.record(address)
        if name is not None:
            self.throttle.record(f"{casefold(name)} {address}")
        if self._held_back(address, name):
            # What operators want to hear of: someone guessing (the owner elsewhere is unaffected).
            log.warning("logins from %s%s held back after repeated failures", address,
                        f" to account {name}" if name is not None else " with session tokens")

    def refuse_if_throttled(self, address: str, name: Optional[str]) -> None:
        """For other proofs (a verification code, a reset link): refused as a login would be."""
        self._check_throttle(address, name)

    def count_failure(self, address: str, name: Optional[str]) -> None:
        """A wrong code or link counts as a failed login from ``address``."""
        self._failed(address, name)

    async def login(self, name: str, password: str, address: str) -> str:
        """The account's name as registered, if ``password`` is right; raises BadLogin otherwise."""
        self._check_throttle(address, name)
        record = await self._ask(self.store.get(name))
        # An unknown name costs the same hashing as a wrong password.
        if not await self.hasher.verify(record.password if record is not None else None, password):
            self._failed(address, name)
            raise errors.BadLogin("")
        assert record is not None
        return record.name

    async def set_password(self, name: str, password: str) -> int:
        """Give account ``name`` a new password (checked as at registration); every session token
        it has is revoked, so whoever held one signs in again.  How many tokens went."""
        self.check_password(password)
        hashed, scram = await self.hasher.hash(password)
        if not await self._ask(self.store.set_password(name, hashed, scram)):
            raise errors.NoSuchAccount(name)
        return await self.revoke_tokens(name)

    async def scram_info(self, name: str, address: str) -> Optional[tuple[str, ScramInfo]]:
        """SCRAM credentials of ``name`` (None: unknown or throttled; the exchange then fails)."""
        self._check_throttle(address, name)
        record = await self._ask(self.store.get(name))
        if record is None or record.scram is None:
            return None
        return record.name, record.scram

    def scram_failed(self, name: str, address: str) -> None:
        self._failed(address, name)

    async def login_certificate(self, fingerprint: Optional[str], address: str) -> str:
        """The account a client certificate logs in to (SASL EXTERNAL); raises BadLogin."""
        self._check_throttle(address, fingerprint or "-")
        account = await self._ask(self.store.certfp_owner(fingerprint)) if fingerprint else None
        if account is None:
            self._failed(address, fingerprint or "-")
            raise errors.BadLogin("", "No account has this client certificate")
        return account

    async def add_certificate(self, account: str, fingerprint: str) -> None:
        if not await self._ask(self.store.add_certfp(account, fingerprint)):
            raise errors.ChatError("", "Another account already has this certificate")

    async def group(self, account: str, nick: str) -> None:
        """Make ``nick`` one of ``account``'s nicks."""
        owner = await self.owner_of(nick)
        if owner is not None and casefold(owner) != casefold(account):
            raise errors.NickReserved(nick, "Nickname belongs to another account")
        if not await self._ask(self.store.claim_nick(nick, account)):
            raise errors.NickReserved(nick, "Nickname belongs to another account")
        self.learn(nick, account, decided_here=True)

    async def ungroup(self, account: str, nick: str) -> None:
        if casefold(nick) == casefold(account):
            raise errors.ChatError(nick, "An account's own name cannot be ungrouped")
        if not await self._ask(self.store.release_nick(nick, account)):
            raise errors.ChatError(nick, "That nick is not grouped under your account")
        self.learn(nick, None, decided_here=True)

    def learn(self, nick: str, account: Optional[str], decided_here: bool = False) -> None:
        """``nick`` is ``account``'s now (None: nobody's); if ``decided_here``, the cluster is told."""
        self.owners.pop(casefold(nick), None)
        if account is not None:
            self.owners[casefold(nick)] = account
        for tell in self.owner_changed if decided_here else ():
            tell(nick, account)

    async def info(self, name: str) -> AccountRecord:
        record = await self._ask(self.store.get(name))
        if record is None:
            raise errors.NoSuchAccount(name)
        return record

    # -- session tokens: a reload of the web client stays signed in ---------------------------------

    async def set_email(self, name: str, email: str) -> None:
        if not await self._ask(self.store.set_email(name, email)):
            raise errors.NoSuchAccount(name)

    async def verify_email(self, name: str, email: str) -> bool:
        return bool(await self._ask(self.store.verify_email(name, email)))

    async def set_highlights(self, name: str, words: tuple[str, ...]) -> None:
        if len(words) > MAX_HIGHLIGHTS or any(not 2 <= len(word) <= 40 for word in words):
            raise errors.ChatError("", f"At most {MAX_HIGHLIGHTS} words of 2 to 40 characters")
        if not await self._ask(self.store.set_highlights(name, words)):
            raise errors.NoSuchAccount(name)

    async def set_always_on(self, name: str, value: Optional[bool]) -> None:
        if not await self._ask(self.store.set_always_on(name, value)):
            raise errors.NoSuchAccount(name)

    async def signing_key(self) -> bytes:
        """The store's secret key (it signs session tokens, verification codes and reset links)."""
        return await self._token_key()

    async def _token_key(self) -> bytes:
        """The key that signs session tokens: read from the store once, then kept (it never changes)."""
        if self.token_key is None:
            self.token_key = await self._ask(self.store.secret())
        return self.token_key

    async def issue_token(self, account: str) -> tuple[str, str]:
        """A token that logs in to ``account`` until it expires (``TOKEN_DAYS``) or is revoked, signed
        with the store's key; returns it and its id.  The store keeps the id: a token it no longer
        holds logs in nowhere (on every node, since each login asks the store)."""
        now = self.clock()
        expires = int(now) + TOKEN_DAYS * 86400
        token_id = secrets.token_urlsafe(12)
        await self._ask(self.store.add_token(casefold(account), TokenRecord(token_id, now, expires)))
        body = f"{account}:{expires}:{token_id}"
        mac = hmac.new(await self._token_key(), body.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(body.encode("utf-8") + b"|" + mac).decode("ascii"), token_id

    async def login_token(self, token: str, address: str) -> tuple[str, str]:
        """The account a token logs in to, and the token's id; raises BadLogin when it is forged,
        damaged, expired or revoked."""
        self._check_throttle(address, None)
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
            body, mac = raw[:-33], raw[-32:]
            account, expires, token_id = body.decode("utf-8").rsplit(":", 2)
            good = raw[-33:-32] == b"|" and hmac.compare_digest(
                mac, hmac.new(await self._token_key(), body, hashlib.sha256).digest())
            if good and int(expires) > self.clock() and await self._ask(
                    self.store.token_valid(casefold(account), token_id)):
                record = await self._ask(self.store.get(account))
                if record is not None:
                    return record.name, token_id
        except (ValueError, UnicodeError):
            pass
        self._failed(address, None)
        raise errors.BadLogin("", "That session has ended: log in again")

    async def revoke_tokens(self, account: str, token_id: Optional[str] = None) -> int:
        """End one session of ``account`` (by its token's id) or, with None, all of them."""
        return await self._ask(self.store.revoke_tokens(casefold(account), token_id))

    async def sessions(self, account: str) -> list[TokenRecord]:
        """The signed-in sessions (tokens) of ``account`` that have not expired."""
        now = self.clock()
        return [t for t in await self._ask(self.store.tokens(casefold(account))) if t.expires > now]
