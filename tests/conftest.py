"""Test tiers and shared fixtures.

Every test belongs to exactly one tier (a marker declared in pytest.ini):
``unit`` (no sockets, no processes, no running reactor), ``integration``,
``browser``, ``cluster`` or ``bench``.  ``python -m pytest -m unit`` runs the
fast tier alone; CI runs them all.  A unit test that opens a network socket
fails, so the tier stays what it says.
"""

from __future__ import annotations

import socket
from typing import Iterator

import pytest

from .support.processes import Daemon

TIERS = ("unit", "integration", "browser", "cluster", "bench")


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
