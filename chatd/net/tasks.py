"""Running coroutines from Twisted code, with one error policy.

The core and the adapters write what may wait (claiming a nick across the
cluster, reading history) as ``async def``; Twisted drives them as Deferreds
only here, at the edge.  :func:`spawn` is the one place a failure that nobody
expected is handled: it is logged once, with what was being done, and the
caller's ``crashed`` callback tells the client its request was not carried
out.  No Deferred made here can end with an unhandled error.
"""

from __future__ import annotations

from typing import Any, Callable, Coroutine, Optional, TypeVar

from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure

log = Logger()
T = TypeVar("T")


def spawn(
    coroutine: Coroutine[Any, Any, T],
    what: str,
    crashed: Optional[Callable[[], None]] = None,
) -> defer.Deferred[Optional[T]]:
    """Run ``coroutine`` now (up to its first wait); log and report a crash once."""

    def failed(failure: Failure) -> None:
        log.failure("{what} failed", failure, what=what)
        if crashed is not None:
            try:
                crashed()
            except Exception:
                log.failure("reporting that {what} failed, failed too", what=what)
        return None

    return defer.ensureDeferred(coroutine).addErrback(failed)
