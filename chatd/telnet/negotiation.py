"""Strip telnet protocol bytes (IAC sequences) from what a client sends.

A telnet client may open with option negotiation (``IAC DO ...``) and send
``IAC IP`` on Ctrl-C.  None of that is text, so none of it may reach a room.
The filter keeps its state across reads because a sequence can be split.
"""

from __future__ import annotations

IAC, SB, SE = 255, 250, 240
WILL, WONT, DO, DONT = 251, 252, 253, 254

_TEXT, _COMMAND, _OPTION, _SUB, _SUB_IAC = range(5)


class TelnetFilter:
    def __init__(self) -> None:
        self.state = _TEXT

    def feed(self, data: bytes) -> bytes:
        if self.state == _TEXT and IAC not in data:
            return data
        out = bytearray()
        state = self.state
        for byte in data:
            if state == _TEXT:
                if byte == IAC:
                    state = _COMMAND
                else:
                    out.append(byte)
            elif state == _COMMAND:
                if byte == IAC:  # escaped 0xFF data byte: not valid UTF-8 text anyway
                    state = _TEXT
                elif byte in (WILL, WONT, DO, DONT):
                    state = _OPTION
                elif byte == SB:
                    state = _SUB
                else:
                    state = _TEXT
            elif state == _OPTION:
                state = _TEXT
            elif state == _SUB:
                if byte == IAC:
                    state = _SUB_IAC
            elif state == _SUB_IAC:
                state = _TEXT if byte == SE else _SUB
        self.state = state
        return bytes(out)
