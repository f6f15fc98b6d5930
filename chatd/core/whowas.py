"""Who used a nick before: a bounded memory of departed and renamed nicks (IRC WHOWAS).

Every protocol's users are remembered, so an IRC user can ask about a web
user who left.  The memory is a ring of ``size`` entries: the oldest goes
first, and nothing grows without bound.
"""

from __future__ import annotations

from collections import deque

import attrs

from .casemap import casefold


@attrs.frozen
class Departed:
    nick: str
    user: str
    host: str
    realname: str
    server: str
    when: float
    person: str = ""  # whose DM history the nick led to (see User.person)


class Whowas:
    def __init__(self, size: int) -> None:
        self.entries: deque[Departed] = deque(maxlen=max(size, 0))

    def remember(self, entry: Departed) -> None:
        self.entries.append(entry)

    def lookup(self, nick: str, count: int = 0) -> list[Departed]:
        """Entries for ``nick``, newest first; ``count`` > 0 limits how many."""
        folded = casefold(nick)
        found = [e for e in reversed(self.entries) if casefold(e.nick) == folded]
        return found[:count] if count > 0 else found
