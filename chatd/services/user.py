"""What a service needs of the connection that speaks to it: its session, and how to answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Protocol

if TYPE_CHECKING:
    from ..core.session import Session


class ServiceUser(Protocol):
    """One connection as the services see it; each adapter renders the answers its own way
    (IRC: a NOTICE from ``NickServ!NickServ@services.<server>`` and numerics 900/901; the web: a
    notice message frame; telnet: a ``-NickServ-`` line)."""

    @property
    def session(self) -> Session: ...

    def service_says(self, service: str, text: str) -> None:
        """One line of ``service``'s answer, to this connection only."""

    def signed_in(self, account: str) -> None:
        """The session logged in to ``account`` through a service."""

    def signed_out(self) -> None:
        """The session logged out through a service."""

    def certificate(self) -> Optional[str]:
        """The fingerprint of the TLS client certificate this connection showed, if any."""
