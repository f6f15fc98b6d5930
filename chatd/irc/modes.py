"""Parsing MODE arguments for a room: a pure function, no connection, no network.

``MODE #room +kl-v key 10 bob`` becomes a list of changes for the core, plus
what the client must be told about letters that are not changes: a ban-list
list query (``+b``, ``+e``, ``+I``, ``+q`` without a mask), an unknown letter
(472), or a letter missing its parameter (461, and nothing is applied).
Reference: modern.ircdocs.horse, "MODE" and the CHANMODES ISUPPORT types.
"""

from __future__ import annotations

from typing import Optional, Sequence

import attrs

from ..core import ModeChange
from ..core.modes import FLAG_MODES, LIST_MODES

#: At most this many modes with a parameter per command (ISUPPORT MODES, as the spec defines it:
#: flags without one do not count).  Those past it are not applied, and the client is told.
MAX_CHANGES = 4


@attrs.frozen
class ParsedModes:
    changes: tuple[ModeChange, ...] = ()
    #: In the order met: ("list", letter) for a list query, ("unknown", letter) for a letter we lack,
    #: ("over", "+k") for a change past the MODES limit (not applied).
    notes: tuple[tuple[str, str], ...] = ()
    #: A letter that needs a parameter came without one: apply nothing.
    missing_param: bool = False


def parse_room_modes(modestring: str, args: Sequence[str]) -> ParsedModes:
    changes: list[ModeChange] = []
    notes: list[tuple[str, str]] = []
    pending = list(args)
    sign = "+"
    with_param = 0
    for letter in modestring:
        if letter in "+-":
            sign = letter
            continue
        if letter in LIST_MODES and not pending:
            notes.append(("list", letter))
            continue
        arg: Optional[str] = None
        if letter in "ov" + LIST_MODES or (letter in "kl" and sign == "+"):
            if not pending:
                return ParsedModes(tuple(changes), tuple(notes), missing_param=True)
            arg = pending.pop(0)
        elif letter == "k":
            if pending:
                pending.pop(0)  # "-k key": the key is not needed to remove it
        elif letter not in FLAG_MODES + "l":
            notes.append(("unknown", letter))
            continue
        if arg is not None:
            with_param += 1
            if with_param > MAX_CHANGES:
                notes.append(("over", sign + letter))
                continue
        changes.append((sign, letter, arg))
    return ParsedModes(tuple(changes), tuple(notes))


def not_applied(parsed: ParsedModes) -> str:
    """The changes past the MODES limit, as "+k +l", or ""."""
    return " ".join(letter for kind, letter in parsed.notes if kind == "over")


def parse_user_modes(modestring: str, current: frozenset[str]) -> tuple[frozenset[str], str, list[str]]:
    """Apply ``+i``/``+w`` style changes to ``current``: the new modes, what changed, unknown letters."""
    modes = set(current)
    sign = "+"
    applied = ""
    unknown = []
    for letter in modestring:
        if letter in "+-":
            sign = letter
        elif letter == "o":
            if sign == "-" and "o" in modes:  # an operator steps down; +o comes only from OPER
                modes.discard("o")
                applied += "-o"
        elif letter in "iwB":
            if (letter in modes) != (sign == "+"):
                (modes.add if sign == "+" else modes.discard)(letter)
                applied += sign + letter
        else:
            unknown.append(letter)
    return frozenset(modes), applied, unknown
