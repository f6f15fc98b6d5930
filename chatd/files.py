"""Files only the server's user may read (0600, whatever the umask), written whole.

The state directory's small files (who stays while disconnected, the Web Push key) are written
to a temporary name and renamed into place, so a crash mid-write leaves the old file, never half
of a new one.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(temporary, path)
