"""systemd's notify protocol, in a few lines and no dependency.

With ``Type=notify`` systemd waits for ``READY=1`` on the datagram socket named
by ``$NOTIFY_SOCKET`` before it calls the service started; ``WATCHDOG=1`` must
then arrive at least every ``$WATCHDOG_USEC`` if the unit sets ``WatchdogSec``,
and ``STOPPING=1`` says a shutdown is under way.  Outside systemd (no
``NOTIFY_SOCKET``) every call does nothing.
"""

from __future__ import annotations

import os
import socket
from typing import Mapping, Optional

from twisted.application import internet, service
from twisted.logger import Logger

log = Logger()


class Notifier:
    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        address = environ.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):
            address = "\0" + address[1:]  # abstract namespace
        self.address: Optional[str] = address or None
        usec = environ.get("WATCHDOG_USEC", "")
        self.watchdog_interval: Optional[float] = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else None

    def notify(self, state: str) -> bool:
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.setblocking(False)
                sock.sendto(state.encode("utf-8"), self.address)
        except OSError as error:
            log.warn("cannot notify systemd ({state}): {error}", state=state, error=error)
            return False
        return True


class NotifyService(service.MultiService):
    """READY=1 once listening (via the ready announcer), STOPPING=1 on stop, and the watchdog."""

    def __init__(self, notifier: Notifier) -> None:
        super().__init__()
        self.notifier = notifier
        if notifier.watchdog_interval:
            internet.TimerService(notifier.watchdog_interval, notifier.notify, "WATCHDOG=1").setServiceParent(self)

    def ready(self) -> None:
        self.notifier.notify(f"READY=1\nSTATUS=Serving\nMAINPID={os.getpid()}")

    def stopService(self) -> object:
        self.notifier.notify("STOPPING=1\nSTATUS=Shutting down")
        return super().stopService()
