"""Server operators: who they are (from the configuration), and what they may do to anyone.

:class:`ServerOperators` is the part of the :class:`~chatd.core.network.Network`
that keeps trolls out of the whole server: KILL (disconnect someone), server
bans (KLINE/UNKLINE: by address mask or ``a:account``, with a reason and an
optional expiry, kept in the ban store and shared with other nodes), and
WALLOPS.  Operators are named in the TOML file (``[[operators]]``) with a
password hash and, optionally, a certificate fingerprint and an account
that must also match; OPER gives user mode ``+o``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterable, Optional, Protocol

import attrs

from . import errors
from .casemap import casefold
from .delivery import fan_out
from .events import Wallops
from .moderation import ServerBan, matches, normalise, well_formed
from .publisher import is_remote

if TYPE_CHECKING:
    from .accounts import Accounts
    from .events import Identity
    from .publisher import Publisher
    from .users import User


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
    # Provided by the Network.
    users: dict[str, User]
    clock: Callable[[], float]
    accounts: Optional[Accounts]
    publisher: Publisher

    def find_user(self, nick: str) -> Optional[User]:
        raise NotImplementedError

    def init_operators(self) -> None:
        self.operators: dict[str, OperatorRecord] = {}
        self.server_bans: dict[str, ServerBan] = {}  # folded mask -> ban
        self.ban_store: Optional[BanStore] = None

    def configure_operators(self, operators: Iterable[OperatorRecord], store: Optional[BanStore]) -> None:
        self.operators = {op.name: op for op in operators}
        self.ban_store = store
        if store is not None:
            for ban in store.load_bans():
                self.server_bans[casefold(ban.mask)] = ban

    # -- who is an operator -----------------------------------------------------------------

    async def oper_up(self, user: User, name: str, password: str, certfp: Optional[str]) -> OperatorRecord:
        """``user`` proves to be operator ``name``; they get user mode +o.  Raises BadLogin."""
        record = self.operators.get(name)
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
        now = self.clock()
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
        now = self.clock()
        ban = ServerBan(mask, reason or "Banned", by.nick, now, now + seconds if seconds else None)
        self.apply_server_ban(ban)
        if self.ban_store is not None:
            self.ban_store.save_ban(ban)
        self.publisher.server_ban(ban, True)
        return ban, self.enforce_server_ban(ban)

    def apply_server_ban(self, ban: ServerBan) -> None:
        self.server_bans[casefold(ban.mask)] = ban

    def enforce_server_ban(self, ban: ServerBan) -> int:
        """Disconnect this node's users the ban matches."""
        hit = [u for u in self.users.values() if not is_remote(u) and "o" not in u.modes
               and matches(ban.mask, u.identity, u.account, u.address)]
        for user in hit:
            user.client.disconnect(f"Banned: {ban.reason}")
        return len(hit)

    def remove_server_ban(self, by: User, mask: str) -> ServerBan:
        self.require_oper(by)
        ban = self.server_bans.pop(casefold(normalise(mask)), None)
        if ban is None:
            raise errors.ChatError(mask, "No such server ban")
        if self.ban_store is not None:
            self.ban_store.remove_ban(ban.mask)
        self.publisher.server_ban(ban, False)
        return ban

    def lift_server_ban(self, mask: str) -> None:
        self.server_bans.pop(casefold(mask), None)

    # -- acting on people ----------------------------------------------------------------------

    def kill(self, by: User, nick: str, reason: str) -> User:
        self.require_oper(by)
        victim = self.find_user(nick)
        if victim is None:
            raise errors.NoSuchNick(nick)
        self.kill_here(victim, f"Killed ({by.nick} ({reason or 'no reason'}))")
        return victim

    def kill_here(self, victim: User, reason: str) -> None:
        """Disconnect ``victim`` if this node holds them, else ask their node to."""
        if is_remote(victim):
            self.publisher.kill(victim, reason)
        else:
            victim.client.disconnect(reason)

    def wallops(self, by: User, text: str) -> int:
        self.require_oper(by)
        return self.show_wallops(by.identity, text) + (self.publisher.wallops(by, text) or 0)

    def show_wallops(self, by: Identity, text: str) -> int:
        """Everyone here with user mode +w (and every operator) sees the message."""
        readers = [u for u in self.users.values() if "w" in u.modes or "o" in u.modes]
        return fan_out(Wallops(self.clock(), by, text), readers)
