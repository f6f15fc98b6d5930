"""Handing an always-on person from one node to another when they connect there.

A person who is always on and not connected is held by one node (absent,
away).  When a connection of theirs reaches another node, that node asks the
holder on the events channel (``takeover``); the holder lets them go (a QUIT
with "Signed in on another server", their nick released) and answers with
their kept entry (``handed``); the asking node brings them back from it (their
rooms, their away state, :func:`chatd.core.staying.restore`) and the new
connection becomes theirs.  Events are applied in one order on every node, so
the asking node has seen the QUIT, and Redis the nick's release, before the
answer.  A person connected on the holder is not handed over: the asking
connection learns where they are (:class:`~chatd.core.errors.ConnectedElsewhere`),
and its adapter carries it over to the holder (:mod:`.relay`).  No answer within
``WAIT`` seconds (the holder is gone, and about to be found lost) is a refusal
too.
"""

from __future__ import annotations

import secrets
from typing import Any, Optional

from twisted.internet import defer
from twisted.logger import Logger

from ..core import Network, casefold, errors, staying
from ..core.devices import Absent
from ..core.directory import User
from ..core.remote import home_of
from . import codec
from .keys import Keys
from .link import Link, call_failed

log = Logger()

WAIT = 3.0  # seconds a node waits for the holder's answer


class Handover:
    def __init__(self, link: Link, keys: Keys, node: str, network: Network, reactor: Any) -> None:
        self.link = link
        self.keys = keys
        self.node = node
        self.network = network
        self.reactor = reactor
        self.asked: dict[str, defer.Deferred[Optional[dict[str, Any]]]] = {}

    def _say(self, event: dict[str, Any]) -> defer.Deferred[Any]:
        event["n"] = self.node
        return self.link.call("PUBLISH", self.keys.events, codec.dumps(event))

    def ask(self, user: User, account: str) -> defer.Deferred[Optional[dict[str, Any]]]:
        """Ask the node holding ``user`` to hand them over: their entry; None if they are ours or
        nobody answered; NickInUse if they are connected there."""
        if not home_of(user) or not self.link.up:
            return defer.succeed(None)
        request = secrets.token_hex(8)
        answer: defer.Deferred[Optional[dict[str, Any]]] = defer.Deferred()
        self.asked[request] = answer
        answer.addTimeout(WAIT, self.reactor, onTimeoutCancel=lambda result, timeout: None)

        def done(result: Any) -> Any:
            self.asked.pop(request, None)
            return result

        answer.addBoth(done)
        answer.addCallback(self._refused, user.nick, home_of(user))

        def unsent(failure: Any) -> None:
            if not answer.called:
                answer.callback(None)

        self._say({"t": "takeover", "to": home_of(user), "k": user.nick, "a": account, "id": request}) \
            .addErrback(unsent)
        return answer

    @staticmethod
    def _refused(entry: Any, nick: str, holder: str) -> Optional[dict[str, Any]]:
        if entry is False:  # connected there: this connection is carried over (relay.py) where it can be
            raise errors.ConnectedElsewhere(nick, holder)
        return entry if isinstance(entry, dict) else None

    def asked_of_us(self, event: dict[str, Any]) -> None:
        """Another node asks for a person of ours: let them go if nobody is connected as them here."""
        if event.get("to") != self.node:
            return
        user = self.network.find_user(str(event.get("k", "")))
        entry: Any = None
        if user is None or user.account is None or casefold(user.account) != casefold(str(event.get("a", ""))):
            pass  # gone meanwhile, or someone else's now
        elif not isinstance(user.client, Absent):
            entry = False  # connected here: one server holds a person's connections
        else:
            entry = staying.entry(user)
            log.info("cluster: {nick} signs in on node {node}: handed over", nick=user.nick, node=event["n"])
            self.network.people.quit(user, "Signed in on another server")
        self._say({"t": "handed", "to": event["n"], "id": event.get("id"), "e": entry}) \
            .addErrback(call_failed, "handover answer")

    def answered(self, event: dict[str, Any]) -> None:
        waiting = self.asked.get(str(event.get("id"))) if event.get("to") == self.node else None
        if waiting is not None and not waiting.called:
            waiting.callback(event.get("e"))
