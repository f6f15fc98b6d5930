"""The shape the code promises: a core free of Twisted, Autobahn and Redis,
and no module too long to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import chatd

pytestmark = pytest.mark.unit
PACKAGE = Path(chatd.__file__).resolve().parent
MAX_LINES = 420


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_core_imports_no_twisted_autobahn_or_redis():
    for path in (PACKAGE / "core").glob("*.py"):
        assert not imported(path) & {"twisted", "autobahn", "txredisapi", "redis", "zope"}, path.name


def test_the_core_has_no_cluster_branches():
    """Rules and sessions never ask where a user lives or whether Redis is up:
    the publisher decides how things travel, fan-out skips remote users."""
    cluster_words = {"bridge", "up", "node", "RemoteClient", "is_remote", "redis"}
    for name in ("network.py", "session.py", "delivery.py", "rooms.py", "users.py"):
        tree = ast.parse((PACKAGE / "core" / name).read_text(encoding="utf-8"))
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        assert not used & cluster_words, (name, used & cluster_words)


def test_no_module_is_too_long_to_read():
    long = {p.relative_to(PACKAGE).as_posix(): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
