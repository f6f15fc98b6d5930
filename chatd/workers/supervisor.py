"""The supervisor of ``--workers N``: it starts N workers, tells systemd when all are ready,
restarts one that dies, and passes SIGHUP and SIGTERM on to all.

It serves no clients and opens no store; each worker is a whole chatd run as
``twistd --nodaemon chatd <the same arguments>`` (this Python, this Twisted) with its own ``--state-dir``
(``<state-dir>/worker-<i>``: its outbox and webhook queue), the shared ``--upload-dir``
(``<state-dir>/files`` unless one is given, so every worker serves every file) and its own
``--node-name`` (``<node-name or host>-w<i>-<4 random hex digits>``, new at every start).
Workers write their logs to the supervisor's standard output and error, which they inherit.

A worker that dies before it was ever ready is a start-up mistake (a bad option, a port in use):
the supervisor stops the others and exits with that worker's status, after the worker's own
one-line reason.  One that dies later is started again (after 0.5 s, doubling while it keeps
dying within 10 s of its start, up to 30 s); the new worker makes the old one's people quit at
once (:mod:`.role`).
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from pathlib import Path
from typing import Any, Optional

from twisted.application import service
from twisted.internet import defer, protocol
from twisted.logger import Logger

from ..shutdown import clean_exit
from ..systemd import NotifyService
from .role import PARENT, READY_FD, REPLACES, WORKER

log = Logger()

TWISTD = "import sys; from twisted.scripts.twistd import run; sys.exit(run())"
UNSET_FOR_WORKERS = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID")


class Worker(protocol.ProcessProtocol):
    def __init__(self, supervisor: Supervisor, index: int, node: str, started: float) -> None:
        self.supervisor = supervisor
        self.index = index
        self.node = node
        self.started = started
        self.ready = False
        self.ended: defer.Deferred[None] = defer.Deferred()

    @property
    def pid(self) -> Optional[int]:
        return getattr(self.transport, "pid", None)

    def childDataReceived(self, fd: int, data: bytes) -> None:  # noqa: N802
        if fd == 3 and b"ready" in data and not self.ready:
            self.ready = True
            self.supervisor.worker_ready(self)

    def processEnded(self, reason: Any) -> None:  # noqa: N802
        self.supervisor.worker_ended(self, reason.value)
        self.ended.callback(None)

    def signal(self, name: str) -> None:
        if self.transport is None:
            return
        try:
            self.transport.signalProcess(name)
        except Exception:  # already gone (ProcessExitedAlready)
            pass


class Supervisor(service.Service):
    def __init__(self, reactor: Any, arguments: list[str], count: int, state_dir: str, upload_dir: str,
                 node_base: str, notify: NotifyService, stop_timeout: float) -> None:
        self.reactor = reactor
        self.arguments = arguments
        self.count = count
        self.state_dir = Path(state_dir)
        self.upload_dir = upload_dir
        self.node_base = node_base
        self.notify = notify
        self.stop_timeout = stop_timeout
        self.workers: dict[int, Worker] = {}
        self.delays: dict[int, float] = {}
        self.announced = False
        self.stopping = False
        self.failed: Optional[int] = None

    def folder(self, index: int) -> Path:
        """Worker ``index``'s state folder: its outbox and webhook queue."""
        return self.state_dir / f"worker-{index}"

    def command(self, index: int, node: str) -> list[str]:
        own = ["--state-dir", str(self.folder(index)), "--node-name", node]
        if self.upload_dir:
            own += ["--upload-dir", self.upload_dir]
        return [sys.executable, "-c", TWISTD, "--nodaemon", "--pidfile=", "chatd", *self.arguments, *own]

    def startService(self) -> None:
        super().startService()
        self.reactor.addSystemEventTrigger("after", "shutdown", self._exit)
        for folder in [self.folder(i) for i in range(self.count)] + (
                [Path(self.upload_dir)] if self.upload_dir else []):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # made once, before workers check them
        for index in range(self.count):
            self.spawn(index)

    def spawn(self, index: int, replaces: str = "") -> None:
        if self.stopping:
            return
        # A fresh name each start: a worker never mistakes what a crashed one left in Redis for its own.
        node = f"{self.node_base}-w{index}-{secrets.token_hex(2)}"
        env = {k: v for k, v in os.environ.items() if k not in UNSET_FOR_WORKERS}
        env.update({WORKER: f"{index}/{self.count}", READY_FD: "3", PARENT: str(os.getpid())})
        if replaces:
            env[REPLACES] = replaces
        worker = Worker(self, index, node, self.reactor.seconds())
        args = self.command(index, node)
        self.reactor.spawnProcess(worker, args[0], args, env=env, childFDs={0: "w", 1: 1, 2: 2, 3: "r"})
        self.workers[index] = worker
        log.info("worker {index} starting (node {node}, pid {pid})", index=index, node=node, pid=worker.pid)

    def worker_ready(self, worker: Worker) -> None:
        log.info("worker {index} ready (node {node}, pid {pid})", index=worker.index, node=worker.node,
                 pid=worker.pid)
        if not self.announced and len(self.workers) == self.count and all(w.ready for w in self.workers.values()):
            self.announced = True
            log.info("chatd workers ready: {n} workers share the listeners", n=self.count)
            self.notify.ready()

    def worker_ended(self, worker: Worker, how: Any) -> None:
        if self.workers.get(worker.index) is worker:
            del self.workers[worker.index]
        code, killed = getattr(how, "exitCode", None), getattr(how, "signal", None)
        said = f"killed by signal {killed}" if killed else f"exit status {code}"
        if self.stopping:
            log.info("worker {index} stopped ({said})", index=worker.index, said=said)
            return
        if not worker.ready and not self.announced:  # a start-up mistake: the worker said why
            log.error("worker {index} did not start ({said}); stopping", index=worker.index, said=said)
            self.failed = code or 1
            self.reactor.stop()
            return
        quick = self.reactor.seconds() - worker.started < 10
        delay = min(30.0, self.delays.get(worker.index, 0.25) * 2) if quick else 0.5
        self.delays[worker.index] = delay
        log.warn("worker {index} (node {node}) ended ({said}); starting it again in {delay} s",
                 index=worker.index, node=worker.node, said=said, delay=delay)
        self.reactor.callLater(delay, self.spawn, worker.index, worker.node)

    def reload(self) -> None:
        """SIGHUP: every worker reads the configuration again."""
        for worker in list(self.workers.values()):
            worker.signal("HUP")

    def stopService(self) -> defer.Deferred[Any]:
        super().stopService()
        self.stopping = True
        workers = list(self.workers.values())
        for worker in workers:
            worker.signal("TERM")
        # Each worker closes its connections within --shutdown-timeout; a hung one is killed after.
        def kill() -> None:
            for worker in workers:
                worker.signal("KILL")

        late = self.reactor.callLater(self.stop_timeout + 10, kill)
        done = defer.DeferredList([w.ended for w in workers])
        done.addBoth(lambda result: late.cancel() if late.active() else None)
        return done

    def _exit(self) -> None:
        clean_exit(self.reactor)  # stopped by SIGTERM on purpose: a success, as a worker's
        if self.failed is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(self.failed)


def supervise(options: Any, reactor: Any, top: Any, notify: NotifyService) -> Supervisor:
    """The supervisor for ``options`` (``workers`` above 1), under ``top``."""
    upload_dir = "" if options["no-uploads"] else (options["upload-dir"] or str(Path(options["state-dir"]) / "files"))
    node_base = options["node-name"] or socket.gethostname() or "chatd"
    supervisor = Supervisor(reactor, list(options.argv), options["workers"], options["state-dir"], upload_dir,
                            node_base, notify, options["shutdown-timeout"])
    supervisor.setServiceParent(top)
    top.reloaders.append(supervisor.reload)
    return supervisor
