"""Run the benchmark suite: chatd and its peers, same load generator, same run.

    python -m bench.run             # the full suite (several minutes)
    python -m bench.run --quick     # tiny sizes: checks the harness, not speed
    python -m bench.run --only irc,ws --json results.json

Prints a table of ratios (chatd / peer, with the raw figures) and writes JSON.
See docs/benchmarks.md for what each scenario measures.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Optional

from . import servers
from .loadgen import tree_cpu_seconds

SCENARIOS = ("irc", "ws", "cluster", "carried", "workers", "shards", "idle", "connect", "history", "crash", "post")


def _tool(module: str, args: tuple[Any, ...], timeout: float) -> dict[str, Any]:
    """Run a load tool in its own process; its last output line is its JSON result."""
    command = [sys.executable, "-m", module, *map(str, args)]
    done = subprocess.run(command, cwd=servers.ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:] or ["failed"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def loadgen(*args: Any, timeout: float = 900) -> dict[str, Any]:
    return _tool("bench.loadgen", args, timeout)


def poster(*args: Any, timeout: float = 600) -> dict[str, Any]:
    return _tool("bench.poster", args, timeout)


class Suite:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.results: list[dict[str, Any]] = []

    def record(self, scenario: str, server: str, result: dict[str, Any], **setting: Any) -> dict[str, Any]:
        entry = {**result, **setting, "scenario": scenario, "server": server}
        self.results.append(entry)
        figure = result.get("deliveries_per_s") or result.get("kib_per_connection") or result.get("per_s")
        print(f"  {scenario:<22} {server:<16} {figure if figure is not None else result}", flush=True)
        return entry

    def each(self, makers: list[tuple[str, Callable[[], Optional[servers.Server]]]], run: Callable) -> None:
        for name, make in makers:
            server = make()
            if server is None:
                print(f"  {name}: not available, skipped", flush=True)
                continue
            try:
                run(name, server)
            finally:
                server.stop()

    # -- scenarios -------------------------------------------------------------------------

    def irc(self) -> None:
        receivers = 20 if self.quick else 500
        duration = 1 if self.quick else 5
        # 100,000, 1,200,000 and 2,000,000 deliveries/s offered (500 receivers); twisted.words,
        # which collapses already at the second, is spared the third.
        rates = [(20, "100k")] if self.quick else [(200, "100k"), (2400, "saturation"), (4000, "overload")]
        peers = [("chatd", lambda: servers.chatd()), ("ngircd", servers.ngircd), ("twisted.words", servers.words)]

        def run(name: str, server: servers.Server) -> None:
            port = server.ports.get("irc-trusted", server.ports["irc"])
            dialect = "irc-pass" if name == "twisted.words" else "irc"
            for rate, label in rates:
                if name == "twisted.words" and label == "overload":
                    continue
                result = loadgen("fanout", "--dialect", dialect, "--port", port, "--receivers", receivers,
                                 "--senders", 10 if not self.quick else 2, "--rate", rate, "--duration", duration,
                                 "--cpu-pids", server.pid)
                self.record(f"irc-fanout-{label}", name, result)

        self.each(peers, run)

    def ws(self) -> None:
        receivers = 20 if self.quick else 200
        duration = 1 if self.quick else 5
        redis = servers.redis()
        peers: list[tuple[str, Callable[[], Optional[servers.Server]]]] = [("chatd", lambda: servers.chatd())]
        if redis is not None:
            peers.append(("django-channels", lambda: servers.daphne(redis.ports["redis"])))
        # chatd: 200,000 and 1,000,000 deliveries/s offered; Django Channels 10,000 (more only grows its backlog).
        rates = {"chatd": [(20, "ws-fanout-saturation")] if self.quick else
                 [(1000, "ws-fanout-saturation"), (5000, "ws-fanout-1m")],
                 "django-channels": [(10 if self.quick else 50, "ws-fanout-saturation")]}

        def run(name: str, server: servers.Server) -> None:
            dialect, path = ("ws-chatd", "/ws") if name == "chatd" else ("ws-django", "/ws/chat/bench/")
            for rate, label in rates[name]:
                result = loadgen("fanout", "--dialect", dialect, "--port", server.ports["http"], "--path", path,
                                 "--receivers", receivers, "--senders", 2 if self.quick else 5,
                                 "--rate", rate, "--duration", duration, "--batch", 20)
                self.record(label, name, result)

        try:
            self.each(peers, run)
        finally:
            if redis is not None:
                redis.stop()

    def cluster(self) -> None:
        redis = servers.redis()
        if redis is None:
            print("  cluster: no redis-server, skipped")
            return
        receivers = 20 if self.quick else 200
        rate = 20 if self.quick else 2000  # 400,000 deliveries/s
        url = f"redis://127.0.0.1:{redis.ports['redis']}/0"
        try:
            single = servers.chatd()
            try:
                result = loadgen("fanout", "--port", single.ports["irc-trusted"], "--receivers", receivers,
                                 "--senders", 2, "--rate", rate, "--duration", 1 if self.quick else 5)
                self.record("one-node", "chatd", result)
            finally:
                single.stop()
            a = servers.chatd("--redis", url, "--node-name", "bench-a", name="chatd-a")
            b = servers.chatd("--redis", url, "--node-name", "bench-b", name="chatd-b")
            try:
                a.wait_for("in sync")
                b.wait_for("in sync")
                result = loadgen("fanout", "--port", b.ports["irc-trusted"], "--sender-port", a.ports["irc-trusted"],
                                 "--receivers", receivers, "--senders", 2, "--rate", rate,
                                 "--duration", 1 if self.quick else 5)
                self.record("two-nodes-redis", "chatd", result)
            finally:
                a.stop()
                b.stop()
        finally:
            redis.stop()

    def carried(self) -> None:
        """One person's laptop on node A (which holds them) and phone on node B (carried to A):
        each says lines one at a time and waits for its echo; the carried round trip against the
        direct one, and the nodes' CPU per line.  No peer has this (Ergo is one server)."""
        redis = servers.redis()
        if redis is None:
            print("  carried: no redis-server, skipped")
            return
        url = f"redis://127.0.0.1:{redis.ports['redis']}/0"
        try:
            a = servers.chatd("--redis", url, "--node-name", "bench-a", name="chatd-a", ready=r"in sync")
            b = servers.chatd("--redis", url, "--node-name", "bench-b", name="chatd-b", ready=r"in sync")
            try:
                result = _tool("bench.carried", ("--port-a", a.ports["irc"], "--port-b", b.ports["irc"],
                                                 "--count", 50 if self.quick else 3000, "--cpu-pids",
                                                 f"{a.pid},{b.pid}"), 600)
                self.record("carried", "chatd", result)
            finally:
                a.stop()
                b.stop()
        finally:
            redis.stop()

    def workers(self) -> None:
        """One chatd process against ``--workers 2`` on the same ports, both through one Redis, at the
        same offered load: deliveries, latency, chatd's CPU (every process) per million deliveries and
        Redis's CPU per message.  The figures the scaling model in docs/benchmarks.md is built from."""
        redis = servers.redis()
        if redis is None:
            print("  workers: no redis-server, skipped")
            return
        receivers = 20 if self.quick else 200
        rates = [20] if self.quick else [1000, 2400]  # 200,000 and 480,000 deliveries/s
        url = f"redis://127.0.0.1:{redis.ports['redis']}/0"
        try:
            for count in (1, 2):
                server = servers.chatd("--redis", url, "--workers", str(count), name=f"chatd-{count}w",
                                       fixed_ports=True, ready=r"chatd workers ready" if count > 1 else r"in sync")
                try:
                    for rate in rates:
                        result = loadgen("fanout", "--port", server.ports["irc-trusted"], "--receivers", receivers,
                                         "--senders", 4, "--rate", rate, "--duration", 1 if self.quick else 5,
                                         "--cpu-pids", server.pid, "--redis-pid", redis.pid)
                        label = "workers" if rate == rates[0] else "workers-busy"
                        self.record(label, f"chatd-{count}w", result, workers=count)
                finally:
                    server.stop()
        finally:
            redis.stop()

    def shards(self) -> None:
        """Two chatd nodes through one Redis 7 against the same two through a 3-shard Redis Cluster,
        rooms spread over the shards, at the same offered load: deliveries, the nodes' CPU per
        million deliveries, Redis's CPU per message (every shard summed) and how it splits."""
        if servers.redis7_binary() is None:
            print("  shards: no redis-server 7, skipped")
            return
        receivers = 24 if self.quick else 240
        rate = 24 if self.quick else 2400  # 48,000 deliveries/s: 12 rooms of 20 receivers
        for label in ("redis-1", "redis-cluster-3"):
            redis = [servers.redis7()] if label == "redis-1" else servers.redis_cluster(3)
            assert redis is not None
            where = (["--redis", f"redis://127.0.0.1:{redis[0].ports['redis']}/0"] if label == "redis-1" else
                     ["--redis-cluster", "redis://" + ",".join(f"127.0.0.1:{r.ports['redis']}" for r in redis)])
            try:
                a = servers.chatd(*where, "--node-name", "bench-a", name="chatd-a", ready=r"in sync")
                b = servers.chatd(*where, "--node-name", "bench-b", name="chatd-b", ready=r"in sync")
                try:
                    result = loadgen("fanout", "--port", b.ports["irc-trusted"], "--sender-port",
                                     a.ports["irc-trusted"], "--receivers", receivers, "--senders", 12,
                                     "--rooms", 12, "--rate", rate, "--duration", 1 if self.quick else 5,
                                     "--cpu-pids", f"{a.pid},{b.pid}",
                                     "--redis-pid", ",".join(str(r.pid) for r in redis))
                    per_shard = [tree_cpu_seconds([r.pid]) for r in redis]
                    self.record(label, "chatd", result, shards=len(redis),
                                redis_cpu_share=[round(x / sum(per_shard), 2) for x in per_shard] if sum(per_shard)
                                else None)
                finally:
                    a.stop()
                    b.stop()
            finally:
                for r in redis:
                    r.stop()

    def history(self) -> None:
        """The history writer's lag (accepted -> committed) under a sustained message rate, and
        what waiting for the commit before delivery (history-durability) costs at that rate."""
        rate = 200 if self.quick else 20000
        for durability in ("after-delivery", "before-delivery"):
            server = servers.chatd("--history-durability", durability, history=True)
            try:
                result = loadgen("fanout", "--port", server.ports["irc-trusted"], "--receivers", 5,
                                 "--senders", 20, "--rate", rate, "--duration", 1 if self.quick else 10)
                url = f"http://127.0.0.1:{server.ports['metrics']}/metrics"
                metrics = urllib.request.urlopen(url).read().decode()
                figures = dict(re.findall(r"^(chatd_history_\w+) ([0-9.e+-]+)$", metrics, re.M))
                result["history_lag_max_ms"] = round(
                    float(figures.get("chatd_history_lag_max_seconds", "nan")) * 1000, 1)
                result["history_written"] = float(figures.get("chatd_history_batch_size_sum", "nan"))
                if durability == "after-delivery":
                    self.record("history-lag", "chatd", result, offered_msgs_per_s=rate)
                # before-delivery against after-delivery, as if a peer: the ratio is the cost
                name = "chatd" if durability == "before-delivery" else "after-delivery"
                self.record("history-durability", name, result, offered_msgs_per_s=rate, durability=durability)
            finally:
                server.stop()

    def crash(self) -> None:
        """kill -9 the moment a reader has a burst's last line: what it saw that history lacks."""
        messages = 500 if self.quick else 10000
        for durability in ("after-delivery", "before-delivery"):
            for attempt in range(1 if self.quick else 3):
                server = servers.chatd("--history-durability", durability, history=True)
                try:
                    assert server.scratch is not None
                    db = server.scratch / "history.sqlite3"
                    result = _tool("bench.crash", (server.ports["irc"], server.pid, db, "--messages", messages),
                                   timeout=300)
                    name = "chatd" if durability == "before-delivery" else "after-delivery"
                    self.record(f"crash-{attempt + 1}", name, result, durability=durability)
                finally:
                    server.stop()

    def post(self) -> None:
        """A CI job's posts: over the HTTP API (201 once stored), beside the same posts over IRC to
        chatd and to ngircd (PRIVMSG, then PING/PONG)."""
        posts, clients = (100, 2) if self.quick else (4000, 4)
        server = servers.chatd("--api-rate", "0", history=True)
        try:
            state = server.command[server.command.index("--state-dir") + 1]
            made = subprocess.run([sys.executable, "-m", "chatd.apikey", "--state-dir", state, "create", "ci",
                                   "--scope", "post"], cwd=servers.ROOT, capture_output=True, text=True,
                                  env=server.env, timeout=60)
            key = made.stdout.strip().splitlines()[-1]
            for mode, name in (("api", "chatd"), ("irc", "chatd-irc")):
                port = server.ports["http"] if mode == "api" else server.ports["irc-trusted"]
                result = poster(mode, "--port", port, "--irc-port", server.ports["irc-trusted"], "--key", key,
                                "--posts", posts, "--clients", clients, "--pid", server.pid)
                self.record("post", name, result, mode=mode)
        finally:
            server.stop()
        peer = servers.ngircd()
        if peer is None:
            print("  ngircd: not available, skipped", flush=True)
            return
        try:
            result = poster("irc", "--port", peer.ports["irc"], "--posts", posts, "--clients", clients,
                            "--pid", peer.pid)
            self.record("post", "ngircd", result, mode="irc")
        finally:
            peer.stop()

    def idle(self) -> None:
        count = 50 if self.quick else 10000
        irc_peers = [("chatd", lambda: servers.chatd()), ("ngircd", servers.ngircd), ("twisted.words", servers.words)]

        def run_irc(name: str, server: servers.Server) -> None:
            dialect = "irc-pass" if name == "twisted.words" else "irc"
            port = server.ports.get("irc-trusted", server.ports["irc"])
            result = loadgen("idle", "--dialect", dialect, "--port", port, "--connections", count,
                             "--server-pid", server.pid, "--batch", 8, "--setup-timeout", 20 if self.quick else 120)
            self.record("idle-irc", name, result)

        self.each(irc_peers, run_irc)
        redis = servers.redis()
        ws_peers: list[tuple[str, Callable[[], Optional[servers.Server]]]] = [("chatd", lambda: servers.chatd())]
        if redis is not None:
            ws_peers.append(("django-channels", lambda: servers.daphne(redis.ports["redis"])))

        def run_ws(name: str, server: servers.Server) -> None:
            dialect, path = ("ws-chatd", "/ws") if name == "chatd" else ("ws-django", "/ws/chat/bench/")
            result = loadgen("idle", "--dialect", dialect, "--port", server.ports["http"], "--path", path,
                             "--connections", count, "--server-pid", server.pid,
                             # Few at once: listen backlogs are short (ngircd, Twisted: 50) and
                             # channels_redis refuses bursts ("Too many connections").
                             "--batch", 8, "--setup-timeout", 20 if self.quick else 120)
            self.record("idle-ws", name, result)

        try:
            self.each(ws_peers, run_ws)
        finally:
            if redis is not None:
                redis.stop()

    def connect(self) -> None:
        count = 50 if self.quick else 3000
        peers = [("chatd", lambda: servers.chatd()), ("ngircd", servers.ngircd), ("twisted.words", servers.words)]

        def run(name: str, server: servers.Server) -> None:
            dialect = "irc-pass" if name == "twisted.words" else "irc"
            port = server.ports.get("irc-trusted", server.ports["irc"])
            result = loadgen("connect", "--dialect", dialect, "--port", port, "--connections", count,
                             "--batch", 8)
            self.record("connect-irc", name, result)

        self.each(peers, run)


