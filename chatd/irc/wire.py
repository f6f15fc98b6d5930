"""IRC messages: parsing and serialising lines, IRCv3 tags included.

Reference: the Modern IRC document (modern.ircdocs.horse) and the IRCv3
message-tags specification for tag value escaping.
"""

from __future__ import annotations

from typing import Optional

import attrs

_TAG_ESCAPES = {";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"}
_TAG_ESCAPE_TABLE = str.maketrans(_TAG_ESCAPES)
_TAG_UNESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}


class ParseError(ValueError):
    pass


@attrs.frozen
class Message:
    command: str
    params: tuple[str, ...] = ()
    source: Optional[str] = None
    tags: tuple[tuple[str, str], ...] = ()

    def tag(self, name: str) -> Optional[str]:
        for key, value in self.tags:
            if key == name:
                return value
        return None


def escape_tag_value(value: str) -> str:
    return value.translate(_TAG_ESCAPE_TABLE)


def unescape_tag_value(value: str) -> str:
    out = []
    chars = iter(value)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(_TAG_UNESCAPES.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


def format_tags(tags: tuple[tuple[str, str], ...]) -> str:
    return ";".join(f"{k}={escape_tag_value(v)}" if v else k for k, v in tags)


def parse(line: str) -> Message:
    """Parse one line (without CRLF) into a :class:`Message`."""
    rest = line.lstrip(" ")
    tags: list[tuple[str, str]] = []
    if rest.startswith("@"):
        raw, _, rest = rest[1:].partition(" ")
        for item in raw.split(";"):
            if not item:
                continue
            key, _, value = item.partition("=")
            tags.append((key, unescape_tag_value(value)))
        rest = rest.lstrip(" ")
    source = None
    if rest.startswith(":"):
        source, _, rest = rest[1:].partition(" ")
        rest = rest.lstrip(" ")
    if not rest:
        raise ParseError("no command")
    params: list[str] = []
    trailing = None
    if " :" in rest:
        rest, trailing = rest.split(" :", 1)
    elif rest.startswith(":"):
        rest, trailing = "", rest[1:]
    words = [word for word in rest.split(" ") if word]  # only spaces separate
    if not words:
        raise ParseError("no command")
    command = words[0].upper()
    params.extend(words[1:])
    if trailing is not None:
        params.append(trailing)
    return Message(command, tuple(params), source, tuple(tags))


def serialize(message: Message) -> str:
    """Serialise a message to a line without CRLF."""
    parts = []
    if message.tags:
        parts.append("@" + format_tags(message.tags))
    if message.source:
        parts.append(":" + message.source)
    parts.append(message.command)
    params = list(message.params)
    if params:
        last = params.pop()
        parts.extend(params)
        if not last or " " in last or last.startswith(":"):
            last = ":" + last
        parts.append(last)
    return " ".join(parts)
