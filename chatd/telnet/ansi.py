"""What other people's text may do on a terminal: nothing but show.

Text from others reaches a telnet user's terminal through :func:`terminal_safe`:
every control character is made inert (ESC, OSC, C1 such as ``\\x9b`` CSI,
DEL, bidi overrides) so nobody can move a cursor, set a title, plant a
hyperlink or rewrite another line.  IRC formatting (bold, colours, ...) is
removed, or, for a user who asked with ``/colors on``, translated into ANSI
SGR sequences that chatd itself writes, always reset at the end of the line.
"""

from __future__ import annotations

import re

BOLD, ITALIC, UNDERLINE, REVERSE, STRIKE, RESET, COLOUR, HEX, MONO = (
    "\x02", "\x1d", "\x1f", "\x16", "\x1e", "\x0f", "\x03", "\x04", "\x11")
_TOGGLES = {BOLD: "1", ITALIC: "3", UNDERLINE: "4", REVERSE: "7", STRIKE: "9"}
# mIRC colour numbers 0-15 as ANSI foreground codes.
_MIRC = ["97", "30", "34", "32", "91", "31", "35", "33", "93", "92", "36", "96", "94", "95", "90", "37"]
_FORMAT = re.compile(r"\x03(\d{1,2})?(?:,(\d{1,2}))?"
                     r"|\x04(?:[0-9a-fA-F]{6})?(?:,[0-9a-fA-F]{6})?"
                     r"|[\x02\x0f\x11\x16\x1d\x1e\x1f]")
# Controls other than tab and IRC's formatting codes, DEL, C1, bidi overrides and isolates.
_UNSAFE = re.compile("[\x00\x01\x05-\x08\x0a-\x0e\x10\x12-\x15\x17-\x1c\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_formatting(text: str) -> str:
    return _FORMAT.sub("", text)


def to_ansi(text: str) -> str:
    """IRC formatting as ANSI SGR; codes we cannot show are dropped."""
    on: dict[str, str] = {}
    colours: list[str] = []
    out: list[str] = []
    used = False
    pos = 0
    for match in _FORMAT.finditer(text):
        out.append(text[pos : match.start()])
        pos = match.end()
        code = match.group(0)[0]
        if code in _TOGGLES:
            if code in on:
                del on[code]
            else:
                on[code] = _TOGGLES[code]
        elif code == RESET:
            on.clear()
            colours = []
        elif code == COLOUR:
            fg, bg = match.group(1), match.group(2)
            colours = []
            if fg is not None and int(fg) < 16:
                colours.append(_MIRC[int(fg)])
            if bg is not None and int(bg) < 16:
                colours.append(str(int(_MIRC[int(bg)]) + 10))
        else:
            continue  # hex colours and monospace: nothing portable to show
        out.append("\x1b[" + ";".join(["0", *on.values(), *colours]) + "m")
        used = True
    out.append(text[pos:])
    return "".join(out) + ("\x1b[0m" if used else "")


def terminal_safe(text: str, colors: bool = False) -> str:
    """Someone else's text, ready for a terminal: formatting shown or dropped, controls inert."""
    if colors:
        return to_ansi(_UNSAFE.sub("?", text))
    return _UNSAFE.sub("?", strip_formatting(text))
