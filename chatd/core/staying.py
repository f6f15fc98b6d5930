"""An always-on person as data: what is kept to bring them back, and bringing them back.

People who stay while disconnected (:meth:`~.people.People.stay`) must outlive more than a
connection: a restart of the daemon, and on a cluster the node that held them (another node
takes them over).  :func:`entry` is what is kept of one (account, nick, rooms, away), as plain
JSON-able data; :func:`restore` puts such a person back, present and away, in the rooms that still
let them in.  Where entries are kept is the caller's business (a file on one node, Redis on a
cluster: ``chatd.alwayson``, ``chatd.cluster.alwayson``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from . import errors
from .casemap import casefold
from .devices import Absent

if TYPE_CHECKING:
    from .directory import User
    from .network import Network


def entry(user: User) -> dict[str, Any]:
    """What is kept of ``user`` to bring them back."""
    return {"account": user.account, "nick": user.nick, "user": user.user, "host": user.host,
            "realname": user.realname, "protocol": user.protocol, "address": user.address, "away": user.away,
            "auto_away": user.auto_away, "rooms": sorted(room.name for room in user.rooms.values()),
            "highlights": list(user.highlights)}


def kept(network: Network) -> list[dict[str, Any]]:
    """Everyone this node holds who stays while disconnected (connected now or not); another node's
    people have no ``origin`` here, and are kept by their node."""
    return [entry(u) for u in network.users.values() if u.keep and u.account and u.origin]


async def restore(network: Network, kept_entry: dict[str, Any]) -> tuple[Optional[User], list[str]]:
    """Bring a kept person back (present, absent, away) unless they are here already: the user (or
    None), and the rooms that did not let them back in, with why.  Raises
    :class:`~.errors.ChatError` if their nick is no longer theirs or is taken."""
    people, accounts = network.people, network.accounts
    account, nick = str(kept_entry["account"]), str(kept_entry["nick"])
    here = network.find_user(nick)
    if here is not None and here.account is not None and casefold(here.account) == casefold(account):
        return None, []  # never left (a re-sync), or back already
    owner = accounts.owner(nick) if accounts is not None else None
    if owner is None or casefold(owner) != casefold(account):
        raise errors.ChatError(nick, "the nick is no longer the account's")
    await people.claim_nick(nick)
    if not network.directory.nick_available(nick):  # taken while the claim was on its way
        people.release_nick(nick)
        raise errors.NickInUse(nick)
    user = people.connect(Absent(lambda reason: None), nick, str(kept_entry["user"]), str(kept_entry["host"]),
                          str(kept_entry["realname"]), str(kept_entry["protocol"]), account,
                          str(kept_entry["address"]), "absent")
    user.keep = True
    words = kept_entry.get("highlights")
    user.highlights = tuple(str(word) for word in words) if isinstance(words, list) else ()
    people.stay(user)
    away = kept_entry.get("away")
    if isinstance(away, str) and not kept_entry.get("auto_away"):
        people.set_away(user, away)
    rooms, refused = kept_entry.get("rooms"), []
    for name in rooms if isinstance(rooms, list) else []:
        room = network.find_room(str(name))
        try:
            network.room_rules.join(user, str(name), room.key if room is not None else None)
        except errors.ChatError as error:
            refused.append(f"{name}: {error.describe()}")
    return user, refused
