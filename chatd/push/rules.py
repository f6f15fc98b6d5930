"""What notifies: a direct message, or a room message that names you or one of your highlight
words (``NickServ SET HIGHLIGHT``, the web's ``/highlight``), while none of your connections is
open.

A sink on the messages delivered on this node (``Messaging.delivered``): each is judged once for
each addressee, on the node holding them (in a cluster every node with members in a room gets its
messages; a direct message reaches the node of its addressee), and for an account nobody holds,
on the node where it was said.  Only accounts have subscriptions.  A person with an open
connection reads it there, so is not pushed; an always-on person with no connection, or an
account nobody is connected to, is.  The payload is built per subscription
format: a small JSON object for the web client's service worker, or one IRC line
(``draft/webpush``: "exactly one IRC message", ``msgid`` kept).

A notification stays on a phone until it is opened; when the person reads that conversation on
another device (a read marker moves, on any node: the ``seen`` sink), the node that pushed sends
one more push saying so (``{"type": "read"}``, or IRC's ``MARKREAD``), and the service worker
(or an IRC client such as Goguma) closes the conversation's notification.  Only conversations
pushed and not read since are remembered (at most ``MAX_NOTIFIED``), so reading pushes nothing
otherwise.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Callable, Union

from ..core.casemap import casefold
from ..core.devices import Absent
from ..core.events import DirectMessage, Event, ReadMarked, RoomMessage
from ..core.remote import is_remote

Message = Union[RoomMessage, DirectMessage]
#: Push services take about 4 KiB of payload: the text is cut to this many characters.
TEXT_CHARS = 1000
#: Conversations pushed and not read since, remembered to dismiss their notification (the oldest go first).
MAX_NOTIFIED = 10000


@lru_cache(maxsize=4096)
def _naming(nick: str) -> re.Pattern[str]:
    # a nick as a word: not inside a longer nick (letters, digits, and IRC's nick punctuation)
    return re.compile(r"(?<![\w\-\[\]\\`^{}|])" + re.escape(casefold(nick)) + r"(?![\w\-\[\]\\`^{}|])")


def names(text: str, nick: str) -> bool:
    return _naming(nick).search(casefold(text)) is not None


def _names_folded(folded_text: str, nick: str) -> bool:
    return _naming(nick).search(folded_text) is not None


def web_payload(message: Message, kind: str) -> bytes:
    room = message.room if isinstance(message, RoomMessage) else None
    return json.dumps({
        "type": "push", "kind": kind, "id": message.id, "time": message.time, "from": message.sender.nick,
        "room": room, "action": message.kind == "action", "text": message.text[:TEXT_CHARS],
    }).encode("utf-8")


def _stamp(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def irc_payload(message: Message) -> bytes:
    """One IRC line as the client would have got it (msgid and server-time kept, no CRLF)."""
    target = message.room if isinstance(message, RoomMessage) else message.target
    text = message.text[:TEXT_CHARS].replace("\r", " ").replace("\n", " ")
    if message.kind == "action":
        text = f"\x01ACTION {text}\x01"
    command = "NOTICE" if message.kind == "notice" else "PRIVMSG"
    return f"@msgid={message.id};time={_stamp(message.time)} :{message.sender.mask} {command} {target} :{text}".encode()


def read_payloads(record: ReadMarked) -> Callable[[str], bytes]:
    """The push saying a conversation was read up to ``record.until`` (for the web: ``conversation``
    is what notifications are tagged with, a room or the other person's nick; for IRC the
    read-marker extension's own line)."""
    def payload(format: str) -> bytes:
        if format == "irc":
            return f"MARKREAD {record.target} timestamp={_stamp(record.until)}".encode()
        return json.dumps({"type": "read", "conversation": record.target, "until": record.until}).encode()
    return payload


class PushRules:
    def __init__(self, directory: Any, notify: Callable[[str, Callable[[str], bytes]], None]) -> None:
        self.directory = directory
        self.notify = notify  # (account, payload for a format) -> sent, bounded, off the reactor
        #: (folded account, folded conversation) -> the newest message pushed there, until read.
        self.notified: OrderedDict[tuple[str, str], float] = OrderedDict()

    def delivered(self, message: Message) -> None:
        if message.kind == "tagmsg":
            return
        if isinstance(message, DirectMessage):
            self._direct(message)
        else:
            self._room(message)

    def _direct(self, message: DirectMessage) -> None:
        person = message.peers[1]
        if not person.startswith("a:") or person == message.peers[0]:
            return
        target = self.directory.find_user(message.target)
        if target is not None and target.person == person:
            if self.active(target) or is_remote(target):
                return  # reading it, or judged on the node holding them
        else:
            sender = self.directory.find_user(message.sender.nick)
            if sender is None or is_remote(sender):
                return  # nobody holds the addressee: judged where it was said
        self._push(person[2:], message.sender.nick, message, "dm")

    def _room(self, message: RoomMessage) -> None:
        room = self.directory.find_room(message.room)
        if room is None:
            return
        # Every room message passes here: the cheap test first, so a room where everyone is
        # connected costs one isinstance per member and nothing is folded.
        absent = [m for m in room.members if m.account and not self.active(m)]
        if not absent:
            return
        sender, text = casefold(message.sender.nick), casefold(message.text)
        for member in absent:
            if casefold(member.nick) == sender:
                continue
            if _names_folded(text, member.nick):
                self._push(member.account, message.room, message, "mention")
            elif any(_names_folded(text, word) for word in member.highlights):
                self._push(member.account, message.room, message, "keyword")

    def _push(self, account: str, conversation: str, message: Message, kind: str) -> None:
        key = (casefold(account), casefold(conversation))
        self.notified[key] = message.time
        self.notified.move_to_end(key)
        if len(self.notified) > MAX_NOTIFIED:
            self.notified.popitem(last=False)
        self.notify(account, self._payloads(message, kind))

    def read(self, record: Event) -> None:
        """A ``seen`` sink: a conversation pushed to this account was read (on any device, any node)
        past what was pushed: its notification is dismissed."""
        if not isinstance(record, ReadMarked) or not record.person.startswith("a:"):
            return
        key = (record.person[2:], casefold(record.target))
        pushed = self.notified.get(key)
        if pushed is not None and pushed <= record.until + 0.001:  # MARKREAD's timestamps are in milliseconds
            del self.notified[key]
            self.notify(record.person[2:], read_payloads(record))

    @staticmethod
    def active(user: Any) -> bool:
        """Reading somewhere (any connection open), or another node's to judge: not pushed here."""
        return not isinstance(user.client, Absent)

    @staticmethod
    def _payloads(message: Message, kind: str) -> Callable[[str], bytes]:
        made: dict[str, bytes] = {}

        def payload(format: str) -> bytes:
            if format not in made:
                made[format] = irc_payload(message) if format == "irc" else web_payload(message, kind)
            return made[format]
        return payload


