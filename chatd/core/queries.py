"""What people may see of rooms and of each other, with the visibility rules applied once.

IRC (LIST, NAMES, WHO, WHOIS), telnet (/list, /names) and the web (``list``,
``names``, ``whois``) each render these answers; none of them decides who
may see what.  A secret room (``+s``) is seen by its members only: to anyone
else it is not listed, its members are not shown and nobody's WHOIS names
it, as if it did not exist.  An invisible person (``+i``) is found by a WHO
only by themselves and by people who share a room with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Optional

if TYPE_CHECKING:
    from .directory import Room, User


def can_see(room: Room, viewer: Optional[User]) -> bool:
    """Whether ``viewer`` may know of ``room`` (its name, topic, size and members)."""
    return "s" not in room.flags or (viewer is not None and viewer in room.members)


def listed_rooms(rooms: Iterable[Room], viewer: Optional[User]) -> list[Room]:
    """The rooms ``viewer`` may see, the fullest first, then by name."""
    return sorted((room for room in rooms if can_see(room, viewer)), key=lambda r: (-len(r.members), r.name))


def visible_members(room: Room, viewer: Optional[User]) -> Optional[list[User]]:
    """``room``'s members in join order, or None where ``viewer`` may not see the room."""
    return list(room.members) if can_see(room, viewer) else None


def can_find(user: User, viewer: Optional[User]) -> bool:
    """Whether a WHO by ``viewer`` may list ``user``: not invisible (+i), or sharing a room."""
    if "i" not in user.modes or user is viewer:
        return True
    return viewer is not None and any(viewer in room.members for room in user.rooms.values())


def rooms_shown(user: User, viewer: Optional[User]) -> list[Room]:
    """The rooms a WHOIS of ``user`` by ``viewer`` names: all but the secret ones ``viewer`` is not in."""
    return [room for room in user.rooms.values() if can_see(room, viewer)]
