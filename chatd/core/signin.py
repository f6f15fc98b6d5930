"""The part of a :class:`~chatd.core.session.Session` that deals with who a person is.

Registering an account, logging in (password, SCRAM or a client
certificate, see :mod:`.sasl`), logging out, grouping nicks, and the rule
that a registered nick belongs to its account: someone else asking for it
gets ``nick_reserved``; a guest who connects with it keeps it for
``Limits.nick_grace`` seconds to log in, then is renamed.

:class:`SignIn` is a session's collaborator (``session.sign_in``): it reads
and sets who the session is (its account, token, grace period) on the
session it serves, through the small :class:`Holder` interface.
"""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING, Any, Optional, Protocol

from . import errors, staying, text
from .casemap import casefold
from .limits import SERVICE_NICKS
from .recovery import valid_email

if TYPE_CHECKING:
    from .accounts import AccountRecord, Accounts, TokenRecord
    from .directory import User
    from .network import Network
    from .recovery import Recovery


#: A device's name, as a login may give it after the account's (``alice@phone``).
DEVICE = re.compile(r"[A-Za-z0-9_-]{1,32}")


class Holder(Protocol):
    """What sign-in reads and sets of the session it serves."""

    network: Network
    address: str
    user: Optional[User]
    account: Optional[str]
    certfp: Optional[str]
    grace: Any
    closed: bool
    token_id: Optional[str]
    device: str

    def me(self) -> User: ...
    def valid_nick(self, nick: str) -> str: ...


