"""What people may see of rooms: the listing and the member lists, with the visibility rules applied once.

IRC (LIST, NAMES), telnet (/list, /names) and the web (``list``, ``names``)
each render these answers; none of them decides who may see what.  A secret
room (``+s``) is seen by its members only: to anyone else it is not listed
and its members are not shown, as if it did not exist.
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
