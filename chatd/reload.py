"""Reloading the configuration while chatd runs: SIGHUP, or IRC ``REHASH`` from an operator.

The whole configuration is read again the way start-up read it (the same
command line, so the same ``--config`` file, checked by the same
:class:`~chatd.options.Options`).  A file with a mistake is refused as a
whole, with one line naming the problem, and the running configuration stays.
Otherwise what can change in a running daemon changes at once, and the log
says what did: server operators (``[[operators]]``), the log level, the
login and room-creation limits, ``require-account``, ``nick-grace``,
``devices-per-account``, the trusted proxies, the per-address, flood and send
queue limits and what is replayed on joining (for connections made from now
on), the MOTD file, ``[[webhooks]]``, and TLS certificates (every listener
reloads its own).  Settings that need sockets
or stores made anew (listeners, Redis, the state folder, ...) are named in
the log as waiting for a restart, so nothing changes silently or not at all
without a word.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import attrs
from twisted.logger import Logger
from twisted.python import usage

from .options import Options

if TYPE_CHECKING:
    from .core import Network
    from .logs import LevelledObserver

log = Logger()

#: Options applied to the running daemon by a reload (the rest wait for a restart).
LIVE = ("operators", "log-level", "login-attempts", "new-rooms-per-minute", "max-rooms-total", "room-idle-days",
        "nick-grace", "require-account", "devices-per-account",
        # applied by the listeners' own appliers (chatd/tap.py): new connections get the new values
        "trusted-proxies", "max-per-address", "http-max-per-address", "flood-rate", "flood-burst", "flood-queue",
        "sendq", "history-on-join", "telnet-replay", "missed-lines", "missed-days", "motd-file", "webhooks")
#: Options that are not settings of the daemon (or are read afresh on every use).
IGNORED = ("config", "web-root-path")


@attrs.define
class Outcome:
    """What a reload did: ``ok`` False when the file was refused (``problem`` says why)."""

    ok: bool
    changed: list[str] = attrs.field(factory=list)
    restart: list[str] = attrs.field(factory=list)
    problem: str = ""


class Reloader:
    def __init__(self, options: Options, network: Network, observer: LevelledObserver | None,
                 others: list[Callable[[], Any]]) -> None:
        self.options = options
        self.network = network
        self.observer = observer
        self.others = others  # TLS certificate reloads, one per listener
        #: What the listeners and services take from a good file (limits, proxies, webhooks), as tap.py wires it.
        self.appliers: list[Callable[[Options], None]] = []

    def reload(self) -> Outcome:
        fresh = Options()
        try:
            fresh.parseOptions(self.options.argv)
        except (usage.UsageError, SystemExit) as error:
            log.error("reload refused, the running configuration stays: {problem}", problem=str(error))
            return Outcome(False, problem=str(error))
        outcome = Outcome(True)
        for name in sorted(set(fresh.keys()) | set(self.options.keys())):
            if name in IGNORED or fresh.get(name) == self.options.get(name):
                continue
            (outcome.changed if name in LIVE else outcome.restart).append(name)
        self._apply(fresh)
        for name in outcome.changed:
            self.options[name] = fresh[name]
        for reload_certificates in self.others:
            reload_certificates()
        log.info("reload: {changed}{restart}",
                 changed=("changed " + ", ".join(outcome.changed)) if outcome.changed else "nothing changed",
                 restart=("; after a restart only: " + ", ".join(outcome.restart)) if outcome.restart else "")
        return outcome

    def _apply(self, fresh: Options) -> None:
        network = self.network
        network.operators.configured = {op.name: op for op in fresh["operators"]}
        network.require_account = fresh["require-account"]
        network.limits = attrs.evolve(network.limits, nick_grace=fresh["nick-grace"],
                                      devices_per_account=fresh["devices-per-account"],
                                      new_rooms_per_minute=fresh["new-rooms-per-minute"],
                                      max_rooms=fresh["max-rooms-total"],
                                      room_idle=fresh["room-idle-days"] * 86400)
        network.room_rules.new_rooms.attempts = fresh["new-rooms-per-minute"]
        if network.accounts is not None:
            network.accounts.set_attempts(fresh["login-attempts"])
        if self.observer is not None:
            self.observer.set_level(fresh["log-level"])
        for apply in self.appliers:
            apply(fresh)
