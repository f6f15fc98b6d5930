"""Always-on presence across restarts: who stays while disconnected, written down as they change.

People who are always on (``--always-on``, NickServ SET ALWAYSON) stay in their rooms, shown away,
when their last connection closes (:meth:`chatd.core.people.People.stay`).  So that a restart does
not make them leave, this service writes them down (account, nick, rooms, away:
:func:`chatd.core.staying.entry`) whenever one of them changes, a second later at most, and on
stop (everyone still connected who is always on is written too: the shutdown is about to close
their connections), and puts them back: in their rooms again (those that still let them in), with
their nick, away.

Where they are written is the store's business:

- one node: :class:`FileStore`, ``always-on.json`` in the state directory, small and written
  whole (to a temporary file in a thread, renamed over the old one, 0600, so a crash leaves the
  previous copy); read back once at start, before the listeners open;
- a cluster: :class:`chatd.cluster.alwayson.RedisAlwaysOn`, one entry per person in Redis with the
  node holding them; read back each time the node is in sync with Redis, and when another node is
  lost or leaves, whose people this node then takes over (a script gives each to one node only).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional, Protocol

from twisted.application import service
from twisted.internet import defer, threads
from twisted.logger import Logger

from .core import Network, casefold, errors, events
from .core.staying import kept, restore
from .files import write_private

log = Logger()

#: Records after which the file may be out of date (someone kept joined, left, renamed, went away).
CHANGES = (events.Joined, events.Parted, events.Kicked, events.NickChanged, events.Quit, events.AwayChanged,
           events.Connected)


class Store(Protocol):
    def load(self, gone: str = "") -> defer.Deferred[list[dict[str, Any]]]:
        """The people to bring back here (on a cluster: this node's, and those of lost nodes,
        ``gone`` among them however recently it beat)."""

    def save(self, entries: list[dict[str, Any]]) -> defer.Deferred[None]:
        """Everyone this node keeps now (a whole snapshot)."""


class FileStore:
    def __init__(self, path: Path, reactor: Any) -> None:
        self.path = path
        self.reactor = reactor

    def load(self, gone: str = "") -> defer.Deferred[list[dict[str, Any]]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))  # small, once, before serving
        except FileNotFoundError:
            return defer.succeed([])
        except (OSError, ValueError) as error:
            log.warn("always-on: {path} cannot be read ({error}); nobody is restored", path=self.path,
                     error=str(error))
            return defer.succeed([])
        return defer.succeed([entry for entry in data if isinstance(entry, dict)] if isinstance(data, list) else [])

    def save(self, entries: list[dict[str, Any]]) -> defer.Deferred[None]:
        return threads.deferToThreadPool(self.reactor, self.reactor.getThreadPool(), _write_file, self.path,
                                         entries)


class AlwaysOn(service.Service):
    def __init__(self, network: Network, store: Store, reactor: Any, at_start: bool = True) -> None:
        self.network = network
        self.store = store
        self.reactor = reactor
        self.at_start = at_start  # one node: bring them back at start (a cluster calls restore when in sync)
        self.pending: Optional[Any] = None  # the delayed write, if one is scheduled
        #: The folded nicks written last: a change about anyone else (most of them, on a server
        #: where few are always on) leaves the store as it is.
        self.written: set[str] = set()
        self.writing: defer.Deferred[None] = defer.succeed(None)
        self.restoring: defer.Deferred[None] = defer.succeed(None)

    # -- putting them back ------------------------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        self.network.seen.add(self._changed)
        if self.at_start:
            self.restore()

    def restore(self, gone: str = "") -> defer.Deferred[None]:
        """Bring back whom the store says (``gone``: a node that left, whose people may come here);
        one pass at a time, each after the one before."""
        self.restoring = self.restoring.addCallback(lambda _: defer.ensureDeferred(self._restore(gone)))
        return self.restoring

    async def _restore(self, gone: str) -> None:
        try:
            entries = await self.store.load(gone)
        except Exception as error:
            log.warn("always-on: the kept people cannot be read now ({error})", error=error)
            return
        self.written |= {casefold(str(entry.get("nick", ""))) for entry in entries}
        for entry in entries:
            try:
                user, refused = await restore(self.network, entry)
            except (errors.ChatError, KeyError, TypeError, ValueError) as error:
                describe = error.describe() if isinstance(error, errors.ChatError) else str(error)
                log.warn("always-on: {nick} not restored: {error}", nick=entry.get("nick"), error=describe)
                continue
            if user is not None:
                log.info("always-on: {nick} is back, away", nick=user.nick)
                for why in refused:
                    log.info("always-on: {nick} does not go back to {why}", nick=user.nick, why=why)
        if entries:
            self._soon()  # what the store holds now: who is kept here (taken over, or gone)

    # -- keeping the store up to date ---------------------------------------------------------------

    def _changed(self, record: events.Event) -> None:
        if not isinstance(record, CHANGES) or self.pending is not None or not self.running:
            return
        nicks = [record.who.nick, record.target if isinstance(record, events.Kicked) else "",
                 record.new_nick if isinstance(record, events.NickChanged) else ""]
        if any(self._concerns(nick) for nick in nicks if nick):
            self._soon()

    def _soon(self) -> None:
        if self.pending is None and self.running:
            self.pending = self.reactor.callLater(1.0, self._write_soon)

    def _concerns(self, nick: str) -> bool:
        """Whether ``nick`` is someone the store holds, or should hold now."""
        if casefold(nick) in self.written:
            return True
        user = self.network.find_user(nick)
        return user is not None and user.keep

    def _write_soon(self) -> None:
        self.pending = None
        self.write()

    def write(self) -> defer.Deferred[None]:
        entries = kept(self.network)  # this node's people only: another node's are kept by it
        self.written = {casefold(entry["nick"]) for entry in entries}
        # One write at a time, in the order asked: a later snapshot never lands before an earlier one.
        self.writing = self.writing.addCallback(lambda _: self.store.save(entries))
        self.writing.addErrback(lambda failure: log.error("always-on: not written: {error}",
                                                          error=failure.getErrorMessage()))
        return self.writing

    def stopService(self) -> defer.Deferred[None]:
        super().stopService()
        self.network.seen.discard(self._changed)
        if self.pending is not None and self.pending.active():
            self.pending.cancel()
        self.pending = None
        return self.write()


def _write_file(path: Path, entries: list[dict[str, Any]]) -> None:
    write_private(path, json.dumps(entries).encode("utf-8"))


def start_always_on(network: Network, state_dir: Path, reactor: Any, parent: service.MultiService,
                    bridge: Any = None) -> AlwaysOn:
    """The service on one node (a file, read at start), or on a cluster (Redis, read when in sync
    and when another node is gone)."""
    if bridge is None:
        keeper = AlwaysOn(network, FileStore(state_dir / "always-on.json", reactor), reactor)
    else:
        from .cluster.alwayson import RedisAlwaysOn  # nothing of Redis is loaded without --redis
        store = RedisAlwaysOn(bridge.link, bridge.keys, bridge.node, bridge.node_timeout)
        keeper = AlwaysOn(network, store, reactor, at_start=False)
        bridge.on_ready.append(keeper.restore)
        bridge.nodes.gone.append(keeper.restore)
    keeper.setServiceParent(parent)
    return keeper
