"""NickServ and ChanServ for the web: a ``msg`` frame to a service is carried out by it.

The answer lines come as notice ``message`` frames from the service (no id:
they are not stored, and only this browser sees them); a sign-in or
sign-out through NickServ is told with ``logged_in`` (with a session token,
as a ``login`` frame's answer) or ``logged_out`` frames without a request id.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Optional

from ..services import serve

if TYPE_CHECKING:
    from ..core.session import Session
    from .surface import WebConnection


class WebServiceUser:
    def __init__(self, conn: WebConnection) -> None:
        self.conn = conn
        self.account: Optional[str] = None
        self.left = False

    @property
    def session(self) -> Session:
        return self.conn.session

    def service_says(self, service: str, text: str) -> None:
        self.conn.send({"type": "message", "time": time.time(), "to": self.session.nick, "from": service,
                        "protocol": "service", "kind": "notice", "text": text, "service": True})

    def signed_in(self, account: str) -> None:
        self.account = account

    def signed_out(self) -> None:
        self.left = True

    def certificate(self) -> Optional[str]:
        return None


def to_service(conn: WebConnection, request: dict[str, Any], service: str, text: str) -> None:
    """The words go to ``service``; the request is acknowledged once it has answered."""
    user = WebServiceUser(conn)

    async def work() -> None:
        await serve(user, service, text, conn.factory.room_hooks)
        if user.account is not None:
            conn.send({"type": "logged_in", "account": user.account, "token": await conn.session.sign_in.issue_token()})
        elif user.left:
            conn.send({"type": "logged_out", "revoked": 0})
        conn.answer(request, {"type": "ack", "service": service})

    conn.run(work(), f"web {service}", lambda: conn.internal_error(request))
