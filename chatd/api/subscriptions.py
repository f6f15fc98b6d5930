"""Outgoing webhooks: what a subscription is, and which of the network's records it is sent.

A subscription names a room, a URL, and what it wants of that room:
``message`` (every message, or with ``triggers`` only those whose first word
is one, such as ``!deploy``), ``mention`` (messages naming its ``nick``),
``join`` and ``part`` (a kick or a quit is a part).  Messages from bots (user
mode ``+B``, its own replies included) are never sent, as Slack and
Mattermost do not: two bots cannot answer each other forever.

The event is a JSON object (docs/api.md, "Outgoing webhooks"); the secret
signs it (:mod:`.outgoing`), so it is kept as it is, not as a digest: the
receiver needs the same secret to check the signature.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from typing import Any, Optional
from urllib.parse import urlsplit

import attrs

from ..core.casemap import casefold
from ..core.events import Event, Identity, Joined, Kicked, Parted, RoomMessage
from .keys import NAME, parse_rooms

#: ``created_by`` of the config file's ``[[webhooks]]``: the file owns them, not the API.
CONFIG = "config"
EVENTS = ("message", "mention", "join", "part")
SPOKEN = ("privmsg", "notice", "action")


@attrs.frozen
class Subscription:
    id: str
    room: str
    url: str
    secret: str
    events: tuple[str, ...] = ("message",)
    triggers: tuple[str, ...] = ()
    nick: str = "webhook"  # who mentions name, and who posts the receiver's replies
    created: float = 0.0
    created_by: str = ""

    def to_json(self) -> str:
        return json.dumps(attrs.asdict(self))

    @classmethod
    def from_json(cls, raw: Any) -> Optional[Subscription]:
        try:
            data = json.loads(raw)
            return cls(str(data["id"]), str(data["room"]), str(data["url"]), str(data["secret"]),
                       tuple(data.get("events", ("message",))), tuple(data.get("triggers", ())),
                       str(data.get("nick", "webhook")), float(data.get("created", 0)),
                       str(data.get("created_by", "")))
        except (ValueError, KeyError, TypeError):
            return None

    @property
    def owner(self) -> str:
        """Whose bot posts the replies: the key that made it (so a key's default nick is
        its own, not taken from it), else the subscription itself."""
        return self.created_by[4:] if self.created_by.startswith("key:") else "webhook:" + self.id

    def public(self) -> dict[str, Any]:
        """What a listing shows (the secret only once, when it is made)."""
        shown = attrs.asdict(self)
        del shown["secret"]
        return shown


def new_subscription(room: str, url: str, events: Any, triggers: Any, nick: str,
                     created_by: str) -> Subscription:
    """A checked subscription with a new id and secret; a ValueError says what is wrong."""
    return _checked(os.urandom(6).hex(), room, url, os.urandom(24).hex(), events, triggers, nick, created_by)


def configured(room: Any, url: Any, secret: Any, events: Any, triggers: Any, nick: Any) -> Subscription:
    """A ``[[webhooks]]`` table of the config file: its id follows from its room and URL, so it is
    the same after a restart (its queued events are still its own) and on every node."""
    for name, value in (("room", room), ("url", url), ("secret", secret), ("nick", nick)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a string")
    if len(secret) < 16:
        raise ValueError("the secret must be at least 16 characters (it signs the events)")
    sub_id = hashlib.sha256(f"{room}\0{url}".encode()).hexdigest()[:12]
    return _checked(sub_id, room, url, secret, events, triggers, nick, CONFIG)


def _checked(sub_id: str, room: str, url: str, secret: str, events: Any, triggers: Any, nick: str,
             created_by: str) -> Subscription:
    rooms = parse_rooms(room)
    if len(rooms) != 1:
        raise ValueError("give one room (#name)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise ValueError(f"{url!r} is not an http:// or https:// URL")
    chosen = _words(events, "events") or ("message",)
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown:
        raise ValueError(f"unknown event {unknown[0]!r} (the events are {', '.join(EVENTS)})")
    words = _words(triggers, "triggers")
    if any(len(w) > 50 for w in words) or len(words) > 20:
        raise ValueError("at most 20 trigger words of at most 50 characters")
    if not NAME.fullmatch(nick):
        raise ValueError(f"{nick!r} is not a nick for the hook's replies")
    return Subscription(sub_id, rooms[0], url, secret, chosen, words, nick, time.time(), created_by)


def _words(value: Any, name: str) -> tuple[str, ...]:
    """A comma-separated string (the command line) or a list of strings (JSON)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{name}' is a list of words")
    words = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    if any(" " in w or "\x00" in w for w in words):
        raise ValueError(f"'{name}' are single words")
    return words


def _user(who: Identity) -> dict[str, Any]:
    return {"nick": who.nick, "account": who.account, "protocol": who.protocol, "bot": who.bot}


def iso(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)) + f".{int(stamp * 1000) % 1000:03d}Z"


def mentions(text: str, nick: str) -> bool:
    """``nick`` as a word of ``text`` (``deploy-bot: go``, ``thanks deploy-bot``), in any case."""
    pattern = r"(?<![\w\-\[\]\\`^{}|])" + re.escape(casefold(nick)) + r"(?![\w\-\[\]\\`^{}|])"
    return re.search(pattern, casefold(text)) is not None


def event_for(sub: Subscription, record: Event) -> Optional[dict[str, Any]]:
    """The JSON event ``sub`` is sent for ``record``, or None if it did not ask for it."""
    if isinstance(record, RoomMessage):
        if record.kind not in SPOKEN or record.sender.bot:
            return None
        first = record.text.split(" ", 1)[0]
        trigger = next((t for t in sub.triggers if casefold(t) == casefold(first)), None)
        if "message" in sub.events and (trigger is not None or not sub.triggers):
            name = "message"
        elif "mention" in sub.events and mentions(record.text, sub.nick):
            name = "mention"
        else:
            return None
        return {"event": name, "room": record.room, "time": record.time, "iso_time": iso(record.time),
                "id": record.id, "kind": record.kind, "text": record.text, "trigger": trigger,
                "args": record.text[len(first):].strip() if trigger is not None else None,
                "user": _user(record.sender)}
    if isinstance(record, Joined) and "join" in sub.events:
        return {"event": "join", "room": record.room, "time": record.time, "iso_time": iso(record.time),
                "user": _user(record.who)}
    if isinstance(record, Parted) and "part" in sub.events:
        return {"event": "part", "room": record.room, "time": record.time, "iso_time": iso(record.time),
                "reason": record.reason, "user": _user(record.who)}
    if isinstance(record, Kicked) and "part" in sub.events:
        return {"event": "part", "room": record.room, "time": record.time, "iso_time": iso(record.time),
                "reason": record.reason, "user": {"nick": record.target}, "kicked_by": _user(record.who)}
    return None


def room_of(record: Event) -> Optional[str]:
    """The room a record happened in (the records a subscription may be sent)."""
    if isinstance(record, (RoomMessage, Joined, Parted, Kicked)):
        return record.room
    return None
