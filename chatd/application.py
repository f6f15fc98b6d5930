"""The top of chatd's service tree: logging set-up and SIGHUP.

twistd asks the application for its log observer right after ``makeService``,
so the top service hands over the one chatd's options describe.  SIGHUP
reads the whole configuration again (:mod:`chatd.reload`): operators, limits,
the log level, TLS certificates (the MOTD file is read on every request anyway).
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Any, Callable, Optional

from twisted.application import service
from twisted.logger import ILogObserver, Logger

from .logs import LevelledObserver, route_standard_logging

if TYPE_CHECKING:
    from .reload import Reloader

log = Logger()


class ChatdService(service.MultiService):
    def __init__(self, observer: Optional[LevelledObserver] = None, reactor: Any = None) -> None:
        super().__init__()
        self.observer = observer
        self.reloaders: list[Callable[[], Any]] = []  # TLS certificates, one per listener
        self.reloader: Optional[Reloader] = None  # the whole configuration, once the tree is built
        self.reactor = reactor
        self.outgoing: Any = None  # outgoing webhooks (chatd/api/outgoing.py), for /metrics
        self.room_hooks: Any = None  # what ChanServ HOOK manages (chatd/api/roomhooks.py)

    def setServiceParent(self, parent: Any) -> Any:
        if self.observer is not None and hasattr(parent, "setComponent"):
            parent.setComponent(ILogObserver, self.observer)
        return super().setServiceParent(parent)

    def startService(self) -> None:
        route_standard_logging()
        super().startService()
        if self.reactor is not None and hasattr(self.reactor, "callFromThread") and hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, lambda *_: self.reactor.callFromThread(self.reload))

    def reload(self) -> None:
        log.info("SIGHUP: reloading the configuration")
        if self.reloader is not None:
            self.reloader.reload()
        else:
            for reload_certificates in self.reloaders:
                reload_certificates()
