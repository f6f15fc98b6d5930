"""chatd as an operator runs it: config file, systemd notify, SIGTERM, TLS,
SIGHUP, metrics and logs, each against the real daemon process."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from .support.parts import ROOT, require
from .support.processes import TWISTD, Daemon
from .support.sockets import LineClient, irc_register
from .support.tls import make_certificate

pytestmark = pytest.mark.integration


def test_config_file_sets_options_and_the_command_line_wins(tmp_path):
    motd = tmp_path / "motd.txt"
    motd.write_text("Welcome from the config file\n")
    config = tmp_path / "chatd.toml"
    config.write_text(f'network-name = "FileNet"\nserver-name = "from.file"\nmotd-file = "{motd}"\n'
                      'nicklen = 12\nroom-retention = ["#big=1:10"]\n')
    d = Daemon("--config", str(config), "--server-name", "from.cli", state_dir=tmp_path).start()
    try:
        irc = LineClient(d.ports["irc"])
        irc_register(irc, "ann")
        isupport = irc.expect(r"^:from\.cli 005 ann .*NETWORK=FileNet")
        assert "NICKLEN=12" in isupport
        assert irc.expect(r"372 ann :- Welcome from the config file")
    finally:
        d.kill()


def run_with_config(tmp_path, text):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    cmd = [sys.executable, "-c", TWISTD, "-n", "--pidfile=", "chatd", "--config", str(config)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_unknown_key_or_bad_value_stops_startup_naming_the_key(tmp_path):
    unknown = run_with_config(tmp_path, 'irc = "tcp:0"\nflod-rate = 3\n')
    assert unknown.returncode != 0 and "unknown key 'flod-rate'" in unknown.stdout + unknown.stderr
    bad = run_with_config(tmp_path, 'flood-burst = "lots"\n')
    assert bad.returncode != 0 and "flood-burst must be a whole number" in bad.stdout + bad.stderr
    broken = run_with_config(tmp_path, "irc = \n")
    assert broken.returncode != 0 and "not valid TOML" in broken.stdout + broken.stderr


def test_systemd_notify_ready_watchdog_and_stopping(tmp_path):
    path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    listener.settimeout(20)
    d = Daemon(state_dir=tmp_path, env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"}).start()
    try:
        seen = []
        while not any("READY=1" in m for m in seen):
            seen.append(listener.recv(4096).decode())
        ready = next(m for m in seen if "READY=1" in m)
        assert f"MAINPID={d.proc.pid}" in ready
        while not any(m == "WATCHDOG=1" for m in seen):
            seen.append(listener.recv(4096).decode())
        d.signal(signal.SIGTERM)
        while not any("STOPPING=1" in m for m in seen):
            seen.append(listener.recv(4096).decode())
        assert d.proc.wait(20) == 0
    finally:
        d.kill()
        listener.close()


def test_sigterm_tells_clients_flushes_history_and_exits_zero(tmp_path):
    d = Daemon(state_dir=tmp_path).start()
    irc = LineClient(d.ports["irc"])
    irc_register(irc, "ivan")
    irc.send("JOIN #r")
    irc.expect("JOIN #r")
    with connect(f"ws://127.0.0.1:{d.ports['http']}/ws", subprotocols=["chatd.v1"]) as web:
        web.send(json.dumps({"type": "hello", "nick": "wendy"}))
        web.recv(timeout=10)
        irc.send("PRIVMSG #r :last words before shutdown")
        irc.send("PING :flushed")
        irc.expect("PONG")
        d.signal(signal.SIGTERM)
        assert irc.expect(r"^ERROR :Server shutting down$")
        try:
            while True:
                web.recv(timeout=10)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1001
        assert d.proc.wait(20) == 0
    again = Daemon(state_dir=tmp_path).start()
    try:
        irc = LineClient(again.ports["irc"])
        irc_register(irc, "ivan")
        irc.send("JOIN #r")
        irc.send("CHATHISTORY LATEST #r * 10")
        assert irc.expect(r"PRIVMSG #r :last words before shutdown")
    finally:
        again.kill()


def tls_client(port: int) -> tuple[ssl.SSLSocket, int]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock = context.wrap_socket(raw)
    der = sock.getpeercert(binary_form=True)
    from cryptography import x509

    return sock, x509.load_der_x509_certificate(der).serial_number


def test_irc_over_tls_and_sighup_reloads_the_certificate(tmp_path):
    key, cert = make_certificate(tmp_path, serial=1111)
    endpoint = f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}"
    d = Daemon("--irc-tls", endpoint, "--https", endpoint, state_dir=tmp_path).start()
    try:
        sock, serial = tls_client(d.ports["irc-tls"])
        assert serial == 1111
        sock.sendall(b"NICK tess\r\nUSER tess 0 * :Tess\r\n")
        data = b""
        while b" 001 " not in data:
            data += sock.recv(4096)
        assert b"Welcome to the chatd Network, tess" in data
        https, _ = tls_client(d.ports["https"])
        https.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        body = b""
        while chunk := https.recv(4096):
            body += chunk
        assert b'"status": "ok"' in body

        make_certificate(tmp_path, serial=2222)
        d.signal(signal.SIGHUP)
        d.wait_for_log(lambda line: "irc-tls: TLS certificate reloaded" in line or None)
        d.wait_for_log(lambda line: "https: TLS certificate reloaded" in line or None, what="https reload")
        _, serial = tls_client(d.ports["irc-tls"])
        assert serial == 2222
        sock.sendall(b"PING :old-connection\r\n")  # connections made before keep working
        while b"old-connection" not in data:
            data += sock.recv(4096)
    finally:
        d.kill()


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.headers["content-type"].startswith("text/plain")
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_metrics_move_as_clients_connect_and_talk(tmp_path):
    d = Daemon("--metrics", "tcp:0:interface=127.0.0.1", state_dir=tmp_path).start()
    try:
        with pytest.raises(urllib.error.HTTPError) as public:
            urllib.request.urlopen(f"http://127.0.0.1:{d.ports['http']}/metrics")
        assert public.value.code == 404  # never on the public listener
        port = d.ports["metrics"]
        before = scrape(port)
        assert before['chatd_clients{protocol="irc"}'] == 0
        a, b = LineClient(d.ports["irc"]), LineClient(d.ports["irc"])
        irc_register(a, "alice")
        irc_register(b, "bob")
        for c in (a, b):
            c.send("JOIN #m")
        b.expect("JOIN #m")
        a.send("PRIVMSG #m :counted")
        b.expect("counted")
        a.send("PING :x")
        a.expect("PONG")
        after = scrape(port)
        assert after['chatd_clients{protocol="irc"}'] == 2
        assert after["chatd_users"] == 2
        assert after['chatd_messages_received_total{protocol="irc"}'] == 1
        assert after["chatd_deliveries_total"] >= 1
        assert after['chatd_bytes_sent_total{protocol="irc"}'] > 0
        # The message is delivered before the history writer's batch commits it (that is the
        # design: a commit never holds a delivery back), so wait for the commit to show.
        deadline = time.monotonic() + 10
        while after["chatd_history_batch_size_count"] < 1 and time.monotonic() < deadline:
            after = scrape(port)
        assert after["chatd_history_batch_size_count"] >= 1
        assert "chatd_history_batch_seconds_sum" in after
        a.send("QUIT :done")
        b.expect("QUIT")
        assert scrape(port)['chatd_disconnects_total{reason="quit"}'] == 1
    finally:
        d.kill()


def test_json_log_lines(tmp_path):
    d = Daemon("--log-format", "json", "--log-level", "debug", state_dir=tmp_path).start()
    try:
        irc = LineClient(d.ports["irc"])
        irc_register(irc, "jason")
        d.wait_for_log(lambda line: "irc connection from" in line or None, what="the connection's log line")
        lines = [line for line in d.output if line.strip()]
        events = [json.loads(line) for line in lines]  # every line is one JSON object
        assert all({"time", "level", "msg", "logger"} <= set(e) for e in events)
        assert all(isinstance(e["level"], str) and isinstance(e["msg"], str) for e in events)
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["time"]) for e in events)
        ready = [e for e in events if e["msg"] == "chatd ready"]
        assert ready and ready[0]["level"] == "info" and ready[0]["logger"].startswith("chatd")
        (opened,) = [e for e in events if e["msg"] == "irc connection from 127.0.0.1"]
        assert (opened["proto"], opened["address"], opened["level"]) == ("irc", "127.0.0.1", "debug")
        assert not any(key.startswith("log_") for e in events for key in e)
        irc.close()
    finally:
        d.kill()


def test_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    require(analyze is not None, "systemd-analyze is not installed (apt-get install systemd)")
    twistd = Path(sys.executable).with_name("twistd")
    require(twistd.exists(), "twistd is not installed next to this Python")
    # verify checks that ExecStart exists: point it at this machine's twistd.
    for name in ("chatd.service", "chatd@.service"):
        text = (ROOT / "contrib" / "systemd" / name).read_text()
        (tmp_path / name).write_text(text.replace("/opt/chatd/venv/bin/twistd", str(twistd)))
    (tmp_path / "chatd@east.service").symlink_to(tmp_path / "chatd@.service")
    for unit in ("chatd.service", "chatd@east.service"):
        result = subprocess.run([analyze, "verify", unit], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Unknown key" not in result.stderr and "Unknown lvalue" not in result.stderr, result.stderr


def test_every_option_is_documented():
    from chatd.options import Options

    documented = (ROOT / "docs" / "configuration.md").read_text()
    options = Options()
    names = [p[0] for p in options.optParameters] + [f[0] for f in options.optFlags] + ["room-retention"]
    missing = [name for name in names if f"| `{name}` |" not in documented]
    assert not missing, f"docs/configuration.md lacks {missing}"
