from __future__ import annotations

from typing import Iterator

import pytest

from .support import Daemon


@pytest.fixture
def daemon(tmp_path) -> Iterator[Daemon]:
    """One chatd process on its embedded defaults, with OS-picked ports."""
    d = Daemon(state_dir=tmp_path).start()
    yield d
    d.kill()
