"""The message of the day, read from its file on each request."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional


def motd_reader(path: Optional[str]) -> Callable[[], Optional[list[str]]]:
    """Read the MOTD file on each request, so edits show without a restart."""

    def read() -> Optional[list[str]]:
        if path is None:
            return None
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None

    return read
