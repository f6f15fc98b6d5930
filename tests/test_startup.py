"""Start-up mistakes as an operator makes them: a real ``twistd chatd`` process
exits non-zero with one line naming the option, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import chatd

from .support.parts import ROOT
from .support.processes import TWISTD, Daemon

pytestmark = pytest.mark.integration
QUIET = ["--irc", "tcp:0:interface=127.0.0.1", "--telnet", "tcp:0:interface=127.0.0.1",
         "--http", "tcp:0:interface=127.0.0.1"]


def run_chatd(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-c", TWISTD, "-n", "--pidfile=", "chatd", *QUIET,
                           "--state-dir", str(tmp_path / "state"), *args],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)


def one_line(result: subprocess.CompletedProcess[str], option: str) -> str:
    assert result.returncode != 0, result
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"chatd: --{option}"), lines[0]
    return lines[0]


@pytest.mark.parametrize(("args", "option", "words"), [
    (["--irc", "tcp:notaport"], "irc", "not a usable endpoint"),
    (["--irc", "foo:6667"], "irc", "Unknown endpoint type"),
    (["--irc-tls", "ssl:0:privateKey=/nonexistent/key.pem:certKey=/nonexistent/cert.pem"], "irc-tls", "No such file"),
    (["--flood-burst", "0"], "flood-burst", "must be positive"),
    (["--log-level", "loud"], "log-level", "must be one of"),
    (["--motd-file", "/nonexistent/motd"], "motd-file", "no such file"),
])
def test_bad_options_are_one_line(tmp_path, args, option, words):
    line = one_line(run_chatd(tmp_path, *args), option)
    assert words in line


def test_a_state_dir_that_is_a_file_or_under_one(tmp_path):
    (tmp_path / "plain").write_text("not a folder")
    assert "is a file" in one_line(run_chatd(tmp_path, "--state-dir", str(tmp_path / "plain")), "state-dir")
    under = one_line(run_chatd(tmp_path, "--state-dir", str(tmp_path / "plain" / "sub")), "state-dir")
    assert "not a writable folder" in under


def test_a_state_dir_with_a_broken_database(tmp_path):
    state = tmp_path / "broken"
    state.mkdir()
    (state / "history.sqlite3").write_bytes(b"this is not SQLite" * 100)
    line = one_line(run_chatd(tmp_path, "--state-dir", str(state)), "state-dir")
    assert "history.sqlite3 cannot be used" in line and "not a database" in line


def test_a_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_chatd(tmp_path, "--irc", f"tcp:{port}:interface=127.0.0.1")
    line = one_line(result, "irc")
    assert "cannot listen" in line and "in use" in line
    assert "chatd ready" not in result.stdout


def test_version_is_chatd_s(tmp_path):
    result = run_chatd(tmp_path, "--version")
    assert result.returncode == 0 and result.stdout.startswith(f"chatd {chatd.__version__} (Twisted ")


def test_the_banner_says_where_to_connect(tmp_path):
    d = Daemon(state_dir=tmp_path).start()
    try:
        banner = d.wait_for_log(lambda line: line if "state: " in line else None, what="banner")
        text = "".join(d.output)
        assert f"web: http://127.0.0.1:{d.ports['http']}/" in text
        assert f"IRC: irc://127.0.0.1:{d.ports['irc']}" in text
        assert f"terminal: telnet 127.0.0.1 {d.ports['telnet']}" in text
        assert str((tmp_path / "state").resolve()) in banner
    finally:
        d.kill()
