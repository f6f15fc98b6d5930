"""The people behind API posts and webhooks: one bot user per nick, kept on the network.

A post over HTTP has to come from someone, as every protocol shows it: IRC
clients see ``:ci-bot!ci@api PRIVMSG #ops :deploy finished``, the web client
a message with the bot badge (user mode ``+B``).  So each nick a key posts as
is a real user of the network, with a :class:`~chatd.core.session.Session`
like anybody's: it claims its nick (a person's or an account's nick is refused),
joins the room it posts to (bans, ``+i``, ``+k`` and ``+m`` hold for it), and
stays, as a bot in a channel does, until it has been idle for ``idle``
seconds or its key is revoked.  What others send to it is dropped: its
:class:`BotClient` renders nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Hashable, Optional

from ..core import errors
from ..core.casemap import casefold
from ..core.limits import ROOM_PREFIXES
from ..core.session import Session

if TYPE_CHECKING:
    from ..core.events import Event
    from ..core.network import Network
    from .store import KeyStore

HOST = "api"


class BotClient:
    """A connection that is nowhere: what the network sends it costs one skipped encode."""

    format_key: Hashable = ("api",)
    echo_messages = False
    immediate = False
    behind = False
    node = None

    def __init__(self, on_gone: Callable[[], None]) -> None:
        self.on_gone = on_gone

    def encode(self, event: Event) -> Optional[object]:
        return None

    def deliver(self, payload: object) -> None:
        pass

    def combine(self, payloads: list[object]) -> object:
        return b""

    def disconnect(self, reason: str) -> None:
        self.on_gone()  # KILLed, or the network dropped it

    def hold_input(self, hold: bool) -> None:
        pass

    def show_room(self, name: str, joined: bool) -> None:
        pass  # a bot is one connection: it is never attached to


class Bot:
    __slots__ = ("session", "owner", "last_used")

    def __init__(self, session: Session, owner: str, last_used: float) -> None:
        self.session = session
        self.owner = owner  # the key (or hook) that brought it
        self.last_used = last_used


class Bots:
    def __init__(self, network: Network, idle: float = 3600.0) -> None:
        self.network = network
        self.idle = idle
        self.bots: dict[str, Bot] = {}

    async def session(self, nick: str, owner: str, realname: str) -> Session:
        """The bot ``nick`` of ``owner`` (a key's or hook's name), connected now if it was not."""
        folded = casefold(nick)
        bot = self.bots.get(folded)
        if bot is not None and bot.session.user is not None:
            if bot.owner != owner:
                raise errors.NickInUse(nick, "Another key posts as this nick")
            bot.last_used = self.network.clock()
            return bot.session
        session = Session(self.network, BotClient(lambda: self._gone(folded)), "api", HOST)
        user = await session.register(nick, owner[:20] or "api", realname, grace=False)
        if user is None:
            raise errors.NickInUse(nick)
        session.set_user_modes({"B"})
        self.bots[folded] = Bot(session, owner, self.network.clock())
        return session

    async def in_room(self, nick: str, owner: str, realname: str, room: str) -> Session:
        """The bot, a member of ``room`` (which must exist: the API creates no rooms)."""
        if room[:1] not in ROOM_PREFIXES or self.network.find_room(room) is None:
            raise errors.NoSuchRoom(room)
        session = await self.session(nick, owner, realname)
        user = session.me()
        if casefold(room) not in user.rooms:
            session.join(room)
        return session

    async def moderator(self, nick: str, owner: str, realname: str, room: str) -> Session:
        """The bot, an operator of ``room``: a key with the moderate scope acts there as one."""
        session = await self.in_room(nick, owner, realname, room)
        found = self.network.find_room(room)
        if found is not None and not found.is_op(session.me()):
            self.network.room_rules.take_status(session.me(), room)
        return session

    async def operator(self, nick: str, owner: str, realname: str) -> Session:
        """The bot, a server operator (user mode +o): a key with the admin scope, for server bans."""
        session = await self.session(nick, owner, realname)
        user = session.me()
        if "o" not in user.modes:
            self.network.people.set_user_modes(user, user.modes | {"o"})
        return session

    def _gone(self, folded: str) -> None:
        bot = self.bots.pop(folded, None)
        if bot is not None:
            bot.session.quit("Killed")

    def sweep(self) -> None:
        """Bots idle for longer than ``idle`` leave; they come back with their next post."""
        cutoff = self.network.clock() - self.idle
        for folded, bot in list(self.bots.items()):
            if bot.last_used < cutoff or bot.session.user is None:
                del self.bots[folded]
                bot.session.quit("Idle")

    async def prune(self, store: KeyStore) -> None:
        """Bots whose key, hook or webhook is gone leave (a revoked key's bot does not linger)."""
        owners = {record.name for record in await store.keys()}
        owners |= {"hook:" + hook.id for hook in await store.hooks()}
        owners |= {sub.owner for sub in await store.subscriptions()}
        for folded, bot in list(self.bots.items()):
            if bot.owner not in owners and self.bots.get(folded) is bot:
                del self.bots[folded]
                bot.session.quit("Its key was revoked")
