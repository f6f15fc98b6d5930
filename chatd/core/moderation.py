"""Who is kept out: ban masks, extbans and server bans, matched the same way for every protocol.

A mask is IRC's ``nick!user@host`` glob (``*`` any run, ``?`` one
character), compared casefolded, against a person's identity, which IRC,
telnet and web users all have.  Two extbans (ISUPPORT ``EXTBAN=,am``) name
people rather than addresses: ``a:account`` matches whoever is logged in to
that account, and ``m:<mask>`` in a room's ban list only mutes (the same as
the ``+q`` list).  Server bans (KLINE) take the same masks, with a reason and
an optional expiry.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

import attrs

from .casemap import casefold
from .events import Identity

EXTBANS = "am"


@attrs.frozen
class ListEntry:
    """One entry of a room's ban (b), exception (e), invite-exception (I) or quiet (q) list."""

    mask: str
    set_by: str
    time: float


def well_formed(mask: str) -> bool:
    """A normalised mask that can match someone: an extban names an account or a mask."""
    if mask.startswith("a:"):
        return len(mask) > 2
    if mask.startswith("m:"):
        return well_formed(mask[2:])
    return "!" in mask and "@" in mask


def normalise(mask: str) -> str:
    """A mask as stored: extbans kept, ``nick`` becomes ``nick!*@*``, ``user@host`` becomes ``*!user@host``."""
    if mask[:2].lower() in ("a:", "m:"):
        kind, rest = mask[0].lower(), mask[2:]
        return f"{kind}:{rest if kind == 'a' else normalise(rest)}"
    if "!" not in mask and "@" not in mask:
        return f"{mask or '*'}!*@*"
    if "!" not in mask:
        return f"*!{mask}"
    if "@" not in mask:
        return f"{mask}@*"
    return mask


@lru_cache(maxsize=4096)
def _pattern(mask: str) -> re.Pattern[str]:
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in casefold(mask))
    return re.compile("".join(parts), re.DOTALL)


def matches(mask: str, who: Identity, account: Optional[str], address: str = "") -> bool:
    """Whether a (normalised) mask covers this person; ``m:`` masks match as their inner mask.
    With ``address`` (the real one, when ``who.host`` is a cloak) a mask on either matches."""
    if mask.startswith("a:"):
        return account is not None and (mask[2:] == "*" or casefold(mask[2:]) == casefold(account))
    if mask.startswith("m:"):
        return matches(mask[2:], who, account, address)
    pattern = _pattern(mask)
    if pattern.fullmatch(casefold(who.mask)) is not None:
        return True
    return bool(address) and address != who.host and \
        pattern.fullmatch(casefold(f"{who.nick}!{who.user}@{address}")) is not None
