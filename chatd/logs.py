"""Where chatd's log goes and how it looks: readable text or JSON lines.

twistd asks the application for an ``ILogObserver`` before it starts logging,
so the service tree hands it one built from ``--log-format``, ``--log-level``
and ``--log-file`` (default: standard output, which systemd's journal keeps).
"""

from __future__ import annotations

import logging
import sys
from typing import IO

from twisted.logger import (
    FilteringLogObserver,
    ILogObserver,
    Logger,
    LogLevel,
    LogLevelFilterPredicate,
    jsonFileLogObserver,
    textFileLogObserver,
)
from twisted.python.failure import Failure

LEVELS = ("debug", "info", "warn", "error", "critical")


def make_observer(fmt: str = "text", level: str = "info", path: str = "-") -> ILogObserver:
    stream: IO[str] = sys.stdout if path == "-" else open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    # recordSeparator="": one JSON object per line, what journald and log shippers expect.
    inner = jsonFileLogObserver(stream, recordSeparator="") if fmt == "json" else textFileLogObserver(stream)
    predicate = LogLevelFilterPredicate(defaultLogLevel=LogLevel.levelWithName(level))
    return FilteringLogObserver(inner, [predicate])


class _ToTwisted(logging.Handler):
    """Hands records of the standard library's ``logging`` (the core logs that
    way, to stay free of Twisted) to Twisted's log, so they land in the same
    place, format and filter as everything else."""

    log = Logger(namespace="chatd")
    LEVELS = {logging.DEBUG: LogLevel.debug, logging.INFO: LogLevel.info, logging.WARNING: LogLevel.warn,
              logging.ERROR: LogLevel.error, logging.CRITICAL: LogLevel.critical}

    def emit(self, record: logging.LogRecord) -> None:
        level = self.LEVELS.get(record.levelno, LogLevel.error)
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            self.log.failure("{text}", Failure(record.exc_info[1], record.exc_info[0], record.exc_info[2]),
                             level=level, text=text)
        else:
            self.log.emit(level, "{text}", text=text)


def route_standard_logging() -> None:
    """Send ``logging.getLogger("chatd")`` records to Twisted's log (once)."""
    logger = logging.getLogger("chatd")
    if not any(isinstance(h, _ToTwisted) for h in logger.handlers):
        logger.addHandler(_ToTwisted())
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
