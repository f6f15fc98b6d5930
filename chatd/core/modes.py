"""The room modes chatd knows, as tables every part reads (ISUPPORT CHANMODES and PREFIX are built from them)."""

from __future__ import annotations

from typing import Optional

#: Flag modes without an argument, in the order they are shown (s: secret, hidden from LIST and WHOIS).
FLAG_MODES = "imnst"
#: List modes: bans, ban exceptions, invite exceptions, quiets (ISUPPORT CHANMODES type A).
LIST_MODES = "beIq"
#: Modes that take an argument when set (k also when unset, by convention).
PARAM_MODES = "kl"
#: Member status modes, highest first, with the prefix each shows in NAMES.
STATUS_MODES = {"o": "@", "v": "+"}

#: One mode change: sign ("+" or "-"), letter, and its argument if any.
ModeChange = tuple[str, str, Optional[str]]
