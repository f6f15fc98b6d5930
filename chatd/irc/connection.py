"""One IRC client connection: the wire in, numerics out, events rendered.

The connection parses each line, enforces the IRC line and tag limits, and
dispatches the command through :data:`~.commands.COMMANDS` to the handler
modules, which call the connection's :class:`~chatd.core.Session`.  Lines
that other people see (messages, joins, ...) are not written here: the core
fans them out and :mod:`.render` encodes them once per capability variant.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping, Optional

from twisted.internet import protocol
from twisted.python.failure import Failure

from ..core import errors
from ..core.events import Event
from ..net.connection import LineConnection
from ..net.direct import write_now
from ..net.guard import GOING_AWAY
from . import (  # noqa: F401 (each registers its commands)
    accounts,
    carried,
    channels,
    chathistory,
    info,
    messaging,
    missed,
    monitor,
    multiline,
    operators,
    queries,
    registration,
    search,
    webpush,
)
from . import caps as capabilities
from . import numerics as N
from .commands import COMMANDS
from .context import Registration
from .factory import IRCFactory
from .labels import MAX_LABEL, HeldReply, LabelScope, flush
from .render import trailing
from .wire import ParseError, parse

if TYPE_CHECKING:
    from ..core import Network


INVALID_UTF8 = "Message rejected, your message contained invalid UTF-8"
NOTHING_MONITORED: frozenset[str] = frozenset()
NO_CAPS: frozenset[str] = frozenset()
NO_BATCHES: Mapping[str, multiline.Collecting] = MappingProxyType({})


# The few distinct (render key, format key) pairs, shared by every connection that has them: a
# pair of tuples per connection was a tenth of an idle connection's memory.
_KEYS: dict[tuple[bool, ...], tuple[tuple[bool, ...], tuple[object, ...]]] = {}


class IRCConnection(LineConnection):
    protocol_name = "irc"
    factory: IRCFactory
    # Bounded generously (tags up to 8191 bytes, plus the 512-byte message); the exact,
    # configured checks (--client-tags-max) follow in line_received.
    max_line_bytes = 8191 + 512

    def __init__(self) -> None:
        super().__init__()
        self.registration = Registration()
        self.caps: set[str] = NO_CAPS  # type: ignore[assignment]  # a set of its own once CAP asks for one
        self.ping_sent: Optional[float] = None
        self.batches = 0
        self.scope: Optional[LabelScope] = None  # the labelled command being answered, if any
        # Rarely used: made when first needed (MONITOR, multiline batches), so idle clients stay small.
        self.monitoring: set[str] = NOTHING_MONITORED  # type: ignore[assignment]
        self.open_batches: dict[str, multiline.Collecting] = NO_BATCHES  # type: ignore[assignment]
        self.caps_changed()

    # -- the core's Client interface -----------------------------------------

    def caps_changed(self) -> None:
        key = tuple(c in self.caps for c in capabilities.RENDERING)
        shared = _KEYS.get(key)
        if shared is None:
            shared = _KEYS[key] = (key, ("irc", *key))
        self.render_key, self.format_key = shared
        self.echo_messages = "echo-message" in self.caps

    def encode(self, event: Event) -> Optional[bytes]:
        return self.factory.renderer(self.render_key).render(event)

    def deliver(self, payload: bytes) -> None:
        # The fan-out hot path: LineConnection.write, inlined.
        if self.silenced:
            return
        if self.scope is not None:  # caused by this client's labelled command: part of its answer
            self.scope.chunks.append(payload)
            return
        write_now(self.transport, payload)
        self.factory.bytes_out += len(payload)
        sendq = self.guard.sendq
        if sendq is not None and sendq.paused:
            sendq.wrote(len(payload))

    @property
    def immediate(self) -> bool:
        return self.scope is not None  # answering a labelled command: no holding back

    def show_room(self, name: str, joined: bool) -> None:
        channels.show_room(self, name, joined)

    def disconnect(self, reason: str) -> None:
        self.send(f"ERROR :{reason}")
        self.close(reason, GOING_AWAY, goodbye=False)

    # -- what handlers use ---------------------------------------------------

    @property
    def server(self) -> str:
        return self.factory.network.server_name

    @property
    def network(self) -> Network:
        return self.factory.network

    @property
    def me(self) -> str:
        return self.session.nick or self.registration.nick or "*"

    def write(self, data: bytes) -> None:
        if self.scope is not None and not self.closing:
            self.scope.chunks.append(data)
        else:
            super().write(data)

    def send(self, line: str) -> None:
        self.write((line + "\r\n").encode("utf-8"))

    def hold_reply(self) -> HeldReply:
        """For a command answered later: the label waits until the answer is written."""
        return HeldReply(self, self.scope)

    def reply(self, numeric: str, *params: str) -> None:
        """Send a numeric; the last parameter is sent as a trailing one."""
        middle = " ".join((numeric, self.me) + params[:-1])
        last = trailing(params[-1]) if params else ""
        self.send(f":{self.server} {middle} {last}".rstrip())

    def open_batch(self, kind: str, *params: str) -> Optional[str]:
        """Start an IRCv3 batch if the client takes them; returns its reference."""
        if "batch" not in self.caps:
            return None
        self.batches += 1
        ref = f"h{self.batches}"
        self.send(" ".join((f":{self.server} BATCH +{ref} {kind}", *params)))
        return ref

    def close_batch(self, ref: Optional[str]) -> None:
        if ref is not None:
            self.send(f":{self.server} BATCH -{ref}")

    def fail(self, error: errors.ChatError) -> None:
        """Answer a refused request with the numeric the IRC documents give it."""
        found = N.FOR_ERROR.get(error.code)
        if found is None:
            self.send(f":{self.server} NOTICE {self.me} :{error.describe()}")
            return
        numeric, text = found[0], N.wording(error)
        if error.target:
            self.reply(numeric, *error.target.split(" "), text)
        else:
            self.reply(numeric, text)

    # -- connection events ---------------------------------------------------

    def connection_opened(self) -> None:
        self.registration.password_ok = self.factory.password is None

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        missed.left(self)  # where this device stopped, before the session leaves its rooms
        super().connectionLost(reason)

    def connection_closed(self, reason: str) -> None:
        self.factory.monitors.clear(self)

    def resume(self, state: dict[str, Any]) -> None:
        carried.resume(self, state)
        registration.try_register(self)

    def say_goodbye(self, reason: str) -> None:
        self.send(f"ERROR :Closing Link: {self.address} ({reason})")

    def internal_error(self) -> None:
        self.send(f":{self.server} NOTICE {self.me} :Internal error; your command was not carried out")

    def line_too_long(self) -> None:
        self.reply(N.ERR_INPUTTOOLONG, "Input line was too long")

    def keepalive(self, now: float) -> None:
        if self.closing or self.carried is not None:  # a carried connection: the node holding it pings
            return
        if self.ping_sent is not None and self.last_seen <= self.ping_sent:
            if now - self.ping_sent >= self.factory.ping_timeout:
                self.close(f"Ping timeout: {int(now - self.ping_sent)} seconds")
            return
        if now - self.last_seen >= self.factory.ping_interval:
            self.ping_sent = now
            self.send(f"PING :{self.server}")

    # -- input ---------------------------------------------------------------

    def line_received(self, raw: bytes) -> None:
        settings = self.factory.settings
        if raw.startswith(b"@"):
            # message-tags: the tag data (after "@", before the space) and the rest of the line have
            # limits of their own; exactly at a limit passes.
            space = raw.find(b" ")
            rest = len(raw) - space - 1 if space > 0 else 0
            if (space - 1 if space > 0 else len(raw) - 1) > settings.max_tags or rest > settings.max_line - 2:
                return self.line_too_long()
        elif len(raw) > settings.max_line - 2:
            return self.line_too_long()
        raw = raw.replace(b"\x00", b"")
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            # UTF8ONLY: refuse, never relay a guess (standard replies: FAIL <command> INVALID_UTF8).
            try:
                name = parse(raw.decode("utf-8", errors="replace")).command
            except ParseError:
                name = "*"
            safe = name if name.isascii() and name.isalnum() else "*"
            self.send(f":{self.server} FAIL {safe} INVALID_UTF8 :{INVALID_UTF8}")
            return
        if not line.strip():
            return
        try:
            message = parse(line)
        except ParseError:
            return
        name = message.command
        if self.open_batches and name != "BATCH":
            open_batch = self.open_batches.get(message.tag("batch") or "")
            if open_batch is not None:
                multiline.collect(self, message, open_batch)
                return
        command = COMMANDS.get(name)
        if self.session.user is None and not (command is not None and command.before_registration):
            if command is not None:
                self.reply(N.ERR_NOTREGISTERED, "You have not registered")
            return
        # Every reply to a labelled command carries its label, refusals (421, 461) included.
        label = message.tag("label") if "labeled-response" in self.caps else None
        scope = LabelScope(label) if label and len(label) <= MAX_LABEL else None
        self.scope = scope
        try:
            if command is None:
                self.reply(N.ERR_UNKNOWNCOMMAND, name, "Unknown command")
            elif len(message.params) < command.min_params:
                self.reply(N.ERR_NEEDMOREPARAMS, name, "Not enough parameters")
            else:
                command.handler(self, message)
        except errors.ChatError as error:
            self.fail(error)
        finally:
            self.scope = None
            if scope is not None and not scope.held:
                flush(self, scope)


IRCFactory.connection_class = IRCConnection
