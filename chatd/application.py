"""The top of chatd's service tree: logging set-up and SIGHUP.

twistd asks the application for its log observer right after ``makeService``,
so the top service hands over the one chatd's options describe.  SIGHUP
re-reads what can change without a restart: TLS certificates (the MOTD file
is read on every request anyway).
"""

from __future__ import annotations

import signal
from typing import Any, Callable, Optional

from twisted.application import service
from twisted.logger import ILogObserver, Logger

from .logs import route_standard_logging

log = Logger()


class ChatdService(service.MultiService):
    def __init__(self, observer: Optional[ILogObserver] = None, reactor: Any = None) -> None:
        super().__init__()
        self.observer = observer
        self.reloaders: list[Callable[[], Any]] = []
        self.reactor = reactor

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
        log.info("SIGHUP: reloading TLS certificates")
        for reloader in self.reloaders:
            reloader()