def ratios(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """chatd against each peer in the same scenario, on the scenario's main figure."""
    rows = []
    by_scenario: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in results:
        by_scenario.setdefault(entry["scenario"], {})[entry["server"]] = entry
    for scenario, entries in by_scenario.items():
        ours = entries.get("chatd")
        if ours is None:
            continue
        for server, theirs in entries.items():
            if server == "chatd":
                continue
            for metric, better in (("deliveries_per_s", "higher"), ("per_s", "higher"),
                                   ("kib_per_connection", "lower"), ("server_cpu_s_per_million", "lower")):
                if ours.get(metric) and theirs.get(metric):
                    rows.append({"scenario": scenario, "peer": server, "metric": metric, "better": better,
                                 "chatd": ours[metric], "peer_value": theirs[metric],
                                 "ratio": ours[metric] / theirs[metric]})
            ours_p99 = (ours.get("latency_ms") or {}).get("p99")
            theirs_p99 = (theirs.get("latency_ms") or {}).get("p99")
            if ours_p99 and theirs_p99:
                rows.append({"scenario": scenario, "peer": server, "metric": "p99_ms", "better": "lower",
                             "chatd": ours_p99, "peer_value": theirs_p99, "ratio": ours_p99 / theirs_p99})
    for label in ("workers", "workers-busy"):
        workers = by_scenario.get(label, {})
        if "chatd-1w" not in workers or "chatd-2w" not in workers:
            continue
        for metric, better in (("deliveries_per_s", "higher"), ("server_cpu_s_per_million", "lower")):
            a, b = workers["chatd-2w"].get(metric), workers["chatd-1w"].get(metric)
            if a and b:
                rows.append({"scenario": label, "peer": "chatd 1 worker", "metric": metric, "better": better,
                             "chatd": a, "peer_value": b, "ratio": a / b})
    if "redis-1" in by_scenario and "redis-cluster-3" in by_scenario:
        one, three = by_scenario["redis-1"]["chatd"], by_scenario["redis-cluster-3"]["chatd"]
        for metric, better in (("deliveries_per_s", "higher"), ("server_cpu_s_per_million", "lower"),
                               ("redis_cpu_ms_per_message", "lower")):
            a, b = three.get(metric), one.get(metric)
            if a and b:
                rows.append({"scenario": "redis-cluster-3", "peer": "one Redis", "metric": metric, "better": better,
                             "chatd": a, "peer_value": b, "ratio": a / b})
    carried = by_scenario.get("carried", {}).get("chatd", {})
    for metric in ("p50_ms", "p99_ms", "cpu_ms_per_line"):
        a, b = carried.get(f"carried_{metric}"), carried.get(f"direct_{metric}")
        if a and b:
            rows.append({"scenario": "carried", "peer": "chatd direct", "metric": metric, "better": "lower",
                         "chatd": a, "peer_value": b, "ratio": a / b})
    if "one-node" in by_scenario and "two-nodes-redis" in by_scenario:
        one, two = by_scenario["one-node"]["chatd"], by_scenario["two-nodes-redis"]["chatd"]
        for key in ("p50", "p99"):
            a, b = (two.get("latency_ms") or {}).get(key), (one.get("latency_ms") or {}).get(key)
            if a and b:
                rows.append({"scenario": "two-nodes-redis", "peer": "chatd one node", "metric": f"{key}_ms",
                             "better": "lower", "chatd": a, "peer_value": b, "ratio": a / b})
    return rows


def print_table(rows: list[dict[str, Any]], results: list[dict[str, Any]]) -> None:
    print()
    print(f"{'scenario':<24}{'peer':<18}{'metric':<20}{'chatd':>12}{'peer':>12}{'ratio':>8}  better")
    for row in rows:
        print(f"{row['scenario']:<24}{row['peer']:<18}{row['metric']:<20}{row['chatd']:>12.1f}"
              f"{row['peer_value']:>12.1f}{row['ratio']:>8.2f}  {row['better']}")
    print()
    print(f"{'scenario':<24}{'server':<18}{'deliv/s':>10}{'loss':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'KiB/conn':>10}{'conn/s':>9}{'gen cpu':>8}{'cpu s/M':>8}{'redis ms/msg':>13}")
    for r in results:
        lat = r.get("latency_ms") or {}

        def num(value: Any, fmt: str) -> str:
            width = int(fmt.split(".")[0])
            return format(value, fmt) if isinstance(value, (int, float)) else "-".rjust(width)

        print(f"{r['scenario']:<24}{r['server']:<18}{num(r.get('deliveries_per_s'), '10.0f')}"
              f"{num(r.get('loss'), '8.3f')}{num(lat.get('p50'), '9.1f')}{num(lat.get('p99'), '9.1f')}"
              f"{num(lat.get('max'), '9.1f')}{num(r.get('kib_per_connection'), '10.1f')}{num(r.get('per_s'), '9.0f')}"
              f"{num(r.get('loadgen_cpu'), '8.2f')}{num(r.get('server_cpu_s_per_million'), '8.2f')}"
              f"{num(r.get('redis_cpu_ms_per_message'), '13.3f')}" + (f"  error: {r['error']}" if "error" in r else ""))


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check that the harness works")
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma list of {', '.join(SCENARIOS)}")
    parser.add_argument("--json", default=str(servers.HERE / "results" / "latest.json"))
    args = parser.parse_args(argv)
    suite = Suite(args.quick)
    started = time.time()
    for name in args.only.split(","):
        if name not in SCENARIOS:
            parser.error(f"unknown scenario {name!r}")
        print(f"{name}:", flush=True)
        getattr(suite, name)()
    rows = ratios(suite.results)
    print_table(rows, suite.results)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"started": started, "quick": args.quick, "results": suite.results,
                               "ratios": rows}, indent=1))
    print(f"\nJSON: {out}")
    return 1 if any("error" in r for r in suite.results) else 0


if __name__ == "__main__":
    sys.exit(main())
