"""What a worker process knows of itself, from the environment its supervisor gave it.

``CHATD_WORKER`` is ``index/count``; ``CHATD_WORKER_READY_FD`` a pipe on which the worker says
``ready`` once its listeners are bound (the supervisor tells systemd when every worker has);
``CHATD_WORKER_REPLACES`` the node name of the worker it replaces after a crash, whose people the
new one makes quit at once (instead of after ``--node-timeout``); ``CHATD_WORKER_PARENT`` the
supervisor's pid: a worker stops when its supervisor is gone, however it went.
"""

from __future__ import annotations

import os
import signal
from typing import Any, Mapping, Optional

import attrs
from twisted.logger import Logger

from .ports import SharedPorts

log = Logger()

WORKER = "CHATD_WORKER"
READY_FD = "CHATD_WORKER_READY_FD"
PARENT = "CHATD_WORKER_PARENT"
REPLACES = "CHATD_WORKER_REPLACES"


@attrs.frozen
class Role:
    index: int
    count: int
    ready_fd: Optional[int] = None
    replaces: str = ""
    parent: Optional[int] = None

    def tell_ready(self) -> None:
        """Say ``ready`` to the supervisor, once."""
        if self.ready_fd is None:
            return
        try:
            os.write(self.ready_fd, b"ready\n")
        except OSError as error:  # the supervisor is gone: nothing to tell
            log.warn("worker: cannot tell the supervisor it is ready: {error}", error=error)


def role(environ: Mapping[str, str] = os.environ) -> Optional[Role]:
    """This process's role, or None when it is no worker (a plain chatd, or a supervisor)."""
    value = environ.get(WORKER, "")
    index, _, count = value.partition("/")
    if not (index.isdigit() and count.isdigit()):
        return None
    fd = environ.get(READY_FD, "")
    parent = environ.get(PARENT, "")
    return Role(int(index), int(count), int(fd) if fd.isdigit() else None, environ.get(REPLACES, ""),
                int(parent) if parent.isdigit() else None)


def stop_with_parent(me: Role) -> None:
    """A worker outlives no supervisor: the kernel sends it SIGTERM (a clean stop) when the supervisor
    dies, even by SIGKILL (Linux's PR_SET_PDEATHSIG); one whose supervisor is already gone stops now."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the supervisor's SIGTERM is what stops workers
        pass
    if me.parent is not None and os.getppid() != me.parent:
        os.kill(os.getpid(), signal.SIGTERM)


def listening_reactor(reactor: Any, me: Optional[Role]) -> Any:
    """What the listeners' endpoints are built on: in a worker, ports shared with its siblings."""
    return SharedPorts(reactor) if me is not None else reactor


def adopt(me: Optional[Role], bridge: Any, ready: Any) -> None:
    """Wire a worker into its tree: say ready when the listeners are, and once linked to Redis, make
    the people of the worker this one replaces quit now (its goodbye, said on its behalf)."""
    if me is None:
        return
    stop_with_parent(me)
    ready.callbacks.append(me.tell_ready)
    if me.replaces and bridge is not None:
        done: list[bool] = []

        async def forget() -> None:
            if done:
                return
            done.append(True)
            try:
                await _forget(bridge, me.replaces)
            except Exception:
                log.failure("worker: could not clear {node}; it times out instead", node=me.replaces)

        bridge.on_sync.append(forget)


async def _forget(bridge: Any, node: str) -> None:
    from ..cluster import codec  # only a worker in cluster mode gets here

    await bridge.link.call("PUBLISH", bridge.keys.events, codec.dumps({"t": "bye", "n": node}))
    await bridge.nodes.reap(node)
    log.info("worker: the people of {node}, the worker this one replaces, have quit", node=node)
