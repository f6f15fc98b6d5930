"""The limits every connection lives under, whatever its transport.

One :class:`ConnectionGuard` per connection, used alike by line connections
(IRC, telnet) and WebSocket connections:

- the per-address connection limit (taken on admission, given back once);
- the flood gate: commands pass through a token bucket (:mod:`.flood`);
- the send-queue bound: output a client does not read is counted and cut off
  past the limit (:mod:`.sendq`); whether a client is behind, and pausing its
  input for back-pressure from a busy room (:mod:`chatd.core.batching`);
- closing exactly once, with a reason that is logged once and that the
  adapter shows in its own way (an IRC ``ERROR`` line, a WebSocket close code);
- answering in order: while a command waits (on a store, a thread, another
  node: :meth:`ConnectionGuard.hold_until`), the connection's later commands
  wait behind it and its socket is not read, so every reply leaves in the
  order the commands came; other connections are not held.

Adapters give the guard themselves (:class:`Guarded`): ``guarded(item)`` gets an
item that passed the flood gate, and ``shut(reason, how)`` actually closes the
transport, where ``how`` says why: :data:`NORMAL`, :data:`FLOOD` (the client flooded),
:data:`SENDQ` (it stopped reading: drop unsent output) or :data:`GOING_AWAY`
(the server shuts down).

The guard, its gate and its send-queue counter hold their owners, not bound
methods of them, and a connection without flood control has no gate: at
10,000 idle connections each object less is about 0.1 KiB per connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Optional, Protocol, TypeVar

from twisted.logger import Logger

from .flood import FloodGate, FloodPolicy
from .sendq import SendQueueGuard
from .tasks import spawn

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from twisted.internet.defer import Deferred
    from twisted.internet.interfaces import IConsumer, IReactorTime

    from .peers import ConnectionCounter

T = TypeVar("T")
T_in = TypeVar("T_in", contravariant=True)
NORMAL, FLOOD, SENDQ, GOING_AWAY = "normal", "flood", "sendq", "going_away"
#: Shared by every guard until one holds commands back (idle connections stay small).
NOTHING_WAITING: list[Any] = []


class Guarded(Protocol[T_in]):
    """The connection a guard serves."""

    def guarded(self, item: T_in) -> None:
        """``item`` passed the flood gate: handle it."""

    def shut(self, reason: str, how: str) -> None:
        """Close the transport; ``how`` is NORMAL, FLOOD, SENDQ or GOING_AWAY."""


def no_delay(transport: Any) -> None:
    """TCP_NODELAY on the socket under ``transport`` (through TLS and PROXY wrappers)."""
    for _ in range(4):
        setter = getattr(transport, "setTcpNoDelay", None)
        if setter is not None:
            try:
                setter(True)
            except OSError:
                pass  # not a TCP socket (a UNIX one, a test's memory transport)
            return
        transport = getattr(transport, "transport", None)
        if transport is None:
            return


class ConnectionGuard(Generic[T]):
    log = Logger()
    __slots__ = ("clock", "peers", "flood", "sendq_limit", "check_peer_limit", "kind", "owner", "address",
                 "counted", "closing", "reason", "gate", "sendq", "transport", "input_held", "waiting",
                 "waiting_items", "paused")

    def __init__(
        self,
        clock: IReactorTime,
        peers: ConnectionCounter,
        flood: FloodPolicy,
        sendq: int,
        check_peer_limit: bool,
        kind: str,
        owner: Guarded[T],
    ) -> None:
        self.clock = clock
        self.peers = peers
        self.flood = flood
        self.sendq_limit = sendq
        self.check_peer_limit = check_peer_limit
        self.kind = kind  # "irc", "telnet", "web": for the log
        self.owner = owner
        self.address = "?"
        self.counted = False
        self.closing = False
        self.reason: Optional[str] = None
        self.gate: Optional[FloodGate[T]] = None
        self.sendq: Optional[SendQueueGuard] = None
        self.transport: Optional[IConsumer] = None
        self.input_held = False  # back-pressure from a busy room
        self.paused = False  # the socket is not being read (either reason)
        #: Commands under way (a command may start another, e.g. a welcome that reads what was missed):
        #: while any is, later ones wait in waiting_items.
        self.waiting = 0
        self.waiting_items: list[T] = NOTHING_WAITING  # a list of its own when used

    def admit(self, address: str) -> bool:
        """Take a slot for ``address``; False when it already has its maximum."""
        self.address = address
        if not self.check_peer_limit:
            return True
        if not self.peers.acquire(address):
            self.peers.refused(self.kind, address)
            return False
        self.counted = True
        return True

    def start(self, transport: IConsumer) -> None:
        """The connection is open: commands go through the gate, output is counted.

        Nagle's algorithm goes: chatd already gathers a connection's output into one write per
        reactor turn, so the kernel holding a small write back until the previous one is
        acknowledged only adds a delayed ACK (40 ms) to a reply that follows another."""
        self.transport = transport
        no_delay(transport)
        if self.flood.enabled:
            self.gate = FloodGate(self.clock, self.flood, self)
        self.sendq = SendQueueGuard(transport, self.sendq_limit, self)

    def submit(self, item: T) -> None:
        if self.closing or self.transport is None:
            return
        if self.gate is not None:
            self.gate.submit(item)
        else:
            self.passed(item)

    def passed(self, item: T) -> None:
        """From the flood gate (or straight from submit without one)."""
        if self.closing:
            return
        if self.waiting:
            if self.waiting_items is NOTHING_WAITING:
                self.waiting_items = []
            self.waiting_items.append(item)
        else:
            self.owner.guarded(item)

    # -- replies in order --------------------------------------------------------------

    def run(self, coroutine: Coroutine[Any, Any, Any], what: str,
            crashed: Optional[Callable[[], None]] = None) -> Deferred[Any]:
        """Carry out a command that may wait (:func:`~chatd.net.tasks.spawn`), answering in order."""
        done = spawn(coroutine, what, crashed)
        self.hold_until(done)
        return done

    def hold_until(self, done: Deferred[Any]) -> None:
        """The command being handled answers when ``done`` fires: until then, later commands wait
        (in order, unread on the socket past what was already read) and then run one by one."""
        if done.called:
            return
        self.waiting += 1
        self._reading()
        done.addBoth(self._finished)

    def _finished(self, result: object) -> object:
        self.waiting -= 1
        while self.waiting_items and not self.waiting and not self.closing:
            self.owner.guarded(self.waiting_items.pop(0))
        if not self.waiting:
            self.waiting_items = NOTHING_WAITING
            self._reading()
        return result

    def hand_over(self) -> list[T]:
        """What was received and not handled yet (waiting behind a command, or held back by the flood
        gate), in order; nothing more passes here: the connection is carried to another node, whose
        guard takes over (chatd/cluster/relay.py)."""
        items = list(self.waiting_items)
        self.waiting_items = NOTHING_WAITING
        if self.gate is not None:
            items.extend(self.gate.queue or ())
            self.gate.close()
            self.gate = None
        return items

    def wrote(self, size: int) -> None:
        """Count ``size`` bytes written (they only count while the socket is full)."""
        sendq = self.sendq
        if sendq is not None and sendq.paused:
            sendq.wrote(size)

    @property
    def behind(self) -> bool:
        """More output waits than the transport's buffer bound (Twisted paused our producer)."""
        sendq = self.sendq
        return sendq is not None and sendq.paused

    def hold_input(self, hold: bool) -> None:
        """Stop (or resume) reading the socket: back-pressure from a busy room."""
        if hold != self.input_held:
            self.input_held = hold
            self._reading()

    def _reading(self) -> None:
        """Read the socket unless a busy room or a command under way holds it."""
        transport = self.transport
        if transport is None or self.closing:
            return
        paused = self.input_held or self.waiting > 0
        if paused != self.paused:
            self.paused = paused
            if paused:
                transport.pauseProducing()  # type: ignore[attr-defined]
            else:
                transport.resumeProducing()  # type: ignore[attr-defined]

    def close(self, reason: str, how: str = NORMAL) -> bool:
        """Close once with ``reason``; False if the connection was already closing."""
        if self.closing:
            return False
        self.closing = True
        self.reason = reason
        if self.gate is not None:
            self.gate.close()
        self.log.debug("{kind} {address} closed: {reason}", kind=self.kind, address=self.address, reason=reason)
        self.owner.shut(reason, how)
        return True

    def flooded(self) -> None:
        """From the flood gate."""
        self.log.info("{kind} {address} cut off: Excess Flood", kind=self.kind, address=self.address)
        self.close("Excess Flood", FLOOD)

    def sendq_exceeded(self) -> None:
        """From the send-queue counter."""
        self.log.info("{kind} {address} cut off: SendQ exceeded", kind=self.kind, address=self.address)
        self.close("SendQ exceeded", SENDQ)

    def release(self) -> None:
        """The connection is gone: stop the gate and give the address slot back, once."""
        self.closing = True
        if self.gate is not None:
            self.gate.close()
        if self.counted:
            self.counted = False
            self.peers.release(self.address)
