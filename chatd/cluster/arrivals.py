"""Waiting, after a nick claim failed, for the person another node claimed it for to arrive here.

A node claims a nick in Redis, then tells every node of the person on the events channel.  A
second device of that person signing in on this node in between finds the nick taken by nobody
it knows of: it would be told the nick is in use, where it should have joined them (carried to
their node, or taking them over).  So a failed claim waits until the one holding the nick is known
here (their arrival, or a rename to it), at most ``WAIT`` seconds; the session then looks again.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer

from ..core import Network, casefold
from ..core.events import Connected, Event, NickChanged

WAIT = 2.0  # seconds; a nick held by nobody who ever arrives (a node that just died) answers after it


class Arrivals:
    def __init__(self, network: Network, reactor: Any) -> None:
        self.network = network
        self.reactor = reactor
        self.waiting: dict[str, list[defer.Deferred[None]]] = {}
        network.seen.add(self.seen)

    def known(self, won: bool, folded_nick: str) -> bool | defer.Deferred[bool]:
        """After a claim: what it said, once a nick it lost is held by someone known here."""
        if won or self.network.find_user(folded_nick) is not None:
            return won
        arrived: defer.Deferred[None] = defer.Deferred()
        self.waiting.setdefault(folded_nick, []).append(arrived)
        arrived.addTimeout(WAIT, self.reactor, onTimeoutCancel=lambda result, timeout: None)

        def done(_: Any) -> bool:
            left = [d for d in self.waiting.get(folded_nick, ()) if d is not arrived]
            if left:
                self.waiting[folded_nick] = left
            else:
                self.waiting.pop(folded_nick, None)
            return False

        return arrived.addBoth(done)

    def seen(self, record: Event) -> None:
        """A ``seen`` sink: someone arrived, or took a nick, here or on another node."""
        if not self.waiting:
            return
        if isinstance(record, Connected):
            nick = record.who.nick
        elif isinstance(record, NickChanged):
            nick = record.new_nick
        else:
            return
        for arrived in self.waiting.pop(casefold(nick), ()):
            if not arrived.called:
                arrived.callback(None)
