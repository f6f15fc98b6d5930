"""chatd as a real ``twistd`` process on OS-picked ports."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Optional, TypeVar

from .parts import ROOT

T = TypeVar("T")

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
