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
from ..core.rooms import FLAG_MODES, LIST_MODES

#: At most this many mode changes per command (ISUPPORT MODES).
MAX_CHANGES = 4


@attrs.frozen
class ParsedModes:
    changes: tuple[ModeChange, ...] = ()
    #: In the order met: ("list", letter) for a list query, ("unknown", letter) for a letter we lack.
    notes: tuple[tuple[str, str], ...] = ()
    #: A letter that needs a parameter came without one: apply nothing.
    missing_param: bool = False


def parse_room_modes(modestring: str, args: Sequence[str]) -> ParsedModes:
    changes: list[ModeChange] = []
    notes: list[tuple[str, str]] = []
    pending = list(args)
    sign = "+"
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
        changes.append((sign, letter, arg))
    return ParsedModes(tuple(changes[:MAX_CHANGES]), tuple(notes))


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
