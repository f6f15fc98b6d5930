"""A room's hooks as its operators manage them from a chat client (``/msg ChanServ HOOK``).

The operator of the daemon makes hooks with ``python -m chatd.apikey`` and a
moderate key's holder over the API; a room's own operators, logged in to an
account, make them for their room here.  Incoming hooks and outgoing webhooks
are the same records in the same store either way, so each lists, and may
remove, the others'.  A new hook's URL or webhook's signing secret is told once,
to the one who made it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

from ..core.casemap import casefold
from .hooks import new_hook
from .store import HookRecord, KeyStore
from .subscriptions import CONFIG, Subscription, new_subscription

if TYPE_CHECKING:
    from .outgoing import Outgoing


class RoomHooks:
    def __init__(self, store: KeyStore, outgoing: Optional[Outgoing], base: Callable[[], str]) -> None:
        self.store = store
        self.outgoing = outgoing
        self.base = base  # what hook URLs start with (chatd.api.hooks.url_base), once the port is bound

    async def add_hook(self, room: str, nick: str, by: str) -> tuple[HookRecord, str]:
        """A new incoming hook for ``room``, and its secret URL."""
        hook, secret = new_hook(room, nick, by)
        await self.store.add_hook(hook)
        return hook, f"{self.base()}/hooks/{hook.id}/{secret}"

    async def add_webhook(self, room: str, nick: str, url: str, triggers: list[str], by: str) -> Subscription:
        """A new outgoing webhook (a ValueError says what is wrong with it)."""
        sub = new_subscription(room, url, ("message", "mention"), triggers, nick, by)
        await self.store.add_subscription(sub)
        if self.outgoing is not None:
            self.outgoing.added(sub)
        return sub

    async def listing(self, room: str) -> list[str]:
        """One line per hook and webhook of ``room``."""
        lines = [f"{hook.id}  hook as {hook.name}, made by {hook.created_by}"
                 for hook in await self.store.hooks() if casefold(hook.room) == casefold(room)]
        for sub in await self.store.subscriptions():
            if casefold(sub.room) == casefold(room):
                which = f"messages starting with {' '.join(sub.triggers)}" if sub.triggers else "messages"
                lines.append(f"{sub.id}  webhook {sub.nick}: {', '.join(sub.events)} ({which}) to {sub.url}, "
                             f"made by {sub.created_by}")
        return lines

    async def remove(self, room: str, item_id: str) -> bool:
        """Remove ``room``'s hook or webhook ``item_id`` (False: the room has none by that id)."""
        hook = await self.store.find_hook(item_id)
        if hook is not None and casefold(hook.room) == casefold(room):
            return await self.store.remove_hook(item_id)
        sub = next((s for s in await self.store.subscriptions() if s.id == item_id), None)
        if sub is None or casefold(sub.room) != casefold(room):
            return False
        if sub.created_by == CONFIG:
            raise ValueError(f"Webhook {item_id} is in the server's config file: its operator removes it there")
        await self.store.remove_subscription(item_id)
        if self.outgoing is not None:
            self.outgoing.removed(item_id)
        return True

