"""Render core events as readable lines for a person at a terminal.

Each event is described once as text; :func:`render` stamps the time and
makes the whole line terminal-safe (:mod:`.ansi`), with IRC formatting
dropped or, for users who asked, shown as ANSI colours.
"""

from __future__ import annotations

import functools
import time
from typing import Optional

from ..core import events as ev
from .ansi import terminal_safe

Described = Optional[tuple[float, str]]


def clock(when: float) -> str:
    return time.strftime("%H:%M", time.localtime(when))


def render(event: object, colors: bool = False) -> Optional[bytes]:
    described = describe(event)
    if described is None:
        return None
    when, text = described
    first, *more = text.split("\n")  # a multi-line message: its further lines indented beneath
    out = [f"[{clock(when)}] {terminal_safe(first, colors)}"]
    out += [f"        {terminal_safe(part, colors)}" for part in more]
    return ("\r\n".join(out) + "\r\n").encode("utf-8", errors="replace")


@functools.singledispatch
def describe(event: object) -> Described:
    return None


@describe.register
def _(event: ev.RoomMessage) -> Described:
    nick = event.sender.nick
    if event.kind == "tagmsg":
        return None  # typing notices and reactions are not shown on a terminal
    if event.kind == "action":
        return (event.time, f"{event.room} * {nick} {event.text}")
    if event.kind == "notice":
        return (event.time, f"{event.room} -{nick}- {event.text}")
    return (event.time, f"{event.room} <{nick}> {event.text}")


@describe.register
def _(event: ev.DirectMessage) -> Described:
    if event.kind == "tagmsg":
        return None
    pair = f"[{event.sender.nick} -> {event.target}]"
    if event.kind == "action":
        return (event.time, f"{pair} * {event.sender.nick} {event.text}")
    return (event.time, f"{pair} {event.text}")


@describe.register
def _(event: ev.Joined) -> Described:
    return (event.time, f"{event.room} -- {event.who.nick} ({event.who.protocol}) joined")


@describe.register
def _(event: ev.Parted) -> Described:
    reason = f" ({event.reason})" if event.reason else ""
    return (event.time, f"{event.room} -- {event.who.nick} left{reason}")


@describe.register
def _(event: ev.Quit) -> Described:
    return (event.time, f"-- {event.who.nick} quit ({event.reason})")


@describe.register
def _(event: ev.NickChanged) -> Described:
    return (event.time, f"-- {event.who.nick} is now known as {event.new_nick}")


@describe.register
def _(event: ev.TopicChanged) -> Described:
    return (event.time, f"{event.room} -- {event.who.nick} set the topic: {event.topic}")


@describe.register
def _(event: ev.Kicked) -> Described:
    return (event.time, f"{event.room} -- {event.who.nick} kicked {event.target} ({event.reason})")


@describe.register
def _(event: ev.Redacted) -> Described:
    where = event.target if event.target.startswith("#") else "--"
    return (event.time, f"{where} -- {event.who.nick} removed a message")


@describe.register
def _(event: ev.Invited) -> Described:
    if event.notice:
        return None
    return (event.time, f"-- {event.who.nick} invites you to {event.room} (/join {event.room})")


@describe.register
def _(event: ev.ModeChanged) -> Described:
    shown = " ".join(f"{sign}{letter}{' ' + arg if arg else ''}" for sign, letter, arg in event.changes)
    return (event.time, f"{event.room} -- {event.who.nick} set mode {shown}")


@describe.register
def _(event: ev.AwayChanged) -> Described:
    if event.message is None:
        return (event.time, f"-- {event.who.nick} is back")
    return (event.time, f"-- {event.who.nick} is away: {event.message}")
