"""``--workers``: one ``twistd chatd`` running several worker processes on the same ports, joined
into one network through a real redis-server.  IRC and web clients on different workers chat in
one room with one order; a worker killed is started again while the other keeps serving, and the
killed worker's people quit at once; SIGTERM stops every worker; mistakes stop start-up."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys

import pytest

from .support.parts import ROOT, free_port
from .support.processes import TWISTD, Daemon
from .support.sockets import LineClient, irc_register
from .support.waiting import wait_until
from .test_cluster import Web, redis  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.cluster

WORKER_READY = re.compile(r"worker (\d+) ready \(node (\S+), pid (\d+)\)")


def workers(tmp_path, redis, *extra):  # noqa: F811
    ports = {name: free_port() for name in ("irc", "telnet", "http")}
    listeners = [arg for name, port in ports.items() for arg in (f"--{name}", f"tcp:{port}:interface=127.0.0.1")]
    daemon = Daemon("--redis", redis.url, "--workers", "2", "--node-name", "box", "--flood-rate", "0",
                    *listeners, *extra, state_dir=tmp_path)
    daemon.start()
    daemon.wait_for_log(lambda line: "chatd workers ready" in line or None, 30, "every worker ready")
    return daemon, ports


def worker_pids(daemon):
    """node name -> pid, from the supervisor's log (the latest start of each worker)."""
    found = {}
    for line in daemon.output:
        match = WORKER_READY.search(line)
        if match:
            found[match.group(2)] = int(match.group(3))
    return found


def on_other_worker(port, first):
    """A client on the other worker than ``first``'s: WHOIS shows a remote user's node as server."""
    for attempt in range(60):
        probe = LineClient(port)
        irc_register(probe, f"probe{attempt}")
        probe.send(f"MONITOR + {first}")  # online here (730) once their arrival has reached this worker
        probe.expect(r" 730 ")
        probe.send(f"WHOIS {first}")
        server = probe.expect(r" 312 ")
        if "-w" in server.split()[4]:
            return probe, server.split()[4]
        probe.send("QUIT")
        probe.close()
    raise AssertionError("every connection landed on one worker")


def test_two_workers_one_network_and_a_worker_restarted(tmp_path, redis):  # noqa: F811
    daemon, ports = workers(tmp_path, redis, "--node-timeout", "60")
    try:
        alice = LineClient(ports["irc"])
        irc_register(alice, "alice")
        alice.send("JOIN #team")
        alice.expect(r" 366 alice #team ")
        bob, alice_node = on_other_worker(ports["irc"], "alice")
        bob.send("JOIN #team")
        bob.expect(r" 366 ")
        alice.expect(r":probe\d+!\S+ JOIN #team")  # bob is still called probeN: the name does not matter
        with contextlib.ExitStack() as stack:
            web = Web(stack, ports["http"], "wendy")
            web.send({"type": "join", "room": "#team", "id": 1})
            web.expect(lambda f: f.get("id") == 1)
            alice.expect(r":wendy!\S+ JOIN #team")
            for n in range(20):
                alice.send(f"PRIVMSG #team :line {n}")
            lines = bob.until(r"PRIVMSG #team :line 19", timeout=20)
            said = [line.rsplit(":", 1)[1] for line in lines if "PRIVMSG #team :line" in line]
            assert said == [f"line {n}" for n in range(20)]  # one order, across workers
            heard = [web.expect(lambda f: f.get("type") == "message")["text"] for _ in range(20)]
            assert heard == [f"line {n}" for n in range(20)]
            web.send({"type": "msg", "to": "#team", "text": "from the browser", "id": 2})
            alice.expect(r":wendy!\S+ PRIVMSG #team :from the browser")
            bob.expect(r":wendy!\S+ PRIVMSG #team :from the browser")

        # Kill bob's worker: the supervisor starts another, which makes bob quit at once
        # (the node timeout is a minute), and alice's worker serves on meanwhile.
        (killed,) = [pid for node, pid in worker_pids(daemon).items() if node != alice_node]
        subprocess.run(["kill", "-KILL", str(killed)], check=True)
        alice.expect(r":probe\d+!\S+ QUIT :", timeout=20)
        daemon.wait_for_log(lambda line: (m := WORKER_READY.search(line)) and int(m.group(3)) != killed or None,
                            30, "the worker started again")
        alice.send("PRIVMSG #team :still here")
        carol = LineClient(ports["irc"])
        irc_register(carol, "carol")
        carol.send("JOIN #team")
        carol.expect(r" 366 ")
        alice.send("PRIVMSG #team :hello carol")
        carol.expect(r":alice!\S+ PRIVMSG #team :hello carol")

        daemon.signal(signal.SIGHUP)  # reaches every worker: each reads the configuration again
        for _ in range(2):
            daemon.wait_for_log(lambda line: "SIGHUP: reloading" in line or None, 20, "a worker reloading")
        assert daemon.stop(30) == 0  # SIGTERM reaches every worker; a clean stop
        pids = worker_pids(daemon).values()
        wait_until(lambda: not any(_alive(pid) for pid in pids), 10, what="every worker gone")
    finally:
        daemon.kill()


