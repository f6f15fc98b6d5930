"""Test tiers and shared fixtures.

Every test belongs to exactly one tier (a marker declared in pytest.ini):
``unit`` (no sockets, no processes, no running reactor), ``integration``,
``browser``, ``cluster`` or ``bench``.  ``python -m pytest -m unit`` runs the
fast tier alone; CI runs them all.  A unit test that opens a network socket
fails, so the tier stays what it says.
"""

from __future__ import annotations

import os
import socket
import tempfile
from typing import Iterator

# Hypothesis caches data under .hypothesis/ in the working folder: not in the checkout.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "chatd-hypothesis"))

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from .support.processes import Daemon  # noqa: E402

TIERS = ("unit", "integration", "browser", "cluster", "bench")

# Hypothesis keeps no example database (it would write into the checkout).
# "long" digs deeper when run by hand: python -m pytest tests/test_fuzz.py --hypothesis-profile long
settings.register_profile("default", max_examples=120, database=None)
settings.register_profile("long", max_examples=3000, database=None)
settings.load_profile("default")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tiers = [name for name in TIERS if item.get_closest_marker(name) is not None]
        if len(tiers) != 1:
            raise pytest.UsageError(f"{item.nodeid}: needs exactly one tier marker of {TIERS}, has {tiers}")


@pytest.fixture(autouse=True)
def _unit_tests_open_no_sockets(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("unit") is None:
        return

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a unit test opened a network socket: mark it integration")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "bind", refuse)


@pytest.fixture
def daemon(tmp_path) -> Iterator[Daemon]:
    """One chatd process on its embedded defaults, with OS-picked ports."""
    d = Daemon(state_dir=tmp_path).start()
    yield d
    d.kill()


@pytest.fixture(autouse=True)
def _tests_never_write_state_into_the_checkout() -> Iterator[None]:
    """A test whose daemon or tool fell back to the default ``./chatd-data`` in the checkout fails."""
    from .support.parts import ROOT

    state = ROOT / "chatd-data"
    existed = state.exists()
    yield
    if not existed and state.exists():
        pytest.fail("this test made ./chatd-data in the checkout: give its daemon or tool a --state-dir")
