"""A room (an IRC channel): members with their status, topic and modes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import attrs

if TYPE_CHECKING:
    from .users import User

#: Flag modes without an argument, in the order they are shown.
FLAG_MODES = "imnt"
#: Modes that take an argument when set (k also when unset, by convention).
PARAM_MODES = "kl"
#: Member status modes, highest first, with the prefix each shows in NAMES.
STATUS_MODES = {"o": "@", "v": "+"}


@attrs.define(eq=False)
class Room:
    name: str
    created: float
    topic: str = ""
    topic_by: str = ""
    topic_time: float = 0.0
    flags: set[str] = attrs.field(factory=lambda: {"n", "t"})
    key: Optional[str] = None
    limit: Optional[int] = None
    #: user -> set of status letters ("o", "v"), in join order.
    members: dict[User, set[str]] = attrs.field(factory=dict)
    invited: set[str] = attrs.field(factory=set)  # folded nicks

    def is_op(self, user: User) -> bool:
        return "o" in self.members.get(user, ())

    def can_speak(self, user: User) -> bool:
        status = self.members.get(user)
        if status is None:
            return "n" not in self.flags
        if "m" in self.flags:
            return bool(status)
        return True

    def prefixes(self, user: User, all_of_them: bool = False) -> str:
        status = self.members.get(user, ())
        shown = [sym for letter, sym in STATUS_MODES.items() if letter in status]
        return "".join(shown) if all_of_them else "".join(shown[:1])

    def mode_string(self, show_key: bool = True) -> tuple[str, list[str]]:
        letters = [m for m in FLAG_MODES if m in self.flags]
        args: list[str] = []
        if self.key is not None:
            letters.append("k")
            args.append(self.key if show_key else "*")
        if self.limit is not None:
            letters.append("l")
            args.append(str(self.limit))
        return "+" + "".join(letters), args
