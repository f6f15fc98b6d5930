"""Render core events as IRC lines, once per capability variant.

A :class:`LineRenderer` is shared by every connection with the same rendering
capabilities (see :mod:`chatd.irc.caps`); fan-out calls it once per event and
writes the resulting bytes to all of them.
"""

from __future__ import annotations

import functools
import time as _time
from typing import Optional

from ..core import events as ev
from .wire import escape_tag_value


def iso_time(when: float) -> str:
    seconds = int(when)
    millis = int((when - seconds) * 1000)
    return _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(seconds)) + f".{millis:03d}Z"


def trailing(text: str) -> str:
    """Format a final parameter (always with the colon, which is always valid)."""
    return ":" + text


#: Renderer flags, in the order of ``caps.RENDERING`` (a connection's render key).
FLAGS = ("server_time", "message_tags", "extended_join", "away_notify", "setname", "invite_notify", "redaction",
         "multiline", "read_marker", "account_tag", "account_notify", "chghost")


class LineRenderer:
    @classmethod
    def for_key(cls, key: tuple[bool, ...], server: str) -> LineRenderer:
        return cls(server=server, **dict(zip(FLAGS, key, strict=True)))

    def __init__(
        self,
        server_time: bool = False,
        message_tags: bool = False,
        extended_join: bool = False,
        away_notify: bool = False,
        setname: bool = False,
        invite_notify: bool = False,
        redaction: bool = False,
        multiline: bool = False,
        read_marker: bool = False,
        account_tag: bool = False,
        account_notify: bool = False,
        chghost: bool = False,
        server: str = "chatd.local",
    ) -> None:
        self.server_time = server_time
        self.message_tags = message_tags
        self.extended_join = extended_join
        self.away_notify = away_notify
        self.setname = setname
        self.invite_notify = invite_notify
        self.redaction = redaction
        self.multiline = multiline
        self.read_marker = read_marker
        self.account_tag = account_tag
        self.account_notify = account_notify
        self.chghost = chghost
        self.server = server

    def _tags(self, when: float, msgid: Optional[str] = None, client: ev.Tags = (), bot: bool = False,
              account: Optional[str] = None) -> str:
        parts = []
        if account and self.account_tag:
            parts.append("account=" + escape_tag_value(account))
        if self.message_tags:
            if msgid:
                parts.append("msgid=" + escape_tag_value(msgid))
            if bot:
                parts.append("bot")
            parts.extend(f"{name}={escape_tag_value(value)}" if value else name for name, value in client)
        if self.server_time:
            parts.append("time=" + iso_time(when))
        return "@" + ";".join(parts) + " " if parts else ""

    def line(self, when: float, text: str, msgid: Optional[str] = None) -> bytes:
        return (self._tags(when, msgid) + text + "\r\n").encode("utf-8")

    def _chat(self, event: ev.RoomMessage | ev.DirectMessage, batch: Optional[str] = None) -> Optional[bytes]:
        if event.kind == "tagmsg" and not self.message_tags:
            return None  # TAGMSG goes only to clients that take message tags
        target = event.room if isinstance(event, ev.RoomMessage) else event.target
        mask = event.sender.mask
        tags = _in_batch(self._tags(event.time, event.id, event.tags, event.sender.bot, event.sender.account), batch)
        if "\n" not in event.text:
            return (tags + _message(mask, target, event.kind, event.text) + "\r\n").encode("utf-8")
        parts = event.text.split("\n")
        if self.multiline:  # one draft/multiline batch, its tags (msgid, time) on the BATCH line
            ref = "ml" + event.id[-12:]
            lines = [f"{tags}:{mask} BATCH +{ref} draft/multiline {target}"]
            lines += [f"@batch={ref} " + _message(mask, target, event.kind, part) for part in parts]
            lines.append(_in_batch("", batch) + f":{mask} BATCH -{ref}")
        else:  # separate lines; the first carries the message's id
            rest = _in_batch(self._tags(event.time), batch)
            lines = [tags + _message(mask, target, event.kind, parts[0])]
            lines += [rest + _message(mask, target, event.kind, part) for part in parts[1:] if part]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")

    def render_tagged(self, event: ev.RoomMessage | ev.DirectMessage, batch: Optional[str]) -> bytes:
        """A stored message replayed (CHATHISTORY), inside ``batch`` when the client has batches."""
        return self._chat(event, batch) or b""

    @functools.singledispatchmethod
    def render(self, event: object) -> Optional[bytes]:
        return None

    @render.register
    def _(self, event: ev.RoomMessage) -> Optional[bytes]:
        return self._chat(event)

    @render.register
    def _(self, event: ev.DirectMessage) -> Optional[bytes]:
        return self._chat(event)

    @render.register
    def _(self, event: ev.ReadMarked) -> Optional[bytes]:
        if not self.read_marker:
            return None
        return (f":{self.server} MARKREAD {event.target} timestamp={iso_time(event.until)}\r\n").encode()

    @render.register
    def _(self, event: ev.Redacted) -> Optional[bytes]:
        if not self.redaction:
            return None
        reason = " " + trailing(event.reason) if event.reason else ""
        return self.line(event.time, f":{event.who.mask} REDACT {event.target} {event.msgid}{reason}")

    @render.register
    def _(self, event: ev.UserChanged) -> Optional[bytes]:
        if not (event.realname_changed and self.setname):
            return None
        return self.line(event.time, f":{event.who.mask} SETNAME {trailing(event.who.realname)}")

    @render.register
    def _(self, event: ev.Joined) -> bytes:
        who = event.who
        if self.extended_join:
            joined = self.line(event.time, f":{who.mask} JOIN {event.room} {who.account or '*'} :{who.realname}")
        else:
            joined = self.line(event.time, f":{who.mask} JOIN {event.room}")
        if event.away is not None and self.away_notify:  # away-notify: tell it with the join
            joined += self.line(event.time, f":{who.mask} AWAY {trailing(event.away)}")
        return joined

    @render.register
    def _(self, event: ev.AccountChanged) -> Optional[bytes]:
        if not self.account_notify:
            return None
        return self.line(event.time, f":{event.who.mask} ACCOUNT {event.who.account or '*'}")

    @render.register
    def _(self, event: ev.HostChanged) -> Optional[bytes]:
        """IRCv3 chghost: the user, by the mask others knew, now has another host."""
        if not self.chghost:
            return None
        who = event.who
        return self.line(event.time, f":{who.nick}!{who.user}@{event.old_host} CHGHOST {who.user} {who.host}")

    @render.register
    def _(self, event: ev.Wallops) -> bytes:
        return self.line(event.time, f":{event.who.mask} WALLOPS {trailing(event.text)}")

    @render.register
    def _(self, event: ev.Parted) -> bytes:
        reason = " " + trailing(event.reason) if event.reason else ""
        return self.line(event.time, f":{event.who.mask} PART {event.room}{reason}")

    @render.register
    def _(self, event: ev.Quit) -> bytes:
        return self.line(event.time, f":{event.who.mask} QUIT {trailing(event.reason)}")

    @render.register
    def _(self, event: ev.NickChanged) -> bytes:
        return self.line(event.time, f":{event.who.mask} NICK {trailing(event.new_nick)}")

    @render.register
    def _(self, event: ev.TopicChanged) -> bytes:
        return self.line(event.time, f":{event.who.mask} TOPIC {event.room} {trailing(event.topic)}")

    @render.register
    def _(self, event: ev.Kicked) -> bytes:
        return self.line(
            event.time, f":{event.who.mask} KICK {event.room} {event.target} {trailing(event.reason)}"
        )

    @render.register
    def _(self, event: ev.Invited) -> Optional[bytes]:
        if event.notice and not self.invite_notify:
            return None  # other members see invitations only with invite-notify
        return self.line(event.time, f":{event.who.mask} INVITE {event.target} {trailing(event.room)}")

    @render.register
    def _(self, event: ev.ModeChanged) -> bytes:
        return self.line(event.time, f":{event.who.mask} MODE {event.room} {mode_params(event.changes)}")

    @render.register
    def _(self, event: ev.AwayChanged) -> Optional[bytes]:
        if not self.away_notify:
            return None
        if event.message is None:
            return self.line(event.time, f":{event.who.mask} AWAY")
        return self.line(event.time, f":{event.who.mask} AWAY {trailing(event.message)}")


def _in_batch(tags: str, batch: Optional[str]) -> str:
    """Tags (``"@a;b "`` or ``""``) with ``batch=<ref>`` in front, when inside a batch."""
    if not batch:
        return tags
    return f"@batch={batch};{tags[1:]}" if tags else f"@batch={batch} "


def _message(source: str, target: str, kind: str, text: str) -> str:
    if kind == "tagmsg":
        return f":{source} TAGMSG {target}"
    if kind == "action":
        return f":{source} PRIVMSG {target} :\x01ACTION {text}\x01"
    command = "NOTICE" if kind == "notice" else "PRIVMSG"
    return f":{source} {command} {target} :{text}"


def mode_params(changes: tuple[tuple[str, str, Optional[str]], ...]) -> str:
    letters = []
    args = []
    sign = ""
    for change_sign, letter, arg in changes:
        if change_sign != sign:
            letters.append(change_sign)
            sign = change_sign
        letters.append(letter)
        if arg is not None:
            args.append(arg)
    return " ".join(["".join(letters), *args])
