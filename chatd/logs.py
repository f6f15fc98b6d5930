"""Where chatd's log goes and how it looks: readable text or JSON lines.

twistd asks the application for an ``ILogObserver`` before it starts logging,
so the service tree hands it one built from ``--log-format``, ``--log-level``
and ``--log-file`` (default: standard output, which systemd's journal keeps).
"""

from __future__ import annotations

import sys
from typing import IO

from twisted.logger import (
    FilteringLogObserver,
    ILogObserver,
    LogLevel,
    LogLevelFilterPredicate,
    jsonFileLogObserver,
    textFileLogObserver,
)

LEVELS = ("debug", "info", "warn", "error", "critical")


def make_observer(fmt: str = "text", level: str = "info", path: str = "-") -> ILogObserver:
    stream: IO[str] = sys.stdout if path == "-" else open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    # recordSeparator="": one JSON object per line, what journald and log shippers expect.
    inner = jsonFileLogObserver(stream, recordSeparator="") if fmt == "json" else textFileLogObserver(stream)
    predicate = LogLevelFilterPredicate(defaultLogLevel=LogLevel.levelWithName(level))
    return FilteringLogObserver(inner, [predicate])