class SignIn:
    __slots__ = ("session",)  # one per connection: kept small

    def __init__(self, session: Holder) -> None:
        self.session = session

    @property
    def network(self) -> Network:
        return self.session.network

    def _accounts(self) -> Accounts:
        if self.network.accounts is None:
            raise errors.AccountsUnavailable("")
        return self.network.accounts

    # -- becoming someone ------------------------------------------------------------------

    async def register_account(self, name: Optional[str], password: str, email: str = "") -> str:
        """Create an account (``name`` None: one's current nick) and log in to it."""
        if self.session.account is not None:
            raise errors.ChatError("", f"You are already logged in as {self.session.account}")
        name = name or (self.session.user.nick if self.session.user is not None else None)
        if not name:
            raise errors.BadNick("", "Name the account to create (or pick your nick first)")
        name = self.session.valid_nick(name)
        if casefold(name) in SERVICE_NICKS:
            raise errors.ServiceNick(name)  # an account owns its name as a nick
        email = valid_email(email) if email else ""
        await self._accounts().register(name, password, email)
        self.logged_in(name)
        await self.settle_always_on()
        if email and self.network.recovery is not None:
            await self.network.recovery.send_verification(name)  # handed to the mailer, not awaited
        return name

    async def login(self, name: str, password: str) -> str:
        """Log in with a password; raises BadLogin (never saying whether the account exists).
        ``name`` may name this connection's device too: ``alice@phone`` (what it missed is kept per device)."""
        name = self.name_device(name)
        account = await self._accounts().login(name, password, self.session.address)
        self.logged_in(account)
        await self.settle_always_on()
        return account

    def name_device(self, name: str) -> str:
        """``alice@phone``: the account's name, with ``phone`` kept as this connection's device."""
        name, at, device = name.partition("@")
        if at:
            if not DEVICE.fullmatch(device):
                raise errors.BadLogin("", "A device name is 1 to 32 letters, digits, '-' or '_'")
            self.session.device = device.lower()
        return name

    async def login_certificate(self) -> str:
        """Log in with the TLS client certificate this connection presented (SASL EXTERNAL)."""
        account = await self._accounts().login_certificate(self.session.certfp, self.session.address)
        self.logged_in(account)
        await self.settle_always_on()
        return account

    async def login_token(self, token: str) -> str:
        """Log in with a session token from :meth:`issue_token` (a web client's reload)."""
        account, token_id = await self._accounts().login_token(token, self.session.address)
        self.logged_in(account)
        self.session.token_id = token_id
        await self.settle_always_on()
        return account

    async def issue_token(self) -> str:
        """A token that logs this account in again later without the password, until revoked."""
        if self.session.account is None:
            raise errors.NotLoggedIn("")
        token, self.session.token_id = await self._accounts().issue_token(self.session.account)
        return token

    async def sign_out(self, everywhere: bool = False) -> int:
        """Log out and revoke this connection's token (``everywhere``: every token of the account);
        returns how many tokens were revoked."""
        if self.session.account is None:
            raise errors.NotLoggedIn("")
        account, token_id = self.session.account, self.session.token_id
        revoked = 0
        if everywhere or token_id is not None:
            revoked = await self._accounts().revoke_tokens(account, None if everywhere else token_id)
        if self.session.account == account:
            self.logout()
        return revoked

    async def change_password(self, current: str, new: str) -> int:
        """A new password for this session's account, given the current one (throttled as a login
        is); every session token of the account is revoked, this connection's own too.  Returns
        how many were."""
        if self.session.account is None:
            raise errors.NotLoggedIn("")
        account = self.session.account
        await self._accounts().login(account, current, self.session.address)
        revoked = await self._accounts().set_password(account, new)
        self.session.token_id = None
        return revoked

    # -- e-mail: a verified address, and a way back in by a reset link -----------------------

    def _recovery(self) -> Recovery:
        if self.network.recovery is None:
            raise errors.NoMail("")
        return self.network.recovery

    @property
    def sends_mail(self) -> bool:
        return self.network.recovery is not None

    async def verify_email(self, name: str, code: str) -> str:
        """Enter the code mailed to ``name``'s address (no login needed: the code is the proof)."""
        return await self._recovery().verify(self.session.valid_nick(name), code, self.session.address)

    async def set_email(self, email: str) -> str:
        """A new address for this session's account ("" removes it); a code goes to it."""
        if self.session.account is None:
            raise errors.NotLoggedIn("")
        return await self._recovery().set_email(self.session.account, email)

    async def request_password_reset(self, name: str) -> None:
        """Ask for a reset link to ``name``'s verified address; answered alike whoever asks."""
        await self._recovery().request_reset(self.session.valid_nick(name), self.session.address)

    async def reset_password(self, token: str, password: str) -> str:
        """Choose a new password with a reset link's token, and log in with it; every session
        token of the account is revoked."""
        account, _ended = await self._recovery().reset(token, password, self.session.address)
        if self.session.account is None:
            self.logged_in(account)
        return account

    async def sessions(self) -> list[TokenRecord]:
        """The account's signed-in sessions (tokens), so a person can see and end them."""
        if self.session.account is None:
            raise errors.NotLoggedIn("")
        return await self._accounts().sessions(self.session.account)

    async def end_session(self, token_id: str) -> None:
        """End one of the account's sessions by its id; its token logs in nowhere from now on."""
        if self.session.account is None:
            raise errors.NotLoggedIn("")
        if not await self._accounts().revoke_tokens(self.session.account, token_id):
            raise errors.ChatError("", "No such session")

    def logged_in(self, account: str) -> None:
        """Proof was given (a password, SCRAM, a certificate): this session is ``account`` now."""
        if self.session.closed:
            return
        self.session.account = account
        if self.session.user is not None:
            self.network.people.set_account(self.session.user, account)
            self.network.people.set_host(self.session.user, self.network.cloaks.host(self.session.address, account))
            if self.owner_is_me(self.session.user.nick):
                self.end_grace()

    def logout(self) -> None:
        if self.session.account is None:
            raise errors.NotLoggedIn("")
        self.session.account = None
        self.session.token_id = None
        if self.session.user is not None:
            self.session.user.keep = False  # a guest never stays once disconnected
            self.network.people.set_account(self.session.user, None)
            self.network.people.set_host(self.session.user, self.network.cloaks.host(self.session.address, None))
            if not self.owner_is_me(self.session.user.nick):  # a guest now, on an account's nick
                self.start_grace()

    # -- always-on -----------------------------------------------------------------------------------

    async def settle_always_on(self) -> None:
        """Whether this person stays present once disconnected: the account's own choice, else the
        server's (``--always-on``); never for a guest."""
        user, account, people = self.session.user, self.session.account, self.network.people
        if user is None or account is None:
            return
        try:
            record = await self._accounts().info(account)
            choice, words = record.always_on, record.highlights
        except errors.ChatError:
            choice, words = None, user.highlights  # the store cannot say now: the server's default
        if self.session.user is user:
            user.keep = people.always_on if choice is None else choice
            user.highlights = words

    async def set_highlights(self, words: list[str]) -> tuple[str, ...]:
        """The words that notify this account besides its nick (none: only the nick)."""
        if self.session.account is None:
            raise errors.NotLoggedIn("")
        chosen = tuple(dict.fromkeys(w for w in (text.line(word, "word", 41).strip() for word in words) if w))
        await self._accounts().set_highlights(self.session.account, chosen)
        if self.session.user is not None:
            self.session.user.highlights = chosen
        return chosen

    async def set_always_on(self, value: Optional[bool]) -> bool:
        """The account's own choice (None: the server's default); returns whether it is on now."""
        if self.session.account is None:
            raise errors.NotLoggedIn("")
        await self._accounts().set_always_on(self.session.account, value)
        await self.settle_always_on()
        return self.session.user is not None and self.session.user.keep

    async def take_over(self, nick: str) -> None:
        """The person is held by another node of a cluster (always on, away): bring them here, so
        that this connection becomes theirs as on one node."""
        holder, account = self.network.find_user(nick), self.session.account
        if holder is None or account is None or holder.account is None \
                or casefold(holder.account) != casefold(account):
            return
        kept = await self.network.publisher.take_over(holder, account)
        if kept is not None:
            await staying.restore(self.network, kept)

    # -- nicks that belong to accounts -----------------------------------------------------------

    def owner_is_me(self, nick: str) -> bool:
        owner = self.network.accounts.owner(nick) if self.network.accounts is not None else None
        return owner is None or casefold(owner) == casefold(self.session.account or "")

    async def check_nick_owner(self, nick: str, connecting: bool) -> bool:
        """May this session use ``nick``?  True: only for a grace period (a guest connecting with it)."""
        accounts = self.network.accounts
        if accounts is None:
            return False
        owner = await accounts.owner_of(nick)
        if owner is None or casefold(owner) == casefold(self.session.account or ""):
            return False
        if connecting and self.network.limits.nick_grace > 0 and self.network.schedule is not None:
            return True
        raise errors.NickReserved(nick)

    def start_grace(self) -> None:
        self.end_grace()
        schedule = self.network.schedule
        if schedule is None:
            return
        self.session.grace = schedule(self.network.limits.nick_grace, self._grace_over)

    def end_grace(self) -> None:
        if self.session.grace is not None:
            if self.session.grace.active():
                self.session.grace.cancel()
            self.session.grace = None

    def _grace_over(self) -> None:
        """The guest did not log in: they leave the account's nick for a guest one."""
        self.session.grace = None
        user = self.session.user
        if user is None or self.session.closed or self.owner_is_me(user.nick):
            return
        for _ in range(20):
            guest = f"Guest{random.randrange(10**5):05d}"
            if self.network.directory.nick_available(guest):
                self.network.people.change_nick(user, guest)
                return

    async def group_nick(self, nick: Optional[str] = None) -> str:
        """Make ``nick`` (default: the current one) one of this account's nicks."""
        if self.session.account is None:
            raise errors.NotLoggedIn("")
        nick = self.session.valid_nick(nick or self.session.me().nick)
        await self._accounts().group(self.session.account, nick)
        return nick

    async def ungroup_nick(self, nick: str) -> None:
        if self.session.account is None:
            raise errors.NotLoggedIn("")
        await self._accounts().ungroup(self.session.account, self.session.valid_nick(nick))

    async def add_certificate(self, fingerprint: Optional[str] = None) -> str:
        """Let a certificate (default: this connection's) log in to this account."""
        if self.session.account is None:
            raise errors.NotLoggedIn("")
        fingerprint = (fingerprint or self.session.certfp or "").lower()
        if len(fingerprint) != 64 or any(c not in "0123456789abcdef" for c in fingerprint):
            raise errors.ChatError("", "That is not a SHA-256 certificate fingerprint")
        await self._accounts().add_certificate(self.session.account, fingerprint)
        return fingerprint

    async def account_info(self, name: Optional[str] = None) -> AccountRecord:
        """An account's public record (one's own by default): name, registered, nicks."""
        name = name or self.session.account
        if name is None:
            raise errors.NotLoggedIn("")
        return await self._accounts().info(self.session.valid_nick(name))
