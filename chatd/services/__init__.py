"""The network's services, NickServ and ChanServ, for every protocol.

A person on IRC types ``/msg NickServ IDENTIFY pw``; a web or telnet user
sends the same words to the same nick.  Either way the words come here, not
to a user: the service nicks are reserved (``core.limits.SERVICE_NICKS``), so
nobody can hold them, and a message to one must reach the service itself.
What a service does is the session's (:mod:`chatd.core.signin`,
:mod:`chatd.core.moderating`); how its answers look is the adapter's, through
:class:`~chatd.services.user.ServiceUser`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ..core.casemap import casefold
from .chanserv import chanserv
from .nickserv import nickserv

if TYPE_CHECKING:
    from .user import ServiceUser

#: The services that answer, by folded nick.
SERVICES = {"nickserv": "NickServ", "chanserv": "ChanServ"}


def service_named(target: str) -> Optional[str]:
    """The service ``target`` names (``NickServ``), or None for anyone else."""
    return SERVICES.get(casefold(target))


async def serve(user: ServiceUser, service: str, text: str, room_hooks: Any = None) -> None:
    """Carry out ``text`` sent to ``service`` (one of :data:`SERVICES`' values)."""
    words = text.split()
    if service == "NickServ":
        await nickserv(user, words)
    else:
        await chanserv(user, words, room_hooks)
