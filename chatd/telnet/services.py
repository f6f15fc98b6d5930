"""NickServ and ChanServ for telnet: ``/msg NickServ IDENTIFY pw`` as on IRC, answered in
``-NickServ- ...`` lines (the services say themselves when one signs in or out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from ..services import serve
from .ansi import terminal_safe

if TYPE_CHECKING:
    from .terminal import Terminal


class TelnetServiceUser:
    """The services' answers as ``-NickServ- ...`` lines; they say themselves when one signs in."""

    def __init__(self, conn: Terminal) -> None:
        self.conn = conn
        self.session = conn.session

    def service_says(self, service: str, text: str) -> None:
        self.conn.write(f"-{service}- {terminal_safe(text, self.conn.colors)}\r\n".encode())

    def signed_in(self, account: str) -> None:
        pass

    def signed_out(self) -> None:
        pass

    def certificate(self) -> Optional[str]:
        return None


def to_service(conn: Terminal, service: str, text: str) -> None:
    """Words for ``service``, answered in order with the connection's other lines."""
    conn.run(serve(TelnetServiceUser(conn), service, text, conn.factory.room_hooks), f"telnet {service}",
             conn.internal_error)
