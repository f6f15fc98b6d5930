"""API keys: what one is, how it is stored, and what it may do.

A key is ``chatd_`` and 32 random bytes (URL-safe base64): far too much
entropy to guess, so it is stored as its SHA-256 digest only (a slow salted
hash, as passwords get, protects guessable secrets; it would only slow every
request here).  Whoever reads the store learns the names, scopes and rooms of
the keys, never a key.

Scopes: ``post`` (messages to rooms and people), ``read`` (rooms, members,
history, presence), ``moderate`` (topic, kick, room bans), ``admin``
(everything, server bans, hooks, secret rooms).  A key may be limited to some
rooms; it then neither reads nor posts elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from typing import Any, Optional

import attrs

from ..core.casemap import casefold
from ..core.limits import ROOM_PREFIXES

SCOPES = ("post", "read", "moderate", "admin")
PREFIX = "chatd_"
#: A key's name: what the operator calls it, and the default nick its posts come from.
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_\-\[\]\\`^{}|]{0,29}")


def new_key() -> str:
    return PREFIX + base64.urlsafe_b64encode(os.urandom(32)).decode("ascii").rstrip("=")


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def parse_scopes(value: str) -> tuple[str, ...]:
    """``post,read`` as typed on the command line; an unknown scope is a ValueError naming it."""
    scopes = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r} (the scopes are {', '.join(SCOPES)})")
    if not scopes:
        raise ValueError(f"give at least one scope ({', '.join(SCOPES)})")
    return scopes


def parse_rooms(value: str) -> tuple[str, ...]:
    rooms = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    bad = [room for room in rooms if room[:1] not in ROOM_PREFIXES or len(room) < 2 or " " in room]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a room name (#name)")
    return rooms


@attrs.frozen
class KeyRecord:
    name: str
    digest: str
    scopes: tuple[str, ...]
    rooms: tuple[str, ...] = ()  # empty: every room
    created: float = 0.0

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes

    def covers(self, room: str) -> bool:
        """Whether this key may act in ``room`` at all."""
        return not self.rooms or casefold(room) in {casefold(r) for r in self.rooms}

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "digest": self.digest, "scopes": list(self.scopes),
                           "rooms": list(self.rooms), "created": self.created})

    @classmethod
    def from_json(cls, raw: Any) -> Optional[KeyRecord]:
        try:
            data = json.loads(raw)
            return cls(str(data["name"]), str(data["digest"]), tuple(data["scopes"]),
                       tuple(data.get("rooms", ())), float(data.get("created", 0)))
        except (ValueError, KeyError, TypeError):
            return None
