"""Render core events as readable lines for a person at a terminal."""

from __future__ import annotations

import functools
import time
from typing import Optional

from ..core import events as ev


def clock(when: float) -> str:
    return time.strftime("%H:%M", time.localtime(when))


def line(when: float, text: str) -> bytes:
    # Control characters other than tab could drive the terminal; show them inert.
    safe = "".join(ch if ch >= " " or ch == "\t" else "?" for ch in text)
    return f"[{clock(when)}] {safe}\r\n".encode("utf-8", errors="replace")


@functools.singledispatch
def render(event: object) -> Optional[bytes]:
    return None


@render.register
def _(event: ev.RoomMessage) -> bytes:
    nick = event.sender.nick
    if event.kind == "action":
        return line(event.time, f"{event.room} * {nick} {event.text}")
    if event.kind == "notice":
        return line(event.time, f"{event.room} -{nick}- {event.text}")
    return line(event.time, f"{event.room} <{nick}> {event.text}")


@render.register
def _(event: ev.DirectMessage) -> bytes:
    pair = f"[{event.sender.nick} -> {event.target}]"
    if event.kind == "action":
        return line(event.time, f"{pair} * {event.sender.nick} {event.text}")
    return line(event.time, f"{pair} {event.text}")


@render.register
def _(event: ev.Joined) -> bytes:
    return line(event.time, f"{event.room} -- {event.who.nick} ({event.who.protocol}) joined")


@render.register
def _(event: ev.Parted) -> bytes:
    reason = f" ({event.reason})" if event.reason else ""
    return line(event.time, f"{event.room} -- {event.who.nick} left{reason}")


@render.register
def _(event: ev.Quit) -> bytes:
    return line(event.time, f"-- {event.who.nick} quit ({event.reason})")


@render.register
def _(event: ev.NickChanged) -> bytes:
    return line(event.time, f"-- {event.who.nick} is now known as {event.new_nick}")


@render.register
def _(event: ev.TopicChanged) -> bytes:
    return line(event.time, f"{event.room} -- {event.who.nick} set the topic: {event.topic}")


@render.register
def _(event: ev.Kicked) -> bytes:
    return line(event.time, f"{event.room} -- {event.who.nick} kicked {event.target} ({event.reason})")


@render.register
def _(event: ev.Invited) -> bytes:
    return line(event.time, f"-- {event.who.nick} invites you to {event.room} (/join {event.room})")


@render.register
def _(event: ev.ModeChanged) -> bytes:
    shown = " ".join(f"{sign}{letter}{' ' + arg if arg else ''}" for sign, letter, arg in event.changes)
    return line(event.time, f"{event.room} -- {event.who.nick} set mode {shown}")


@render.register
def _(event: ev.AwayChanged) -> bytes:
    if event.message is None:
        return line(event.time, f"-- {event.who.nick} is back")
    return line(event.time, f"-- {event.who.nick} is away: {event.message}")
