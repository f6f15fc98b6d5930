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

#: One mode change: sign ("+" or "-"), letter, and its argument if any.
ModeChange = tuple[str, str, Optional[str]]


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

    def apply(self, sign: str, letter: str, arg: Optional[str], member: Optional[User] = None) -> Optional[ModeChange]:
        """Apply one mode change; return it as it took effect, or None if it changed nothing.

        The one place mode letters change a room: local changes (after the
        network checked who may make them) and changes other nodes report.
        ``member`` is the user a status mode (o, v) is about.
        """
        adding = sign == "+"
        if letter in FLAG_MODES:
            if adding != (letter in self.flags):
                (self.flags.add if adding else self.flags.discard)(letter)
                return (sign, letter, None)
        elif letter == "k":
            if adding and arg:
                self.key = arg
                return (sign, letter, arg)
            if not adding and self.key is not None:
                self.key = None
                return (sign, letter, "*")
        elif letter == "l":
            if adding:
                if arg and arg.isdigit() and int(arg) > 0:
                    self.limit = int(arg)
                    return (sign, letter, arg)
            elif self.limit is not None:
                self.limit = None
                return (sign, letter, None)
        elif letter in STATUS_MODES and member is not None:
            status = self.members.get(member)
            if status is not None and adding != (letter in status):
                (status.add if adding else status.discard)(letter)
                return (sign, letter, member.nick)
        return None
