"""Message ids: unique, sortable by time, safe to compare as strings.

Ids follow the ULID layout (48 bits of milliseconds, 80 random bits, in
Crockford base32) so that several daemons can mint them without talking to
each other, and so that history can be paged with a plain ``<`` comparison.
Within one millisecond the random part is incremented, which keeps ids from
one generator strictly increasing.
"""

from __future__ import annotations

import os
import time
from typing import Callable

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def id_time(message_id: str) -> float:
    """Return the creation time (seconds since the epoch) encoded in an id."""
    value = 0
    for ch in message_id[:10]:
        value = value * 32 + _ALPHABET.index(ch)
    return value / 1000.0


class MessageIdGenerator:
    """Mint strictly increasing ULIDs from a clock."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._last_ms = -1
        self._last_random = 0

    def __call__(self) -> str:
        ms = int(self._clock() * 1000)
        if ms <= self._last_ms:
            ms = self._last_ms
            self._last_random += 1
            if self._last_random >> _RANDOM_BITS:
                ms += 1
                self._last_random = int.from_bytes(os.urandom(10), "big") >> 1
        else:
            # Keep headroom so that increments inside one millisecond
            # practically never overflow into the next.
            self._last_random = int.from_bytes(os.urandom(10), "big") >> 1
        self._last_ms = ms
        return _encode(ms, 10) + _encode(self._last_random, 16)