def _run(*args, cwd):
    """``twistd chatd`` with ``args``, the code under test first on the path, to its end."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-c", TWISTD, "-n", "--pidfile=", "chatd", *args],
                          capture_output=True, text=True, timeout=60, cwd=cwd, env=env)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return False


def test_workers_without_redis_is_one_clear_line(tmp_path):
    done = _run("--workers", "2", "--state-dir", str(tmp_path / "state"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "chatd: --workers: more than one worker needs --redis (the workers join into one network through it)"]


def test_a_worker_that_cannot_start_stops_start_up(tmp_path, redis):  # noqa: F811
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]  # held without SO_REUSEPORT: no worker can bind it
        done = _run("--workers", "2", "--redis", redis.url, "--state-dir", str(tmp_path / "state"),
                    "--irc", f"tcp:{port}:interface=127.0.0.1", "--telnet", f"tcp:{free_port()}:interface=127.0.0.1",
                    "--http", f"tcp:{free_port()}:interface=127.0.0.1", cwd=tmp_path)
    assert done.returncode != 0
    assert "did not start" in done.stdout + done.stderr


def test_workers_from_the_command_line_and_the_configuration_file(tmp_path):
    from twisted.python import usage

    from chatd.options import Options

    def parsed(*args):
        options = Options()
        options.parseOptions(["--state-dir", str(tmp_path / "state"), *args])
        return options["workers"]

    redis_url = ["--redis", "redis://127.0.0.1:6379/0"]
    assert parsed() == 1
    assert parsed("--workers", "3", *redis_url) == 3
    assert parsed("--workers", "auto", *redis_url) == (os.cpu_count() or 1)
    config = tmp_path / "chatd.toml"
    config.write_text('redis = "redis://127.0.0.1:6379/0"\nworkers = 4\n')
    assert parsed("--config", str(config)) == 4
    config.write_text('redis = "redis://127.0.0.1:6379/0"\nworkers = "auto"\n')
    assert parsed("--config", str(config)) == (os.cpu_count() or 1)
    for listener, said in (("tcp:0:interface=127.0.0.1", "give a fixed one, not 0"),
                           (f"unix:{tmp_path}/chatd.sock", "a unix: socket cannot be shared")):
        with pytest.raises(usage.UsageError, match=f"--irc: .*{said}"):
            parsed("--workers", "2", *redis_url, "--irc", listener)
    assert parsed("--workers", "1", "--irc", "tcp:0:interface=127.0.0.1") == 1  # one process: any port
    for wrong in ("0", "many", "999"):
        with pytest.raises(usage.UsageError, match="--workers must be a number from 1 to 256, or auto"):
            parsed("--workers", wrong, *redis_url)


def test_workers_stop_when_their_supervisor_is_killed(tmp_path, redis):  # noqa: F811
    daemon, ports = workers(tmp_path, redis)
    try:
        pids = list(worker_pids(daemon).values())
        assert len(pids) == 2 and all(_alive(pid) for pid in pids)
        daemon.kill()  # SIGKILL: the supervisor can pass nothing on
        wait_until(lambda: not any(_alive(pid) for pid in pids), 20, what="the orphaned workers to stop")
        with socket.socket() as free:  # and the port is free again
            free.bind(("127.0.0.1", ports["irc"]))
    finally:
        daemon.kill()
