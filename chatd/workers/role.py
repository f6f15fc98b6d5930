"""What a worker process knows of itself, from the environment its supervisor gave it.

``CHATD_WORKER`` is ``index/count``; ``CHATD_WORKER_READY_FD`` a pipe on which the worker says
``ready`` once its listeners are bound (the supervisor tells systemd when every worker has);
``CHATD_WORKER_REPLACES`` the node name of the worker it replaces after a crash, whose people the
new one makes quit at once (instead of after ``--node-timeout``).
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional

import attrs
from twisted.logger import Logger

from .ports import SharedPorts

log = Logger()

WORKER = "CHATD_WORKER"
READY_FD = "CHATD_WORKER_READY_FD"
REPLACES = "CHATD_WORKER_REPLACES"


@attrs.frozen
class Role:
    index: int
    count: int
    ready_fd: Optional[int] = None
    replaces: str = ""

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
    return Role(int(index), int(count), int(fd) if fd.isdigit() else None, environ.get(REPLACES, ""))


def listening_reactor(reactor: Any, me: Optional[Role]) -> Any:
    """What the listeners' endpoints are built on: in a worker, ports shared with its siblings."""
    return SharedPorts(reactor) if me is not None else reactor


def adopt(me: Optional[Role], bridge: Any, ready: Any) -> None:
    """Wire a worker into its tree: say ready when the listeners are, and once linked to Redis, make
    the people of the worker this one replaces quit now (its goodbye, said on its behalf)."""
    if me is None:
        return
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
