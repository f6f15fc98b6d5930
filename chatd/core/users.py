"""A person connected to the network, whatever protocol they came in by."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import attrs

from .casemap import casefold
from .events import Identity

if TYPE_CHECKING:
    from .delivery import Client
    from .rooms import Room


@attrs.define(eq=False)
class User:
    client: Client
    nick: str
    user: str
    host: str
    realname: str
    protocol: str
    signon: float
    last_active: float
    away: Optional[str] = None
    rooms: dict[str, Room] = attrs.field(factory=dict)  # folded name -> room
    #: User modes: "i" invisible (WHO and NAMES hide you from strangers), "w" wallops, "B" bot.
    #: A frozenset, replaced on change: most users have none, and share the one empty frozenset.
    modes: frozenset[str] = frozenset()
    #: The account this user is logged in to (None: a guest, known by nick only).
    account: Optional[str] = None
    #: Where this connection really comes from, when ``host`` is its cloak (core/cloaks.py):
    #: for bans, per-address limits and operators' eyes only; never part of ``identity``.
    address: str = ""
    identity: Identity = attrs.field(init=False)
    #: Who a guest is for this connection only: history and read markers of a guest never pass
    #: to the next holder of the nick.
    guest: str = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.guest = f"g:{self.signon:.6f}:{casefold(self.nick)}"
        self._refresh_identity()

    def _refresh_identity(self) -> None:
        self.identity = Identity(self.nick, self.user, self.host, self.realname, self.protocol, "B" in self.modes,
                                 self.account)

    @property
    def folded(self) -> str:
        return casefold(self.nick)

    @property
    def person(self) -> str:
        """Who this is across connections and over time: the account, or a guest's own connection."""
        return "a:" + casefold(self.account) if self.account else self.guest

    def set_account(self, account: Optional[str]) -> None:
        self.account = account
        self._refresh_identity()

    def rename(self, nick: str) -> None:
        self.nick = nick
        self._refresh_identity()

    def set_modes(self, modes: set[str] | frozenset[str]) -> None:
        self.modes = frozenset(modes)
        self._refresh_identity()

    def set_realname(self, realname: str) -> None:
        self.realname = realname
        self._refresh_identity()

    def update(self, identity: Identity) -> None:
        """Take over what another node says about this user (same nick)."""
        self.user, self.host, self.realname, self.protocol = (
            identity.user, identity.host, identity.realname, identity.protocol)
        self._refresh_identity()
