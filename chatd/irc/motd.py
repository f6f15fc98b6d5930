"""The message of the day, read from its file on each request.

Without ``--motd-file`` chatd shows the default one it ships
(``contrib/defaults/motd.txt``, installed as ``chatd.defaults``), so a fresh
server greets people instead of answering "MOTD File is missing".
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import chatd


def default_motd() -> Optional[Path]:
    package = Path(chatd.__file__).resolve().parent
    for candidate in (package / "defaults" / "motd.txt", package.parent / "contrib" / "defaults" / "motd.txt"):
        if candidate.is_file():
            return candidate
    return None


def motd_reader(path: Optional[str]) -> Callable[[], Optional[list[str]]]:
    """Read the MOTD file on each request, so edits show without a restart."""

    def read() -> Optional[list[str]]:
        chosen = Path(path) if path is not None else default_motd()
        if chosen is None:
            return None
        try:
            return chosen.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None

    return read
