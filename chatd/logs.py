"""Where chatd's log goes and how it looks: readable text or JSON lines.

twistd asks the application for an ``ILogObserver`` before it starts logging,
so the service tree hands it one built from ``--log-format``, ``--log-level``
and ``--log-file`` (default: standard output, which systemd's journal keeps).

JSON lines are written here rather than by Twisted's ``jsonFileLogObserver``:
that one serialises the raw event (the level as an object, the message as an
unfilled template), which is made for Twisted to read back, not for journald,
Loki or Elasticsearch.  Ours is one flat object a line: ``time`` (ISO 8601,
UTC), ``level``, ``msg`` (formatted), ``logger``, the event's own fields
(``user``, ``room``, ``address``, ``node``, ...) where they are plain values,
and ``traceback`` for a failure.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from twisted.logger import (
    FilteringLogObserver,
    ILogObserver,
    Logger,
    LogLevel,
    LogLevelFilterPredicate,
    formatEvent,
    textFileLogObserver,
)
from twisted.python.failure import Failure
from zope.interface import implementer

LEVELS = ("debug", "info", "warn", "error", "critical")


def make_observer(fmt: str = "text", level: str = "info", path: str = "-") -> LevelledObserver:
    stream: IO[str] = sys.stdout if path == "-" else open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    inner = JSONLines(stream) if fmt == "json" else textFileLogObserver(stream)
    return LevelledObserver(inner, level)


@implementer(ILogObserver)
class LevelledObserver:
    """Drops events below the log level, which a reload may change (``set_level``)."""

    def __init__(self, inner: ILogObserver, level: str) -> None:
        self.level = level
        self.predicate = LogLevelFilterPredicate(defaultLogLevel=LogLevel.levelWithName(level))
        self.filtered = FilteringLogObserver(inner, [self.predicate])

    def set_level(self, level: str) -> None:
        self.level = level
        self.predicate.setLogLevelForNamespace("", LogLevel.levelWithName(level))

    def __call__(self, event: dict[str, Any]) -> None:
        self.filtered(event)


PLAIN = (str, int, float, bool, type(None))


def json_record(event: dict[str, Any]) -> dict[str, Any]:
    """One log event as the flat object a JSON log line holds."""
    level = event.get("log_level")
    when = event.get("log_time")
    record: dict[str, Any] = {
        "time": datetime.fromtimestamp(when if isinstance(when, (int, float)) else 0, UTC)
        .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": getattr(level, "name", "info"),
        "msg": formatEvent(event),
        "logger": event.get("log_namespace") or "-",
    }
    for key, value in event.items():
        if not key.startswith("log_") and key not in record and isinstance(value, PLAIN):
            record[key] = value
    failure = event.get("log_failure")
    if isinstance(failure, Failure):
        record["traceback"] = failure.getTraceback()
    return record


@implementer(ILogObserver)
class JSONLines:
    """An ``ILogObserver`` writing one JSON object a line (:func:`json_record`)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def __call__(self, event: dict[str, Any]) -> None:
        try:
            line = json.dumps(json_record(event), ensure_ascii=False, default=str)
        except Exception as error:  # a log line must never take the daemon down
            line = json.dumps({"level": "error", "msg": f"unloggable event: {error}", "logger": "chatd.logs"})
        self.stream.write(line + "\n")
        self.stream.flush()


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
