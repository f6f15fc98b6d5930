"""The network: who is connected, which rooms exist, and the collaborators that run them.

A :class:`~chatd.core.session.Session` validates what a person asked for and
calls the rule that decides it: :attr:`Network.people` (nicks, away, accounts,
arriving and leaving), :attr:`Network.room_rules` (joining, modes, topics,
kicks), :attr:`Network.messaging` (messages, read markers, redactions) and
:attr:`Network.operators` (KILL, server bans, WALLOPS).  A rule ends by
committing the record of its change:

    rule -> record -> :meth:`Network.commit` -> :class:`~.changes.Changes` applies it
    (state, and the local fan-out) -> ``seen`` sinks (MONITOR) -> ``records`` sinks
    (the publisher: other nodes; outgoing webhooks)

and a record another node sent comes in by :meth:`Network.receive`, through
the very same apply step.  Nothing here knows about sockets, wire formats or
other nodes, so the same rules hold for IRC, telnet and the web, on one node
or many.  Strings reaching the rules are already validated (names, lengths,
control characters): the Session does that once, and records from other
nodes were validated where they were made.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

from .accounts import Accounts, Throttle
from .batching import TurnBatcher
from .changes import Changes
from .cloaks import Cloaks
from .directory import Directory, Room, User
from .events import Record
from .history import HistoryStore
from .ids import MessageIdGenerator
from .limits import Limits
from .messages import Messaging
from .operators import ServerOperators
from .people import People
from .publisher import LocalPublisher, Publisher
from .recovery import Recovery
from .replica import Replica
from .roomrules import RoomRules
from .sinks import Sinks
from .stats import Stats
from .whowas import Whowas

#: Schedules a call: (seconds, function) -> something with ``cancel()`` (a reactor's callLater).
Scheduler = Callable[[float, Callable[[], None]], Any]


class Network:
    """All users and rooms of one chat server (or of the whole cluster, as seen here)."""

    def __init__(
        self,
        server_name: str = "chatd.local",
        network_name: str = "chatd",
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
        history: Optional[HistoryStore] = None,
        publisher: Optional[Publisher] = None,
        accounts: Optional[Accounts] = None,
        schedule: Optional[Scheduler] = None,
        batch_turns: bool = False,
    ) -> None:
        self.server_name = server_name
        self.network_name = network_name
        self.limits = limits = limits or Limits()
        self.clock = clock
        self.created = clock()
        self.new_id = MessageIdGenerator(clock)
        self.stats = Stats()
        self.whowas = Whowas(limits.whowas)
        #: What others see of where people connect from (--no-cloaks: the address itself).
        self.cloaks = Cloaks()
        #: Verification codes and reset links by mail (--smtp); None: this server sends no mail.
        self.recovery: Optional[Recovery] = None
        #: Web Push (chatd.push.service.Push): the VAPID key and accounts' subscriptions; None: off.
        self.push: Any = None
        #: File uploads (chatd.uploads.service.Uploads): the upload URL, guests' tokens; None: off.
        self.uploads: Any = None
        #: Link previews (chatd.previews.service.Previews); None: off.
        self.previews: Any = None
        #: Only people logged in to an account may connect (--require-account).
        self.require_account = False
        self.schedule = schedule
        #: Every change applied here, whoever made it (MONITOR), and the changes made here (sinks.py).
        self.seen = Sinks()
        self.records = Sinks()
        self.publisher: Publisher = publisher or LocalPublisher()
        self.records.add(self.publisher.publish)
        self.directory = directory = Directory(clock, keep_rooms=history is not None)
        self.operators = ServerOperators(directory, accounts, self.commit)
        self.room_rules = RoomRules(directory, limits, history, self.commit,
                                    Throttle(clock, limits.new_rooms_per_minute, 60.0))
        self.changes = Changes(directory, self.whowas, server_name, self.room_rules.save_room,
                               self.operators.server_bans)
        self.people = People(directory, limits, self.publisher, self.commit, self.stats, self.whowas, accounts)
        # Room messages held to the end of the reactor turn, one write per recipient (batching.py).
        batcher = TurnBatcher(schedule, self.stats, clock) if batch_turns and schedule is not None else None
        self.messaging = Messaging(directory, history, self.publisher, self.commit, self.records, self.stats,
                                   self.new_id, accounts, self.people.person_of, batcher,
                                   limits.offline_messages)
        self.replica = Replica(directory, self.receive, self.seen)
        self.history = history
        self.accounts = accounts
        self.publisher.bind(self)

    @property
    def accounts(self) -> Optional[Accounts]:
        """Accounts (None: this server has none; login and registration are refused)."""
        return self.people.accounts

    @accounts.setter
    def accounts(self, accounts: Optional[Accounts]) -> None:
        self.people.accounts = self.messaging.accounts = self.operators.accounts = accounts

    @property
    def history(self) -> Optional[HistoryStore]:
        return self.messaging.history

    @history.setter
    def history(self, store: Optional[HistoryStore]) -> None:
        """The history store, handed to the rules that use it; with one, rooms outlive their members."""
        self.messaging.history = self.room_rules.history = store
        self.directory.keep_rooms = store is not None

    def commit(self, record: Record) -> Any:
        """A change made here: applied as any node's change is, then told to the sinks of changes made
        here (and through them to the other nodes)."""
        result = self.receive(record, "")
        self.records.emit(record)
        return result

    def receive(self, record: Record, origin: str) -> Any:
        """A change made on node ``origin`` ("" for this one), applied; the ``seen`` sinks hear of it."""
        result = self.changes.apply(record, origin)
        self.seen.emit(record)
        return result

    # -- the directory, which most readers want ------------------------------

    @property
    def users(self) -> dict[str, User]:
        return self.directory.users

    @property
    def rooms(self) -> dict[str, Room]:
        return self.directory.rooms

    def find_user(self, nick: str) -> Optional[User]:
        return self.directory.find_user(nick)

    def find_room(self, name: str) -> Optional[Room]:
        return self.directory.find_room(name)

    def room(self, name: str) -> Room:
        return self.directory.room(name)
