"""A terminal's connection carried here from the node it connected to (a cluster).

The person it signs in as is held here (:mod:`chatd.cluster.relay`).  The node the terminal
reached keeps telnet itself (its options, IAC escaping) and moves the keys and the output; here
the chat connection runs as usual, the line editor included, starting where the other node left
off: signed in, the nick asked for, echo and window size as negotiated there.  Ctrl-C (IAC IP)
comes as the key it stands for, a window resized later (NAWS) as its new size.
"""

from __future__ import annotations

from typing import Any

from .connection import EARLY_LINES, TelnetConnection
from .transport import TelnetFactory


class CarriedTelnet(TelnetConnection):
    def connection_opened(self) -> None:
        """Greeted and negotiated where it connected."""

    def resume(self, state: dict[str, Any]) -> None:
        self.colors = bool(state.get("colors"))
        self.format_key = ("telnet", self.colors)
        self.session.device = str(state.get("device") or "")
        if state.get("account"):
            self.session.sign_in.logged_in(str(state["account"]))
        if state.get("editing"):
            width, height = (state.get("window") or (80, 24))[:2]
            self.editing.window = (int(width), int(height))
            self.editing.start()
        self.early = [str(line) for line in state.get("early") or ()][:EARLY_LINES]
        self.run(self.pick_nick(str(state.get("nick") or "")), "telnet registration", self.internal_error)

    def relay_option(self, name: str, value: Any) -> None:
        if name == "window" and isinstance(value, list) and len(value) == 2:  # resized there (NAWS)
            self.editing.window_size([max(0, min(int(n), 0xFFFF)).to_bytes(2, "big") for n in value])


TelnetFactory.relayed_class = CarriedTelnet
