"""Case folding for nicks and room names.

IRC compares names case-insensitively under the casemapping the server
advertises in ISUPPORT.  We use ``rfc1459``, which treats ``[]\\~`` as the
upper-case forms of ``{}|^``, because that is what most clients assume when a
server says nothing else, and every protocol in chatd shares the same names.
"""

from __future__ import annotations

CASEMAPPING = "rfc1459"

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ[]\\~"
_LOWER = "abcdefghijklmnopqrstuvwxyz{}|^"
_TABLE = str.maketrans(_UPPER, _LOWER)


def casefold(name: str) -> str:
    """Return the canonical (lower-case) form of a nick or room name."""
    return name.translate(_TABLE)
