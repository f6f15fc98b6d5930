"""Text from any wire, made safe once, at the Session, before the core keeps it.

Every string is checked to be valid Unicode: a lone surrogate (``"\\udfff"``
is valid JSON but no character) or a non-character (U+FFFE, U+FDD0...) is
refused with ``bad_field``, because the core must never store a string it
cannot encode for every other user.  Then it is normalised to NFC, so the
same name typed on two keyboards is the same name.

What else is removed depends on the field:

- **message text** keeps everything a chat line may carry (IRC formatting,
  CTCP's ``\\x01``); line breaks fold to spaces and NUL goes, so no message
  can end an IRC line early.  Renderers make it safe for their screens.
- **lines** (topics, away messages, real names, part and kick reasons) also
  lose every other control character (C0 but IRC's formatting codes, DEL,
  C1) and the bidi override and isolate controls that would turn the text
  around for everyone who reads it.
- **room names** must be visible and unambiguous: no control, format
  (zero-width, bidi), private-use, unassigned or space characters, and no
  mixing of scripts that lets ``#gеneral`` (Cyrillic ``е``) pass for
  ``#general``.  The script rule follows Unicode TR39's "highly restrictive"
  level: one script, plus the digits and punctuation every script shares;
  Latin may join Han with Hiragana/Katakana (Japanese), Han with Bopomofo
  (Chinese) or Han with Hangul (Korean).  Script data comes from the
  ``confusable-homoglyphs`` package's Unicode tables.

Nicks need none of this: their grammar (RFC 2812) is ASCII only.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

from confusable_homoglyphs import categories

from . import errors

#: IRC formatting codes: bold, colour, hex colour, reset, monospace, reverse, italic, strike, underline.
FORMATTING = "\x02\x03\x04\x0f\x11\x16\x1d\x1e\x1f"
_NONCHARACTER = re.compile("[\ufdd0-\ufdef\ufffe\uffff\U0001fffe\U0001ffff\U0002fffe\U0002ffff"
                           "\U0003fffe\U0003ffff\U0004fffe\U0004ffff\U0005fffe\U0005ffff\U0006fffe\U0006ffff"
                           "\U0007fffe\U0007ffff\U0008fffe\U0008ffff\U0009fffe\U0009ffff\U000afffe\U000affff"
                           "\U000bfffe\U000bffff\U000cfffe\U000cffff\U000dfffe\U000dffff\U000efffe\U000effff"
                           "\U000ffffe\U000fffff\U0010fffe\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BREAKS = re.compile("\r\n|[\r\n]")
_LINE_CONTROLS = re.compile("[\x00\x01\x05-\x0e\x10\x12-\x15\x17-\x1c\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SHARED_SCRIPTS = {"COMMON", "INHERITED"}
_ALLOWED_MIXES = (
    {"LATIN", "HAN", "HIRAGANA", "KATAKANA"},
    {"LATIN", "HAN", "BOPOMOFO"},
    {"LATIN", "HAN", "HANGUL"},
)


def unicode_problem(value: str) -> Optional[str]:
    """Why ``value`` is not text every wire can carry, or None."""
    if _SURROGATE.search(value):
        return "is not valid Unicode (a lone surrogate)"
    if _NONCHARACTER.search(value):
        return "contains a Unicode non-character"
    return None


def checked(value: str, field: str) -> str:
    """Valid Unicode, in NFC; raises :class:`errors.BadText` otherwise."""
    problem = unicode_problem(value)
    if problem is not None:
        raise errors.BadText(field, f"{field} {problem}")
    return unicodedata.normalize("NFC", value)


def message(value: str, field: str = "text") -> str:
    """Message text: valid, NFC, one line (breaks fold to spaces), no NUL."""
    value = checked(value, field)
    if "\r" in value or "\n" in value or "\x00" in value:
        value = _BREAKS.sub(" ", value).replace("\x00", "")
    return value


def lines(value: str, field: str = "text") -> str:
    """Multi-line message text: like :func:`message`, but line breaks stay (as ``\n``)."""
    value = _BREAKS.sub("\n", checked(value, field))
    return value.replace("\x00", "")


def line(value: str, field: str, limit: int) -> str:
    """A topic, away message, real name or reason: one line without controls, bounded."""
    value = _BREAKS.sub(" ", checked(value, field))
    return _LINE_CONTROLS.sub("", value)[:limit]


def name_problem(name: str) -> Optional[str]:
    """Why ``name`` (a room name, already NFC) could mislead or hide, or None."""
    for char in name:
        category = unicodedata.category(char)
        if category[0] in "CZ":  # controls, format, surrogates, private use, unassigned; spaces
            return f"contains an invisible or control character (U+{ord(char):04X})"
    scripts = set(categories.unique_aliases(name)) - _SHARED_SCRIPTS
    if len(scripts) > 1 and not any(scripts <= mix for mix in _ALLOWED_MIXES):
        return f"mixes scripts ({', '.join(sorted(scripts)).lower()})"
    return None


def printable(value: str) -> str:
    """``value`` made safe to echo in an error or a log: what is not a
    character, and control characters, are shown as U+FFFD."""
    if unicode_problem(value) is None and not _LINE_CONTROLS.search(value):
        return value
    value = _SURROGATE.sub("\ufffd", value)
    return _LINE_CONTROLS.sub("\ufffd", _NONCHARACTER.sub("\ufffd", value))
