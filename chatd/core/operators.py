"""Server operators: who they are (from the configuration), and what they may do to anyone.

:class:`ServerOperators` holds the rules that keep trolls out of the whole server: KILL (disconnect someone), server
bans (KLINE/UNKLINE: by address mask or ``a:account``, with a reason and an
optional expiry, kept in the ban store and shared with other nodes), and
WALLOPS.  Operators are named in the TOML file (``[[operators]]``) with a
password hash and, optionally, a certificate fingerprint and an account
that must also match; OPER gives user mode ``+o``.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Iterable, Optional, Protocol

import attrs

from . import errors
from .accounts import Accounts
from .casemap import casefold
from .directory import Directory, User
from .events import Identity, Killed, Record, ServerBan, ServerBanChanged, Wallops
from .moderation import matches, normalise, well_formed


@attrs.frozen
class OperatorRecord:
    name: str
    password: str  # a $scrypt$ hash (chatd-passwd prints one)
    certfp: Optional[str] = None  # also required when set
    account: Optional[str] = None  # also required when set


class BanStore(Protocol):
    def save_ban(self, ban: ServerBan) -> Awaitable[Any]: ...
    def remove_ban(self, mask: str) -> Awaitable[Any]: ...
    def load_bans(self) -> Iterable[ServerBan]: ...


class ServerOperators:
    def __init__(self, directory: Directory, accounts: Optional[Accounts], commit: Callable[[Record], Any]) -> None:
        self.directory = directory
        self.accounts = accounts
        self.commit = commit
        self.configured: dict[str, OperatorRecord] = {}  # name -> operator ([[operators]])
        self.server_bans: dict[str, ServerBan] = {}  # folded mask -> ban
        self.ban_store: Optional[BanStore] = None

    def configure_operators(self, operators: Iterable[OperatorRecord], store: Optional[BanStore]) -> None:
        self.configured = {op.name: op for op in operators}
        self.ban_store = store
        if store is not None:
            for ban in store.load_bans():
                self.remember_ban(ban)

    # -- who is an operator -----------------------------------------------------------------

    async def oper_up(self, user: User, name: str, password: str, certfp: Optional[str]) -> OperatorRecord:
        """``user`` proves to be operator ``name``; they get user mode +o.  Raises BadLogin."""
        record = self.configured.get(name)
        hasher = self.accounts.hasher if self.accounts is not None else None
        if hasher is None:
            raise errors.BadLogin("", "Operators are not configured")
        right = await hasher.verify(record.password if record is not None else None, password)
        if record is None or not right:
            raise errors.BadLogin("", "Password incorrect")
        if record.certfp and (certfp or "").lower() != record.certfp.lower():
            raise errors.BadLogin("", "Your client certificate is not this operator's")
        if record.account and casefold(user.account or "") != casefold(record.account):
            raise errors.BadLogin("", "Log in to this operator's account first")
        return record

    @staticmethod
    def require_oper(user: User) -> None:
        if "o" not in user.modes:
            raise errors.NotServerOperator("")

    # -- server bans -------------------------------------------------------------------------

    def server_ban_for(self, who: Identity, account: Optional[str], address: str = "") -> Optional[ServerBan]:
        now = self.directory.clock()
        for key, ban in list(self.server_bans.items()):
            if not ban.active(now):
                del self.server_bans[key]
                continue
            if matches(ban.mask, who, account, address):
                return ban
        return None

    def add_server_ban(self, by: User, mask: str, seconds: Optional[float], reason: str) -> tuple[ServerBan, int]:
        """Ban ``mask`` from the server; everyone it matches now is disconnected.  Returns the ban
        and how many were disconnected here."""
        self.require_oper(by)
        mask = normalise(mask)
        if mask.startswith("m:"):
            raise errors.ChatError(mask, "A server ban cannot be a mute")
        if not well_formed(mask):
            raise errors.ChatError(mask, "A ban mask is nick!user@host (globs allowed) or a:account")
        now = self.directory.clock()
        ban = ServerBan(mask, reason or "Banned", by.nick, now, now + seconds if seconds else None)
        if self.ban_store is not None:
            self.ban_store.save_ban(ban)
        hit: int = self.commit(ServerBanChanged(now, ban, True))
        return ban, hit

    def remember_ban(self, ban: ServerBan) -> None:
        """A ban known from the store (or another node's list) before anyone here could break it."""
        self.server_bans[casefold(ban.mask)] = ban

    def remove_server_ban(self, by: User, mask: str) -> ServerBan:
        self.require_oper(by)
        ban = self.server_bans.get(casefold(normalise(mask)))
        if ban is None:
            raise errors.ChatError(mask, "No such server ban")
        if self.ban_store is not None:
            self.ban_store.remove_ban(ban.mask)
        self.commit(ServerBanChanged(self.directory.clock(), ban, False))
        return ban

    # -- acting on people ----------------------------------------------------------------------

    def kill(self, by: User, nick: str, reason: str) -> User:
        self.require_oper(by)
        victim = self.directory.find_user(nick)
        if victim is None:
            raise errors.NoSuchNick(nick)
        # Wherever they are connected, their node disconnects them (changes.py).
        self.commit(Killed(self.directory.clock(), by.identity, victim.nick,
                           f"Killed ({by.nick} ({reason or 'no reason'}))"))
        return victim

    def wallops(self, by: User, text: str) -> int:
        """Everyone with user mode +w (and every operator) sees ``text``; how many did here."""
        self.require_oper(by)
        reached: int = self.commit(Wallops(self.directory.clock(), by.identity, text))
        return reached
