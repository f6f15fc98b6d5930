"""A tiny run of the benchmark suite: keeps the harness and its peers working.

It checks that every scenario runs against every peer and that nothing is
lost at these small sizes; it makes no claim about speed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .support.parts import ROOT, require

pytestmark = pytest.mark.bench


def test_quick_benchmark_runs_every_scenario_against_every_peer(tmp_path):
    require(shutil.which("ngircd") is not None or Path("/usr/sbin/ngircd").exists(),
            "ngircd is not installed (apt-get install ngircd)")
    out = tmp_path / "bench.json"
    state_before = sorted(ROOT.glob("chatd-data/*"))
    done = subprocess.run([sys.executable, "-m", "bench.run", "--quick", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    seen = {(r["scenario"], r["server"]) for r in report["results"]}
    for scenario, server in [
        ("irc-fanout-100k", "chatd"), ("irc-fanout-100k", "ngircd"), ("irc-fanout-100k", "twisted.words"),
        ("ws-fanout-saturation", "chatd"), ("ws-fanout-saturation", "django-channels"),
        ("one-node", "chatd"), ("two-nodes-redis", "chatd"), ("carried", "chatd"),
        ("workers", "chatd-1w"), ("workers", "chatd-2w"),
        ("idle-irc", "chatd"), ("idle-irc", "ngircd"), ("idle-ws", "chatd"), ("idle-ws", "django-channels"),
        ("connect-irc", "chatd"), ("connect-irc", "ngircd"), ("connect-irc", "twisted.words"),
        ("history-lag", "chatd"), ("history-durability", "chatd"), ("history-durability", "after-delivery"),
        ("crash-1", "chatd"), ("crash-1", "after-delivery"),
        ("post", "chatd"), ("post", "chatd-irc"), ("post", "ngircd"),
    ]:
        assert (scenario, server) in seen, f"missing {scenario} / {server}"
    for result in report["results"]:
        assert "error" not in result, result
        if "loss" in result:
            assert result["loss"] == 0, result
        if result.get("durability") == "before-delivery" and "seen_not_stored" in result:
            assert result["seen_not_stored"] == 0, result  # what a reader saw survives kill -9
    assert any(row["peer"] == "ngircd" for row in report["ratios"])
    fanout = next(r for r in report["results"] if (r["scenario"], r["server"]) == ("irc-fanout-100k", "chatd"))
    assert fanout["server_cpu_s"] is not None  # CPU per delivery is measured (its size is the benchmark's)
    assert sorted(ROOT.glob("chatd-data/*")) == state_before  # every daemon kept its state in a temporary folder
    assert "ratio" in done.stdout
