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


#: The core's modules whose job is the people other nodes hold (their stand-in client, the replica).
ABOUT_OTHER_NODES = {"remote.py", "replica.py"}


def test_the_core_has_no_cluster_branches():
    """Rules and sessions never ask where a user lives or whether Redis is up:
    the publisher decides how things travel, fan-out skips remote users, and a
    change another node made is applied like one made here (changes.py)."""
    cluster_words = {"bridge", "up", "node", "RemoteClient", "is_remote", "redis"}
    checked = 0
    for path in sorted((PACKAGE / "core").glob("*.py")):
        if path.name in ABOUT_OTHER_NODES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        assert not used & cluster_words, (path.name, used & cluster_words)
        checked += 1
    assert checked > 25


def package_imports(package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (also under TYPE_CHECKING)."""
    folder = PACKAGE / package
    modules = {p.stem for p in folder.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module is None:
                    edges.update(a.name for a in node.names if a.name in modules)
                elif node.module.split(".")[0] in modules:
                    edges.add(node.module.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                parts = node.module.split(".")
                if parts[:2] == ["chatd", package] and len(parts) > 2:
                    edges.add(parts[2])
        graph[path.stem] = edges - {path.stem, "__init__"}
    return graph


def circle_in(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of ``graph`` (as the modules along it), or [] if there is none."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for nxt in sorted(graph.get(module, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[module] = 2
        path.pop()
        return []

    for module in sorted(graph):
        if module not in state:
            found = visit(module)
            if found:
                return found
    return []


PACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circles(package):
    """Each module of every package (the core, the cluster, each adapter) can be read knowing only
    what it imports: commands are written against small interfaces (irc/context.py, ws/surface.py,
    telnet/terminal.py), never against the connection that imports them."""
    graph = package_imports(package)
    assert circle_in(graph) == []


def test_every_package_is_checked_for_circles():
    assert {"core", "cluster", "irc", "ws", "telnet", "api", "net"} <= set(PACKAGES)


def test_the_circle_finder_finds_a_circle():
    assert circle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert circle_in({"a": {"b"}, "b": set()}) == []


def test_no_module_is_too_long_to_read():
    long = {p.relative_to(PACKAGE).as_posix(): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
