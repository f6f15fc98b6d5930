"""Always-on presence across restarts: who stays while disconnected, kept in ``always-on.json``.

People who are always on (``--always-on``, NickServ SET ALWAYSON) stay in their rooms, shown away,
when their last connection closes (:meth:`chatd.core.people.People.stay`).  So that a restart of
the daemon does not make them leave, this service writes them down (account, nick, rooms, away)
whenever one of them changes, a second later at most, and on stop (everyone still connected who is
always on is written too: the shutdown is about to close their connections), and at start puts
them back: in their rooms again (those that still let them in), with their nick, away.

The file is small and written whole: to a temporary file in a thread, then renamed over the old
one, 0600, so a crash leaves the previous copy.  Only on a single node: in a cluster a person's
presence could not outlive the node that held it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from twisted.application import service
from twisted.internet import defer, threads
from twisted.logger import Logger

from .core import Network, casefold, errors, events
from .core.devices import Absent
from .files import write_private

log = Logger()

#: Records after which the file may be out of date (someone kept joined, left, renamed, went away).
CHANGES = (events.Joined, events.Parted, events.Kicked, events.NickChanged, events.Quit, events.AwayChanged,
           events.Connected)


class AlwaysOn(service.Service):
    def __init__(self, network: Network, path: Path, reactor: Any) -> None:
        self.network = network
        self.path = path
        self.reactor = reactor
        self.pending: Optional[Any] = None  # the delayed write, if one is scheduled
        #: The folded nicks the file holds now: a change about anyone else (most of them, on a server
        #: where few are always on) leaves it as it is.
        self.written: set[str] = set()
        self.writing: defer.Deferred[None] = defer.succeed(None)

    # -- start: put them back ---------------------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        entries = self._read()
        self.written = {casefold(str(entry.get("nick", ""))) for entry in entries}
        for entry in entries:
            try:
                self._restore(entry)
            except (errors.ChatError, KeyError, TypeError, ValueError) as error:
                log.warn("always-on: {nick} not restored: {error}", nick=entry.get("nick"), error=str(error))
        self.network.seen.add(self._changed)

    def _read(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            log.warn("always-on: {path} cannot be read ({error}); nobody is restored", path=self.path,
                     error=str(error))
            return []
        return [entry for entry in data if isinstance(entry, dict)] if isinstance(data, list) else []

    def _restore(self, entry: dict[str, Any]) -> None:
        people, accounts = self.network.people, self.network.accounts
        account, nick = str(entry["account"]), str(entry["nick"])
        owner = accounts.owner(nick) if accounts is not None else None
        if owner is None or casefold(owner) != casefold(account) or not self.network.directory.nick_available(nick):
            raise errors.ChatError(nick, "the nick is no longer the account's, or taken")
        user = people.connect(Absent(lambda reason: None), nick, str(entry["user"]), str(entry["host"]),
                              str(entry["realname"]), str(entry["protocol"]), account, str(entry["address"]),
                              "absent")
        user.keep = True
        people.stay(user)
        away = entry.get("away")
        if isinstance(away, str) and not entry.get("auto_away"):
            people.set_away(user, away)
        for name in entry.get("rooms", []):
            room = self.network.find_room(str(name))
            try:
                self.network.room_rules.join(user, str(name), room.key if room is not None else None)
            except errors.ChatError as error:
                log.info("always-on: {nick} does not go back to {room}: {why}", nick=nick, room=name,
                         why=error.describe())

    # -- keeping the file up to date ----------------------------------------------------------------

    def kept(self) -> list[dict[str, Any]]:
        """Everyone here who stays while disconnected, as the file keeps them."""
        return [{"account": u.account, "nick": u.nick, "user": u.user, "host": u.host, "realname": u.realname,
                 "protocol": u.protocol, "address": u.address, "away": u.away, "auto_away": u.auto_away,
                 "rooms": sorted(room.name for room in u.rooms.values())}
                for u in self.network.users.values() if u.keep and u.account and u.origin]

    def _changed(self, record: events.Event) -> None:
        if not isinstance(record, CHANGES) or self.pending is not None or not self.running:
            return
        nicks = [record.who.nick, record.target if isinstance(record, events.Kicked) else "",
                 record.new_nick if isinstance(record, events.NickChanged) else ""]
        if any(self._concerns(nick) for nick in nicks if nick):
            self.pending = self.reactor.callLater(1.0, self._write_soon)

    def _concerns(self, nick: str) -> bool:
        """Whether ``nick`` is someone the file holds, or should hold now."""
        if casefold(nick) in self.written:
            return True
        user = self.network.find_user(nick)
        return user is not None and user.keep

    def _write_soon(self) -> None:
        self.pending = None
        self.write()

    def write(self) -> defer.Deferred[None]:
        entries = self.kept()
        self.written = {casefold(entry["nick"]) for entry in entries}
        # One write at a time, in the order asked: a later snapshot never lands before an earlier one.
        self.writing = self.writing.addCallback(lambda _: threads.deferToThreadPool(
            self.reactor, self.reactor.getThreadPool(), _write_file, self.path, entries))
        self.writing.addErrback(lambda failure: log.error("always-on: {path} not written: {error}",
                                                          path=self.path, error=failure.getErrorMessage()))
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
